import { baseEnvSchema, loadConfig, port } from '@sms/shared/config';
import { z } from 'zod';

const serviceUrl = (fallback: string) => z.url({ protocol: /^https?$/ }).default(fallback);

export const gatewayEnvSchema = baseEnvSchema.extend({
  PORT: port(8000),
  AUTH_URL: serviceUrl('http://127.0.0.1:8001'),
  STUDENTS_URL: serviceUrl('http://127.0.0.1:8002'),
  ORGANIZATIONS_URL: serviceUrl('http://127.0.0.1:8003'),
});

export type Config = z.infer<typeof gatewayEnvSchema>;

export const readConfig = (env: NodeJS.ProcessEnv = process.env): Config => loadConfig(gatewayEnvSchema, env);
