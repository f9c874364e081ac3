import type { EventEnvelope, PendingEvent } from './envelope';

/**
 * The shape of an aggregate (emmett's decider): both functions pure, no I/O, no clock.
 * `decide` throws a domain error (an AppError) when the command is not allowed in this state.
 */
export interface Decider<Command, Event extends PendingEvent, State> {
  initialState: State;
  decide(command: Command, state: State): Event[];
  evolve(state: State, event: Event | EventEnvelope): State;
}
