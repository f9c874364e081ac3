import { baseEnvSchema, DEV_SECRET_PREFIX, loadConfig, port } from '@sms/shared/config';
import { z } from 'zod';

const serviceUrl = (fallback: string) => z.url({ protocol: /^https?$/ }).default(fallback);
const perMinute = (fallback: number) => z.coerce.number().int().min(1).max(1_000_000).default(fallback);

/** An exact origin: scheme, host and port, nothing else (no path, no trailing slash, no `*`). */
const isOrigin = (value: string): boolean => {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === value;
  } catch {
    return false;
  }
};

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
  /** Deleted organizations come from here: every token of one is refused. */
  ORGANIZATIONS_EVENTS_TOPIC: z.string().regex(/^[A-Za-z0-9._-]{1,200}$/).default('organizations.events'),
  /** A service that has not answered within this time gets the client a 504. */
  PROXY_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  /**
   * Circuit breaker per service (breaker.ts): it opens when more than this percentage of the calls
   * within the window failed (refused, timed out, 502/503/504)...
   */
  BREAKER_ERROR_THRESHOLD_PERCENT: z.coerce.number().int().min(1).max(99).default(50),
  /** ... and at least this many calls went to the service within the window. */
  BREAKER_VOLUME_THRESHOLD: z.coerce.number().int().min(1).max(100_000).default(5),
  /** The rolling window the failures are counted in. */
  BREAKER_WINDOW_MS: z.coerce.number().int().min(1_000).max(600_000).default(10_000),
  /** How long an open breaker answers 503 without calling the service before it lets one probe through. */
  BREAKER_RESET_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(5_000),
  /**
   * Which peers may name the client in X-Forwarded-For / X-Forwarded-Proto (express `trust proxy`):
   * `false` (default: nobody, the socket address is the client), a hop count, or a comma-separated
   * list of addresses, subnets or express's names (`loopback`, `uniquelocal`, `linklocal`).
   * `true` (trust anyone) is refused: any client could then pick its own rate-limit key.
   */
  TRUST_PROXY: z
    .string()
    .trim()
    .default('false')
    .refine((v) => v.toLowerCase() !== 'true', 'trusting every proxy would let clients choose their address; name the proxies'),
  /** The shared store of the rate limits. */
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must be a redis:// URL').default('redis://127.0.0.1:6379'),
  /** Prefix of every rate-limit key in Redis (distinct per environment or test run). */
  RATE_LIMIT_PREFIX: z.string().min(1).default('gw:rl'),
  /** Requests per minute per client address, on every route. */
  RATE_LIMIT_PER_MINUTE: perMinute(300),
  /** Requests per minute per user (token `sub`), on routes that need a token. */
  RATE_LIMIT_USER_PER_MINUTE: perMinute(600),
  /** Requests per minute per client address to login, signup, admin-signup, refresh and organization creation, together. */
  RATE_LIMIT_AUTH_PER_MINUTE: perMinute(10),
  /** Exact origins allowed to call the API from a browser, comma-separated; empty: no CORS headers at all. */
  CORS_ORIGINS: z
    .string()
    .default('')
    .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
    .pipe(z.array(z.string().refine(isOrigin, 'each entry must be an exact origin such as https://app.example.com'))),
  /** Send `Access-Control-Allow-Credentials: true` to the allowed origins (never with `*`: the gateway never sends `*`). */
  CORS_CREDENTIALS: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
  /** How long a browser may cache a preflight answer. */
  CORS_MAX_AGE_SECONDS: z.coerce.number().int().min(0).max(86_400).default(600),
  /** Key of the HMAC that binds ClickBit's CSRF tokens to their session; the same on every instance. */
  /** Declared size limit of a students CSV upload (at least the students service's IMPORT_MAX_BYTES); BODY_LIMIT for everything else. */
  IMPORT_BODY_LIMIT: z.string().regex(/^\d+(b|kb|mb)$/i, 'must look like 5mb').default('5mb'),
  CSRF_SECRET: z.string().min(32, 'must be at least 32 characters').default(`${DEV_SECRET_PREFIX}csrf-secret-change-me-0123456789`),
});

export type Config = z.infer<typeof gatewayEnvSchema>;

export const readConfig = (env: NodeJS.ProcessEnv = process.env): Config => loadConfig(gatewayEnvSchema, env);

/** TRUST_PROXY as express's `trust proxy` setting. */
export function trustProxySetting(value: string): false | number | string[] {
  if (value === '' || value.toLowerCase() === 'false') return false;
  if (/^\d+$/.test(value)) return Number(value);
  return value.split(',').map((x) => x.trim()).filter(Boolean);
}
