import { baseEnvSchema, loadConfig, port } from '@sms/shared/config';
import { z } from 'zod';

export const studentsEnvSchema = baseEnvSchema.extend({
  PORT: port(8002),
  MONGO_DB: z.string().regex(/^[A-Za-z0-9_-]{1,38}$/).default('sms_students'),
});

export type Config = z.infer<typeof studentsEnvSchema>;

/** The only place that reads process.env. */
export const readConfig = (env: NodeJS.ProcessEnv = process.env): Config => loadConfig(studentsEnvSchema, env);
