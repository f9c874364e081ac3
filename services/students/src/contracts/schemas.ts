import type { z } from 'zod';
import { envelopeOf, eventSchemas, type JsonObject } from '@sms/shared/openapi';
import { studentEvents } from '../domain/student.events';
import { studentsContract } from './asyncapi';

/** A JSON Schema document as plain data. */
export type JsonSchema = JsonObject;

/** The zod schema of every students event's whole message (envelope and data), keyed by event type. */
export const studentEnvelopeSchemas = (): Record<string, z.ZodType> => Object.fromEntries(studentEvents.map((d) => [d.type, envelopeOf(d)]));

/** JSON Schema (draft 2020-12 unless told) of every students event, envelope and data, keyed by event type. */
export const studentEventSchemas = (target?: 'draft-2020-12' | 'draft-7'): Record<string, JsonSchema> => eventSchemas(studentsContract(), target);
