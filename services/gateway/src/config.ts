import { baseEnvSchema, loadConfig, port } from '@sms/shared/config';
import { z } from 'zod';

const serviceUrl = (fallback: string) => z.url({ protocol: /^https?$/ }).default(fallback);

export const gatewayEnvSchema = baseEnvSchema.extend({
  PORT: port(8000),
  AUTH_URL: serviceUrl('http://127.0.0.1:8001'),
  STUDENTS_URL: serviceUrl('http://127.0.0.1:8002'),
  ORGANIZATIONS_URL: serviceUrl('http://127.0.0.1:8003'),
  JWT_ISSUER: z.string().min(1).default('student-platform'),
  JWT_AUDIENCE: z.string().min(1).default('student-platform-api'),
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(86_400).default(900),
  /** auth's topic, read for revocations. */
  AUTH_EVENTS_TOPIC: z.string().regex(/^[A-Za-z0-9._-]{1,200}$/).default('auth.events'),
  /** A service that has not answered within this time gets the client a 504. */
  PROXY_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
});

export type Config = z.infer<typeof gatewayEnvSchema>;

export const readConfig = (env: NodeJS.ProcessEnv = process.env): Config => loadConfig(gatewayEnvSchema, env);
