import { z } from 'zod';

/** Thrown when the environment does not describe a runnable service; one line per bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** A secret's development default. Production refuses to start while a secret still holds it. */
export const DEV_SECRET_PREFIX = 'dev-only-';

export const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

export const commaList = z
  .string()
  .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
  .pipe(z.array(z.string()).min(1));

/** Variables every service reads. Services extend this with their own. */
export const baseEnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  HOST: z.string().default('127.0.0.1'),
  KAFKA_BROKERS: commaList.default(['127.0.0.1:9092']),
  MONGO_URL: z.string().regex(/^mongodb(\+srv)?:\/\//, 'must be a mongodb:// URL').default('mongodb://127.0.0.1:27017'),
  BODY_LIMIT: z.string().regex(/^\d+(b|kb|mb)$/i, 'must look like 100kb or 1mb').default('100kb'),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
  /** Shared secret for the documented service-to-service calls (never forwarded by the gateway). */
  INTERNAL_API_TOKEN: z.string().min(24, 'must be at least 24 characters').default(`${DEV_SECRET_PREFIX}internal-token-change-me`),
});

export type BaseConfig = z.infer<typeof baseEnvSchema>;

/** Keys whose values are secrets: checked against development defaults in production. */
const SECRET_KEY = /(SECRET|TOKEN|PASSWORD|PRIVATE_KEY)$/;

/**
 * Parses the environment with a zod object schema. Returns a frozen config, or throws a ConfigError
 * naming every bad variable at once (never its value: it may be a secret).
 */
export function loadConfig<S extends z.ZodObject>(schema: S, env: NodeJS.ProcessEnv = process.env): Readonly<z.infer<S>> {
  const result = schema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(environment)'}: ${issue.message}`);
    throw new ConfigError(problems);
  }
  const config = result.data as Record<string, unknown>;
  if (config.NODE_ENV === 'production') {
    const defaults = Object.entries(config)
      .filter(([key, value]) => SECRET_KEY.test(key) && typeof value === 'string' && value.startsWith(DEV_SECRET_PREFIX))
      .map(([key]) => `${key}: still holds its development default; set a real secret in production`);
    if (defaults.length > 0) throw new ConfigError(defaults);
  }
  return Object.freeze(result.data);
}
