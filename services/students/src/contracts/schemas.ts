import { z } from 'zod';
import { EventEnvelopeSchema, type EventDefinition } from '@sms/shared/events';
import { studentEvents } from '../domain/student.events';

/** A JSON Schema document as plain data. */
export type JsonSchema = { [key: string]: unknown };

/** Where the service serves its contract (public: no token; the gateway may aggregate it). */
export const CONTRACT_PATH = '/contracts/students';
/** The topic named by the published contract (a deployment may configure another, `EVENTS_TOPIC`). */
export const DEFAULT_EVENTS_TOPIC = 'students.events';

const descriptions: Record<string, string> = {
  'students.student.created.v1': 'A student was added to an organization. Subject = `<org>:<id>`, tenant = the organization, version 1.',
  'students.student.updated.v1':
    'Some fields of a student changed: `changed` holds only those fields (`null` clears `email` / `date_of_birth`), `previous` their old values.',
  'students.student.deleted.v1': 'A student was deleted. It is the last event of its stream.',
};

/** The whole message of one event type: the shared envelope with the type fixed and the data of that type. */
export function envelopeSchemaOf(definition: EventDefinition) {
  return EventEnvelopeSchema.extend({ type: z.literal(definition.type), data: definition.schema }).strict();
}

export const studentEnvelopeSchemas = (): Record<string, z.ZodType> =>
  Object.fromEntries(studentEvents.map((d) => [d.type, envelopeSchemaOf(d)]));

function jsonSchemaOf(definition: EventDefinition, target: 'draft-2020-12' | 'draft-7'): JsonSchema {
  const generated = z.toJSONSchema(envelopeSchemaOf(definition), { target }) as JsonSchema;
  const { $schema, ...rest } = generated;
  return {
    ...(target === 'draft-2020-12' ? { $schema } : {}),
    title: definition.type,
    ...(descriptions[definition.type] ? { description: descriptions[definition.type] } : {}),
    ...rest,
  };
}

/** JSON Schema (draft 2020-12) of every students event, envelope and data, keyed by event type. */
export function studentEventSchemas(target: 'draft-2020-12' | 'draft-7' = 'draft-2020-12'): Record<string, JsonSchema> {
  return Object.fromEntries(studentEvents.map((d) => [d.type, jsonSchemaOf(d, target)]));
}
