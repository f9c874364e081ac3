/**
 * Login throttling per account and per client IP (DESIGN.md §4), shared by every auth instance
 * through Redis (rate-limiter-flexible's RateLimiterRedis).
 *
 * Only *failed* logins are counted:
 * - per account (`org:username`, lowercased): 5 failures within 15 minutes block the account for
 *   15 minutes, whatever IP the next attempts come from (slows a distributed guess at one account);
 * - per client IP: 20 failures within 15 minutes block that IP for 15 minutes, whatever accounts it
 *   tries next (slows one client spraying many accounts).
 * A successful login resets the account counter (not the IP's).
 *
 * Use in the login handler, for known and unknown usernames alike (so both answer the same):
 *
 *   await throttle.check(account, ip);          // throws TooManyRequestsError (429 + Retry-After)
 *   const ok = user ? await hasher.verify(pw, user.hash) : (await hasher.dummyVerify(), false);
 *   if (!ok) { await throttle.fail(account, ip); throw new UnauthorizedError(...); }
 *   await throttle.succeed(account);
 *
 * `ip` is the address the server sees (req.socket.remoteAddress, or express's req.ip only when
 * `trust proxy` is set to the exact proxies in front of us). This module never reads
 * X-Forwarded-For: a client could write any value there and get a fresh counter per request.
 *
 * When Redis is unreachable the limiter does NOT fail open: each call falls back to an in-memory
 * insurance limiter (RateLimiterMemory, same limits) in this process, so throttling goes on, per
 * instance rather than cluster-wide, until Redis is back; a warning is logged. Calls fall back at
 * once when the ioredis client is not "ready" (`rejectIfRedisNotReady`), instead of waiting in
 * ioredis's offline queue. Give the client a `commandTimeout` so a Redis that accepts connections
 * but hangs also errors (and so falls back) instead of stalling logins.
 */
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { TooManyRequestsError } from '@sms/shared/errors';

export interface LoginThrottleOptions {
  /** Prefix of every Redis key; distinct per test or environment. Default `auth:login`. */
  keyPrefix?: string;
  /** Failures per account within the window before the account is blocked. Default 5. */
  maxFailuresPerAccount?: number;
  /** Failures per IP within the window before the IP is blocked. Default 20. */
  maxFailuresPerIp?: number;
  /** Counting window in seconds. Default 900 (15 min). */
  windowSeconds?: number;
  /** How long a blocked account or IP stays blocked, in seconds. Default 900 (15 min). */
  blockSeconds?: number;
  /** Told when Redis is not ready and the in-memory fallback is used (at most once a minute). */
  logger?: { warn(obj: object, msg?: string): void };
}

export interface LoginThrottle {
  /** Throws TooManyRequestsError (with retryAfterSeconds > 0) when the account or the IP is blocked. */
  check(account: string, ip: string): Promise<void>;
  /** Counts one failed login against the account and the IP; blocks either when it reaches its limit. */
  fail(account: string, ip: string): Promise<void>;
  /** Clears the account's failure count after a successful login. */
  succeed(account: string): Promise<void>;
}

/** The throttle's account key for a user of an organization. */
export function loginAccountKey(org: string, username: string): string {
  return `${org}:${username}`;
}

const BLOCKED_MESSAGE = 'Too many failed login attempts; try again later';

export function createLoginThrottle(redis: Redis, opts: LoginThrottleOptions = {}): LoginThrottle {
  const prefix = opts.keyPrefix ?? 'auth:login';
  const maxAccount = positiveInt(opts.maxFailuresPerAccount ?? 5, 'maxFailuresPerAccount');
  const maxIp = positiveInt(opts.maxFailuresPerIp ?? 20, 'maxFailuresPerIp');
  const duration = positiveInt(opts.windowSeconds ?? 900, 'windowSeconds');
  const blockSeconds = positiveInt(opts.blockSeconds ?? 900, 'blockSeconds');

  const limiter = (keyPrefix: string, points: number) =>
    new RateLimiterRedis({
      storeClient: redis,
      keyPrefix,
      points,
      duration,
      blockDuration: blockSeconds,
      rejectIfRedisNotReady: true,
      insuranceLimiter: new RateLimiterMemory({ keyPrefix, points, duration, blockDuration: blockSeconds }),
    });
  const byAccount = { limiter: limiter(`${prefix}:acct`, maxAccount), max: maxAccount };
  const byIp = { limiter: limiter(`${prefix}:ip`, maxIp), max: maxIp };

  let lastWarning = 0;
  const warnIfDegraded = () => {
    if (redis.status === 'ready' || !opts.logger) return;
    const now = Date.now();
    if (now - lastWarning < 60_000) return;
    lastWarning = now;
    opts.logger.warn({ redisStatus: redis.status }, 'Redis not ready: login throttling falls back to this instance\'s memory');
  };

  /** Seconds before the key is free again when it is blocked; 0 when it is not. */
  const blockedFor = async ({ limiter: l, max }: typeof byAccount, key: string): Promise<number> => {
    const res = await l.get(key);
    if (!res || res.consumedPoints < max) return 0;
    return Math.max(1, Math.ceil(res.msBeforeNext / 1000));
  };

  const countFailure = async ({ limiter: l, max }: typeof byAccount, key: string): Promise<void> => {
    try {
      const res = await l.consume(key);
      // Exactly one failure (INCR is atomic) reaches the limit: it starts a full block from now on,
      // rather than letting the block end with the window that began at the first failure.
      if (res.consumedPoints === max) await l.block(key, blockSeconds);
    } catch (err) {
      // A RateLimiterRes rejection means "already over the limit": it is blocked already.
      if (!(err instanceof RateLimiterRes)) throw err;
    }
  };

  return {
    async check(account, ip) {
      warnIfDegraded();
      const [accountSeconds, ipSeconds] = await Promise.all([
        blockedFor(byAccount, accountKey(account)),
        blockedFor(byIp, ipKey(ip)),
      ]);
      const retryAfter = Math.max(accountSeconds, ipSeconds);
      if (retryAfter > 0) throw new TooManyRequestsError(BLOCKED_MESSAGE, retryAfter);
    },
    async fail(account, ip) {
      warnIfDegraded();
      await Promise.all([countFailure(byAccount, accountKey(account)), countFailure(byIp, ipKey(ip))]);
    },
    async succeed(account) {
      warnIfDegraded();
      await byAccount.limiter.delete(accountKey(account));
    },
  };
}

function accountKey(account: string): string {
  return account.normalize('NFKC').toLowerCase();
}

/** One key per address: an IPv4-mapped IPv6 address (`::ffff:203.0.113.7`) counts as its IPv4 form. */
function ipKey(ip: string): string {
  const lower = ip.trim().toLowerCase();
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(lower);
  return mapped?.[1] ?? lower;
}

function positiveInt(value: number, name: string): number {
  if (!Number.isInteger(value) || value <= 0) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}
