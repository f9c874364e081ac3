import type { Decider, EventEnvelope, EventMetadata, PendingEvent } from '../events';
import { ConcurrencyError, PreconditionFailedError } from '../errors';
import type { EventStore } from './store';

export interface HandledCommand<State> {
  state: State;
  version: number;
  events: EventEnvelope[];
}

/**
 * The one generic command handler: read the stream, fold it, decide, append with the expected
 * version. `ifMatch` is the version a client last saw (HTTP If-Match); a mismatch is a 412.
 */
export async function handleCommand<Command, Event extends PendingEvent, State>(
  store: EventStore,
  decider: Decider<Command, Event, State>,
  stream: string,
  command: Command,
  meta: EventMetadata,
  ifMatch?: number,
): Promise<HandledCommand<State>> {
  const { version, events: history } = await store.readStream(stream);
  if (ifMatch !== undefined && ifMatch !== version) {
    throw new PreconditionFailedError(`${stream} is at version ${version}, not ${ifMatch}`);
  }
  const state = history.reduce<State>((s, e) => decider.evolve(s, e), decider.initialState);
  const decided = decider.decide(command, state);
  try {
    const appended = await store.append(stream, version, decided, meta);
    const next = appended.events.reduce<State>((s, e) => decider.evolve(s, e), state);
    return { state: next, version: appended.version, events: appended.events };
  } catch (err) {
    if (err instanceof ConcurrencyError && ifMatch !== undefined) {
      throw new PreconditionFailedError(`${stream} was changed concurrently; reload and retry`);
    }
    throw err;
  }
}
