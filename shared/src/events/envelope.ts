import { randomUUID } from 'node:crypto';
import { z } from 'zod';

/** `<service>.<aggregate>.<past-tense-verb>.v<N>`, e.g. `students.student.created.v1`. */
export const EVENT_TYPE = /^[a-z][a-z0-9-]*\.[a-z][a-z0-9-]*\.[a-z][a-z0-9-]*\.v[1-9][0-9]*$/;

/** The envelope every event carries (DESIGN §2), validated on produce and on consume. */
export const EventEnvelopeSchema = z
  .object({
    id: z.uuid(),
    type: z.string().regex(EVENT_TYPE, 'must look like <service>.<aggregate>.<verb>.v<N>'),
    source: z.string().min(1).max(100),
    subject: z.string().min(1).max(200),
    tenant: z.string().min(1).max(100),
    version: z.number().int().positive(),
    time: z.iso.datetime({ offset: true }),
    correlationId: z.string().min(1).max(200),
    causationId: z.string().min(1).max(200),
    actor: z.string().min(1).max(200),
    data: z.record(z.string(), z.unknown()),
  })
  .strict();

export type EventEnvelope<T extends string = string, D = Record<string, unknown>> = Omit<
  z.infer<typeof EventEnvelopeSchema>,
  'type' | 'data'
> & { type: T; data: D };

/** Who and why: travels with a command into every event it causes. */
export interface EventMetadata {
  tenant: string;
  actor: string;
  correlationId?: string;
  causationId?: string;
  /** Clock reading for the events; injected so deciders stay pure. */
  now?: Date;
}

/** An event as a decider emits it: the business fact, before the store stamps the envelope. */
export interface PendingEvent<T extends string = string, D = Record<string, unknown>> {
  type: T;
  data: D;
}

export function stampEvents(
  source: string,
  subject: string,
  fromVersion: number,
  events: readonly PendingEvent[],
  meta: EventMetadata,
): EventEnvelope[] {
  const time = (meta.now ?? new Date()).toISOString();
  const correlationId = meta.correlationId ?? randomUUID();
  return events.map((event, index) => {
    const id = randomUUID();
    return {
      id,
      type: event.type,
      source,
      subject,
      tenant: meta.tenant,
      version: fromVersion + index,
      time,
      correlationId,
      causationId: meta.causationId ?? correlationId,
      actor: meta.actor,
      data: event.data,
    };
  });
}
