import { baseEnvSchema, loadConfig, port } from '@sms/shared/config';
import { z } from 'zod';

export const organizationsEnvSchema = baseEnvSchema.extend({
  PORT: port(8003),
  MONGO_DB: z.string().regex(/^[A-Za-z0-9_-]{1,38}$/).default('sms_organizations'),
});

export type Config = z.infer<typeof organizationsEnvSchema>;

/** The only place that reads process.env. */
export const readConfig = (env: NodeJS.ProcessEnv = process.env): Config => loadConfig(organizationsEnvSchema, env);
