import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { TooManyRequestsError } from '@sms/shared/errors';
import { clientKey, createRateLimits } from './rate-limits';

const options = () => ({ keyPrefix: `test:gw:${randomUUID()}`, perClientPerMinute: 3, perUserPerMinute: 2, strictPerClientPerMinute: 1, deferMs: 5 });
/** Until the counts an instance did not wait for have reached Redis. */
const deferredCounted = () => new Promise((resolve) => setTimeout(resolve, 250));
const rejection = (p: Promise<void>) => p.then(() => undefined, (e: unknown) => e);

describe('createRateLimits (Redis)', () => {
  let redis: Redis;
  beforeAll(async () => {
    redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true, enableOfflineQueue: false, commandTimeout: 2000 });
    await redis.connect();
  });
  afterAll(() => redis.disconnect());

  it('answers over the limit with TooManyRequestsError and a Retry-After within the minute; shared across instances', async () => {
    const opts = options();
    const a = createRateLimits(redis, opts);
    const b = createRateLimits(redis, opts);
    await a.client('203.0.113.1');
    await b.client('203.0.113.1');
    await a.client('::ffff:203.0.113.1');
    await deferredCounted();
    const err = await rejection(b.client('203.0.113.1'));
    expect(err).toBeInstanceOf(TooManyRequestsError);
    expect((err as TooManyRequestsError).retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect((err as TooManyRequestsError).retryAfterSeconds).toBeLessThanOrEqual(60);
    await expect(a.client('203.0.113.2')).resolves.toBeUndefined();
    await a.strict('203.0.113.1');
    expect(await rejection(a.strict('203.0.113.1'))).toBeInstanceOf(TooManyRequestsError);
    await a.user('u1');
    await b.user('u1');
    await deferredCounted();
    expect(await rejection(a.user('u1'))).toBeInstanceOf(TooManyRequestsError);
  });
});

describe('createRateLimits without Redis', () => {
  it('does not open the gates: counts in memory and warns', async () => {
    const offline = new Redis({ host: '127.0.0.1', port: 1, lazyConnect: true, enableOfflineQueue: false, retryStrategy: () => null });
    offline.on('error', () => undefined);
    const warn = jest.fn();
    const limits = createRateLimits(offline, { ...options(), logger: { warn } });
    try {
      for (let i = 0; i < 3; i++) await limits.client('203.0.113.5');
      expect(await rejection(limits.client('203.0.113.5'))).toBeInstanceOf(TooManyRequestsError);
      expect(warn).toHaveBeenCalledTimes(1);
    } finally {
      offline.disconnect();
    }
  });
});

describe('clientKey', () => {
  it.each([
    ['203.0.113.7', '203.0.113.7'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['2001:db8:1:2:3:4:5:6', '2001:0db8:0001:0002::/64'],
    ['2001:db8:1:2::9', '2001:0db8:0001:0002::/64'],
    ['2001:db8::1', '2001:0db8:0000:0000::/64'],
    ['::1', '0000:0000:0000:0000::/64'],
  ])('%s → %s', (address, key) => expect(clientKey(address)).toBe(key));
});
