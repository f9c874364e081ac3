import { z } from 'zod';
import { EventEnvelopeSchema, type EventEnvelope } from './envelope';

export interface EventDefinition<T extends string = string, S extends z.ZodType = z.ZodType> {
  type: T;
  schema: S;
}

/** A payload is defined once as a zod schema; its type is derived from it. */
export function defineEvent<T extends string, S extends z.ZodType>(type: T, schema: S): EventDefinition<T, S> {
  return { type, schema };
}

export type EventOf<D> = D extends EventDefinition<infer T, infer S> ? EventEnvelope<T, z.infer<S>> : never;

export type ParseOutcome =
  | { kind: 'event'; event: EventEnvelope }
  | { kind: 'unknown-type'; type: string }
  | { kind: 'malformed'; reason: string };

/** Types known to a consumer; parses raw bytes from Kafka into validated envelopes. */
export class EventRegistry {
  private readonly byType = new Map<string, EventDefinition>();

  constructor(definitions: readonly EventDefinition[] = []) {
    for (const d of definitions) this.register(d);
  }

  register(definition: EventDefinition): this {
    if (this.byType.has(definition.type)) throw new Error(`event type registered twice: ${definition.type}`);
    this.byType.set(definition.type, definition);
    return this;
  }

  has(type: string): boolean {
    return this.byType.has(type);
  }

  types(): string[] {
    return [...this.byType.keys()];
  }

  /** Validates an envelope about to be appended: its type must be known and its data valid. */
  validate(event: EventEnvelope): EventEnvelope {
    const outcome = this.parseValue(event);
    if (outcome.kind === 'event') return outcome.event;
    throw new Error(outcome.kind === 'malformed' ? outcome.reason : `unregistered event type ${outcome.type}`);
  }

  parse(raw: Buffer | string | null): ParseOutcome {
    if (raw === null) return { kind: 'malformed', reason: 'message has no value' };
    let value: unknown;
    try {
      value = JSON.parse(raw.toString('utf8'));
    } catch {
      return { kind: 'malformed', reason: 'message value is not valid JSON' };
    }
    return this.parseValue(value);
  }

  parseValue(value: unknown): ParseOutcome {
    const envelope = EventEnvelopeSchema.safeParse(value);
    if (!envelope.success) return { kind: 'malformed', reason: `invalid envelope: ${summarize(envelope.error)}` };
    const definition = this.byType.get(envelope.data.type);
    if (!definition) return { kind: 'unknown-type', type: envelope.data.type };
    const data = definition.schema.safeParse(envelope.data.data);
    if (!data.success) return { kind: 'malformed', reason: `invalid data for ${envelope.data.type}: ${summarize(data.error)}` };
    return { kind: 'event', event: { ...envelope.data, data: data.data as Record<string, unknown> } };
  }
}

function summarize(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    .join('; ');
}
