import { baseEnvSchema, loadConfig, port } from '@sms/shared/config';
import { z } from 'zod';

export const studentsEnvSchema = baseEnvSchema.extend({
  PORT: port(8002),
  MONGO_DB: z.string().regex(/^[A-Za-z0-9_-]{1,38}$/).default('sms_students'),
  /** auth's public keys: tokens are verified here too (defence in depth), not only at the gateway. */
  AUTH_JWKS_URL: z.url({ protocol: /^https?$/ }).default('http://127.0.0.1:8001/.well-known/jwks.json'),
  JWT_ISSUER: z.string().min(1).default('student-platform'),
  JWT_AUDIENCE: z.string().min(1).default('student-platform-api'),
  /** The topic the students events go to (tests give each run its own). */
  EVENTS_TOPIC: z.string().regex(/^[A-Za-z0-9._-]{1,200}$/).default('students.events'),
  /** Largest CSV import accepted, in bytes (413 beyond; counted as the upload streams in, never buffered past it). */
  IMPORT_MAX_BYTES: z.coerce.number().int().min(1024).max(64 * 1024 * 1024).default(5 * 1024 * 1024),
  /** The organizations' topic, whose deletions this service reacts to. */
  ORGANIZATIONS_EVENTS_TOPIC: z.string().regex(/^[A-Za-z0-9._-]{1,200}$/).default('organizations.events'),
});

export type Config = z.infer<typeof studentsEnvSchema>;

/** The only place that reads process.env. */
export const readConfig = (env: NodeJS.ProcessEnv = process.env): Config => loadConfig(studentsEnvSchema, env);
