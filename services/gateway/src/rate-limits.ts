/**
 * The gateway's rate limits, shared by every gateway instance through Redis (rate-limiter-flexible):
 * - per client address, on every proxied route (`RATE_LIMIT_PER_MINUTE`);
 * - per client address, on the credential and creation routes marked `strict` in the policy table
 *   (login, signup, admin-signup, refresh, organization creation; one budget for all of them,
 *   `RATE_LIMIT_AUTH_PER_MINUTE`);
 * - per user (the verified token's `sub`), on routes that need a token (`RATE_LIMIT_USER_PER_MINUTE`).
 * Over a limit: TooManyRequestsError, a 429 problem with `Retry-After` written by the problem handler.
 *
 * A request waits for Redis's count only near a general limit, and the counts it does not wait for go
 * to Redis a key at a time (countAhead, below).
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
  /** Longest a count not waited for is kept before it goes to Redis (countAhead; 50 ms by default). */
  deferMs?: number;
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

  const consume = async (counted: Promise<unknown>, what: string) => {
    warnIfDegraded();
    try {
      await counted;
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
      throw new TooManyRequestsError(`too many requests ${what}; try again later`, Math.max(1, Math.ceil(err.msBeforeNext / 1000)));
    }
  };
  // The general limits count ahead (countAhead, below); the strict one always waits for Redis.
  const clientAhead = countAhead(byClient, opts.perClientPerMinute, opts.deferMs);
  const userAhead = countAhead(byUser, opts.perUserPerMinute, opts.deferMs);

  return {
    client: (address) => consume(clientAhead(clientKey(address)), 'from this client'),
    strict: (address) => consume(strict.consume(clientKey(address)), 'to sign in or sign up from this client'),
    user: (sub) => consume(userAhead(sub), 'for this user'),
  };
}

/** Share of a limit below which a count need not be waited for. */
const HEADROOM = 0.8;
/** Keys whose last count is remembered (client addresses and users); the oldest is forgotten first. */
const KNOWN_KEYS = 50_000;
/** Longest a count that was not waited for stays here before it goes to Redis with the others of its key. */
const DEFER_MS = 50;

/**
 * A request waits for Redis's count only near the limit. Each key's last count from Redis (and when
 * its window ends) is kept here with this instance's counts not yet answered; while those together
 * stay within 80% of the limit, the request goes on at once and its count is deferred: a key's
 * deferred counts go to Redis together, as one increment, within `deferMs` (the Redis round trip was
 * the largest part of the gateway's added latency, and one command per request was a tenth of its
 * CPU). Beyond 80%, or for a key not seen yet in its window, the request waits for Redis's answer
 * (its own count and the key's deferred ones, sent at once), and over the limit it is refused.
 *
 * Exact for a single gateway: its own deferred and unanswered counts are included, and Redis answers
 * in order. With several gateways, one that has not heard Redis for a key since the others pushed it
 * past 80% can let through what reaches it before its next answer for that key (the deferral plus
 * one round trip), so the limit can be exceeded by about that much per instance. Counts deferred when
 * an instance stops (at most `deferMs` of them) are not made. The strict limits (login, signup,
 * organization creation) always wait.
 */
export function countAhead(limiter: Pick<RateLimiterRedis, 'consume'>, points: number, deferMs = DEFER_MS): (key: string) => Promise<unknown> {
  interface Entry { consumed: number; resetAt: number; inFlight: number; deferred: number }
  const known = new Map<string, Entry>();
  const note = (key: string, res: RateLimiterRes) => {
    const entry = known.get(key);
    const resetAt = Date.now() + res.msBeforeNext;
    if (entry) Object.assign(entry, { consumed: res.consumedPoints, resetAt });
    else {
      if (known.size >= KNOWN_KEYS) forget(known.keys().next().value!);
      known.set(key, { consumed: res.consumedPoints, resetAt, inFlight: 0, deferred: 0 });
    }
  };
  /**
   * `n` counts of a key to Redis; until the answer they are in flight. A key not known yet gets an
   * entry at once (with no window, so nothing goes ahead on it) so that its first counts in flight are
   * still included once the first answer has come back.
   */
  const send = (key: string, n: number): Promise<unknown> => {
    let entry = known.get(key);
    if (!entry) {
      if (known.size >= KNOWN_KEYS) forget(known.keys().next().value!);
      entry = { consumed: 0, resetAt: 0, inFlight: 0, deferred: 0 };
      known.set(key, entry);
    }
    entry.inFlight += n;
    return limiter.consume(key, n).then(
      (res) => note(key, res),
      (err: unknown) => {
        if (err instanceof RateLimiterRes) note(key, err);
        throw err;
      },
    ).finally(() => {
      entry.inFlight -= n;
    });
  };
  // Refused or failed in the background: noted above for the next request; the deferred ones have gone on.
  const sendDeferred = (key: string, entry: Entry) => {
    const n = entry.deferred;
    entry.deferred = 0;
    if (n > 0) send(key, n).catch(() => undefined);
  };
  const forget = (key: string) => {
    const entry = known.get(key)!;
    sendDeferred(key, entry);
    known.delete(key);
  };
  const due = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    timer = undefined;
    for (const key of due) {
      const entry = known.get(key);
      if (entry) sendDeferred(key, entry);
    }
    due.clear();
  };

  return (key) => {
    const entry = known.get(key);
    if (entry !== undefined && Date.now() < entry.resetAt && entry.consumed + entry.inFlight + entry.deferred + 1 <= points * HEADROOM) {
      entry.deferred += 1;
      due.add(key);
      timer ??= setTimeout(flush, deferMs).unref();
      return Promise.resolve();
    }
    const n = 1 + (entry?.deferred ?? 0);
    if (entry) entry.deferred = 0;
    return send(key, n);
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
