import { resolve } from 'node:path';
import { baseEnvSchema, loadConfig, port } from '@sms/shared/config';
import { z } from 'zod';

export const authEnvSchema = baseEnvSchema.extend({
  PORT: port(8001),
  MONGO_DB: z.string().regex(/^[A-Za-z0-9_-]{1,38}$/).default('sms_auth'),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must be a redis:// URL').default('redis://127.0.0.1:6379'),
  JWT_ISSUER: z.string().min(1).default('student-platform'),
  JWT_AUDIENCE: z.string().min(1).default('student-platform-api'),
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(86_400).default(900),
  REFRESH_TOKEN_TTL_SECONDS: z.coerce.number().int().min(300).max(90 * 86_400).default(30 * 86_400),
  BCRYPT_COST: z.coerce.number().int().min(4).max(15).default(12),
  /** Concatenated PKCS#8 PEM private keys, current first; required in production. */
  AUTH_SIGNING_KEYS: z.string().optional(),
  /** Where a development signing key is generated once and kept. */
  AUTH_KEY_DIR: z.string().default(resolve(__dirname, '..', '..', '..', '.local', 'auth-keys')),
  /** Which peers may name the client address in X-Forwarded-For (express `trust proxy`): the gateway. */
  TRUST_PROXY: z.string().default('loopback'),
  DEFAULT_ORGANIZATION: z.string().min(1).max(100).default('default'),
  THROTTLE_KEY_PREFIX: z.string().min(1).default('auth:login'),
  /** The topic auth's events go to (tests give each run its own). */
  EVENTS_TOPIC: z.string().regex(/^[A-Za-z0-9._-]{1,200}$/).default('auth.events'),
  /** The organizations' topic, whose deletions this service reacts to. */
  ORGANIZATIONS_EVENTS_TOPIC: z.string().regex(/^[A-Za-z0-9._-]{1,200}$/).default('organizations.events'),
});

export type Config = z.infer<typeof authEnvSchema>;

/** The only place that reads process.env. */
export const readConfig = (env: NodeJS.ProcessEnv = process.env): Config => loadConfig(authEnvSchema, env);
