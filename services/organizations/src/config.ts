import { baseEnvSchema, loadConfig, port } from '@sms/shared/config';
import { z } from 'zod';

const topic = (name: string) => z.string().regex(/^[A-Za-z0-9._-]{1,200}$/).default(name);

export const organizationsEnvSchema = baseEnvSchema.extend({
  PORT: port(8003),
  MONGO_DB: z.string().regex(/^[A-Za-z0-9_-]{1,38}$/).default('sms_organizations'),
  /** auth: the first admin of a new organization is created there (internal API, INTERNAL_API_TOKEN). */
  AUTH_URL: z.url({ protocol: /^https?$/ }).default('http://127.0.0.1:8001'),
  AUTH_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
  /** auth's public keys: tokens are verified here too (defence in depth), not only at the gateway. */
  AUTH_JWKS_URL: z.url({ protocol: /^https?$/ }).default('http://127.0.0.1:8001/.well-known/jwks.json'),
  JWT_ISSUER: z.string().min(1).default('student-platform'),
  JWT_AUDIENCE: z.string().min(1).default('student-platform-api'),
  EVENTS_TOPIC: topic('organizations.events'),
  /** auth's topic: each organization's member directory (`org_<name>`) is built from its user events. */
  AUTH_EVENTS_TOPIC: topic('auth.events'),
  /** A creation unfinished for this long (its process died half-way) is completed or compensated by the sweeper. */
  CREATION_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(60_000),
});

export type Config = z.infer<typeof organizationsEnvSchema>;

/** The only place that reads process.env. */
export const readConfig = (env: NodeJS.ProcessEnv = process.env): Config => loadConfig(organizationsEnvSchema, env);
