import { baseEnvSchema, loadConfig, port } from '@sms/shared/config';
import { z } from 'zod';

export const authEnvSchema = baseEnvSchema.extend({
  PORT: port(8001),
  MONGO_DB: z.string().regex(/^[A-Za-z0-9_-]{1,38}$/).default('sms_auth'),
});

export type Config = z.infer<typeof authEnvSchema>;

/** The only place that reads process.env. */
export const readConfig = (env: NodeJS.ProcessEnv = process.env): Config => loadConfig(authEnvSchema, env);
