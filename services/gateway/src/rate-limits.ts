/**
 * The gateway's rate limits, shared by every gateway instance through Redis (rate-limiter-flexible):
 * - per client address, on every proxied route (`RATE_LIMIT_PER_MINUTE`);
 * - per client address, on the credential and creation routes marked `strict` in the policy table
 *   (login, signup, admin-signup, refresh, organization creation; one budget for all of them,
 *   `RATE_LIMIT_AUTH_PER_MINUTE`);
 * - per user (the verified token's `sub`), on routes that need a token (`RATE_LIMIT_USER_PER_MINUTE`).
 * Over a limit: TooManyRequestsError, a 429 problem with `Retry-After` written by the problem handler.
 *
 * When Redis is unreachable or slow the limits do not open: each call falls back to an in-memory
 * insurance limiter with the same limits (per instance rather than cluster-wide) until Redis is back.
 */
import { isIPv6 } from 'node:net';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { TooManyRequestsError } from '@sms/shared/errors';

export interface RateLimitOptions {
  keyPrefix: string;
  perClientPerMinute: number;
  perUserPerMinute: number;
  strictPerClientPerMinute: number;
  /** Told (at most once a minute) when Redis is not ready and the in-memory fallback is used. */
  logger?: { warn(obj: object, msg?: string): void };
}

export interface RateLimits {
  /** Every request, by client address. */
  client(address: string): Promise<void>;
  /** The strict routes, by client address. */
  strict(address: string): Promise<void>;
  /** Requests with a verified token, by user. */
  user(sub: string): Promise<void>;
}

export function createRateLimits(redis: Redis, opts: RateLimitOptions): RateLimits {
  const limiter = (name: string, points: number) => {
    const keyPrefix = `${opts.keyPrefix}:${name}`;
    return new RateLimiterRedis({
      storeClient: redis,
      keyPrefix,
      points,
      duration: 60,
      rejectIfRedisNotReady: true,
      insuranceLimiter: new RateLimiterMemory({ keyPrefix, points, duration: 60 }),
    });
  };
  const byClient = limiter('client', opts.perClientPerMinute);
  const byUser = limiter('user', opts.perUserPerMinute);
  const strict = limiter('strict', opts.strictPerClientPerMinute);

  let lastWarning = 0;
  const warnIfDegraded = () => {
    if (redis.status === 'ready' || !opts.logger || Date.now() - lastWarning < 60_000) return;
    lastWarning = Date.now();
    opts.logger.warn({ redisStatus: redis.status }, 'Redis not ready: rate limits fall back to this instance\'s memory');
  };

  const consume = async (l: RateLimiterRedis, key: string, what: string) => {
    warnIfDegraded();
    try {
      await l.consume(key);
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
      throw new TooManyRequestsError(`too many requests ${what}; try again later`, Math.max(1, Math.ceil(err.msBeforeNext / 1000)));
    }
  };

  return {
    client: (address) => consume(byClient, clientKey(address), 'from this client'),
    strict: (address) => consume(strict, clientKey(address), 'to sign in or sign up from this client'),
    user: (sub) => consume(byUser, sub, 'for this user'),
  };
}

/**
 * One key per client: an IPv4-mapped IPv6 address counts as its IPv4 form, and an IPv6 address as
 * its /64 (a single host usually holds a whole /64, so one key per address would be no limit).
 */
export function clientKey(address: string): string {
  const lower = address.trim().toLowerCase();
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(lower);
  if (mapped?.[1]) return mapped[1];
  if (!isIPv6(lower)) return lower;
  const [head = '', tail = ''] = lower.split('%')[0]!.split('::');
  const left = head ? head.split(':') : [];
  const right = lower.includes('::') ? (tail ? tail.split(':') : []) : [];
  const groups = lower.includes('::') ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((g) => g.padStart(4, '0')).join(':')}::/64`;
}
