import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { TooManyRequestsError } from '@sms/shared/errors';
import { createLoginThrottle, loginAccountKey, type LoginThrottle } from './throttle';

/** Runs against the real Redis at 127.0.0.1:6379, each test under its own random key prefix. */
describe('createLoginThrottle (Redis)', () => {
  let redis: Redis;
  const prefixes: string[] = [];

  const makeThrottle = (): LoginThrottle => {
    const keyPrefix = `test:login:${randomUUID()}`;
    prefixes.push(keyPrefix);
    return createLoginThrottle(redis, { keyPrefix });
  };

  const blocked = async (promise: Promise<void>): Promise<TooManyRequestsError> => {
    const err: unknown = await promise.then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(TooManyRequestsError);
    return err as TooManyRequestsError;
  };

  beforeAll(async () => {
    redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true, enableOfflineQueue: false, commandTimeout: 2000 });
    await redis.connect();
  });

  afterAll(async () => {
    for (const prefix of prefixes) {
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
    }
    await redis.quit();
  });

  it('blocks an account after 5 failures, with a Retry-After of about the block time', async () => {
    const throttle = makeThrottle();
    const account = loginAccountKey('acme', 'alice');
    for (let i = 0; i < 4; i++) {
      await throttle.check(account, '203.0.113.1');
      await throttle.fail(account, '203.0.113.1');
    }
    await expect(throttle.check(account, '203.0.113.1')).resolves.toBeUndefined();
    await throttle.fail(account, '203.0.113.1');

    const err = await blocked(throttle.check(account, '203.0.113.1'));
    expect(err.retryAfterSeconds).toBeGreaterThan(0);
    expect(err.retryAfterSeconds).toBeLessThanOrEqual(900);
    expect(err.retryAfterSeconds).toBeGreaterThan(890);
    expect(err.status).toBe(429);
  });

  it('counts the account case-insensitively and keys live under the prefix', async () => {
    const throttle = makeThrottle();
    for (let i = 0; i < 5; i++) await throttle.fail(i % 2 ? 'ACME:Bob' : 'acme:bob', `198.51.100.${i}`);
    await blocked(throttle.check('Acme:BOB', '198.51.100.200'));
    expect(await redis.keys(`${prefixes.at(-1)}:acct:*`)).toEqual([`${prefixes.at(-1)}:acct:acme:bob`]);
  });

  it('a successful login resets the account counter', async () => {
    const throttle = makeThrottle();
    const account = 'acme:carol';
    for (let i = 0; i < 4; i++) await throttle.fail(account, '203.0.113.2');
    await throttle.succeed(account);
    for (let i = 0; i < 4; i++) await throttle.fail(account, '203.0.113.2');
    await expect(throttle.check(account, '203.0.113.2')).resolves.toBeUndefined();
    await throttle.fail(account, '203.0.113.2');
    await blocked(throttle.check(account, '203.0.113.2'));
  });

  it('different IPs do not unblock a blocked account', async () => {
    const throttle = makeThrottle();
    const account = 'acme:dave';
    for (let i = 0; i < 5; i++) await throttle.fail(account, `192.0.2.${i + 1}`);
    for (const ip of ['192.0.2.99', '2001:db8::1', '10.1.2.3']) await blocked(throttle.check(account, ip));
    // Other accounts from those IPs are unaffected.
    await expect(throttle.check('acme:erin', '192.0.2.99')).resolves.toBeUndefined();
  });

  it('the IP limit (20) blocks that IP across accounts, and not other IPs', async () => {
    const throttle = makeThrottle();
    const ip = '203.0.113.50';
    for (let i = 0; i < 19; i++) await throttle.fail(`acme:user${i}`, ip);
    await expect(throttle.check('acme:fresh', ip)).resolves.toBeUndefined();
    await throttle.fail('acme:user19', ip);

    const err = await blocked(throttle.check('acme:someone-else', ip));
    expect(err.retryAfterSeconds).toBeGreaterThan(0);
    // The same address seen as IPv4-mapped IPv6 is the same client.
    await blocked(throttle.check('acme:someone-else', `::ffff:${ip}`));
    await expect(throttle.check('acme:someone-else', '203.0.113.51')).resolves.toBeUndefined();
  });
});

describe('createLoginThrottle without Redis', () => {
  it('does not fail open: it throttles in memory and warns', async () => {
    // A closed loopback port and no reconnects: the client is never "ready", so every call goes to
    // the in-memory insurance limiter.
    const offline = new Redis({ host: '127.0.0.1', port: 1, lazyConnect: true, enableOfflineQueue: false, retryStrategy: () => null });
    offline.on('error', () => undefined);
    const warn = jest.fn();
    const throttle = createLoginThrottle(offline, { keyPrefix: `test:login:${randomUUID()}`, logger: { warn } });
    try {
      for (let i = 0; i < 5; i++) await throttle.fail('acme:frank', '203.0.113.9');
      const err: unknown = await throttle.check('acme:frank', '203.0.113.10').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TooManyRequestsError);
      expect((err as TooManyRequestsError).retryAfterSeconds).toBeGreaterThan(0);
      await throttle.succeed('acme:frank');
      await expect(throttle.check('acme:frank', '203.0.113.10')).resolves.toBeUndefined();
      expect(warn).toHaveBeenCalledTimes(1);
      expect(offline.status).not.toBe('ready');
    } finally {
      offline.disconnect();
    }
  });
});
