import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { TooManyRequestsError } from '@sms/shared/errors';
import { createRateLimits } from './rate-limits';

// The gateway's Redis client auto-pipelines (service.ts): the counts issued in one turn of the event
// loop go out in one write. They must still be counted one by one, and Redis gone must still fall back.
const options = () => ({ keyPrefix: `test:gw:${randomUUID()}`, perClientPerMinute: 3, perUserPerMinute: 2, strictPerClientPerMinute: 1 });
const settle = (ps: Array<Promise<void>>) => Promise.allSettled(ps);

describe('createRateLimits over an auto-pipelining client', () => {
  describe('when Redis is up', () => {
    let redis: Redis;
    beforeAll(async () => {
      redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true, enableOfflineQueue: false, commandTimeout: 2000, enableAutoPipelining: true });
      await redis.connect();
    });
    afterAll(() => redis.disconnect());

    it('counts requests sent together one by one', async () => {
      const limits = createRateLimits(redis, options());
      const results = await settle([...Array.from({ length: 4 }, () => limits.client('203.0.113.9')), limits.user('u1'), limits.user('u1'), limits.user('u1')]);
      const refused = (rs: typeof results) => rs.filter((r) => r.status === 'rejected' && r.reason instanceof TooManyRequestsError).length;
      expect(refused(results.slice(0, 4))).toBe(1);
      expect(refused(results.slice(4))).toBe(1);
    });
  });

  describe('when Redis is unreachable', () => {
    it('does not open the gates', async () => {
      const offline = new Redis({ host: '127.0.0.1', port: 1, lazyConnect: true, enableOfflineQueue: false, retryStrategy: () => null, enableAutoPipelining: true });
      offline.on('error', () => undefined);
      const limits = createRateLimits(offline, options());
      try {
        const results = await settle(Array.from({ length: 4 }, () => limits.client('203.0.113.10')));
        expect(results.filter((r) => r.status === 'rejected' && r.reason instanceof TooManyRequestsError)).toHaveLength(1);
      } finally {
        offline.disconnect();
      }
    });
  });
});
