import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { countAhead } from './rate-limits';

/** A real (in-memory) limiter whose answers are held until the test releases them: Redis, slowed down at will. */
function heldLimiter(points: number) {
  const memory = new RateLimiterMemory({ points, duration: 60 });
  const held: Array<() => void> = [];
  const sent: Array<[string, number]> = [];
  return {
    held,
    sent,
    release: () => held.splice(0).forEach((go) => go()),
    consume: (key: string, points = 1) => {
      sent.push([key, points]);
      return new Promise<RateLimiterRes>((resolve, reject) => held.push(() => void memory.consume(key, points).then(resolve, reject)));
    },
  };
}
const state = (p: Promise<unknown>) => {
  const s = { settled: 'pending' as 'pending' | 'resolved' | 'rejected' };
  p.then(() => (s.settled = 'resolved'), () => (s.settled = 'rejected'));
  return s;
};
const tick = () => new Promise((resolve) => setImmediate(resolve));
const DEFER_MS = 50;
/** The deferral passes (on fake timers: however slow the machine, nothing is sent before it). */
const deferral = async () => {
  jest.advanceTimersByTime(DEFER_MS);
  await tick();
};

describe('countAhead', () => {
  beforeEach(() => jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] }));
  afterEach(() => jest.useRealTimers());

  it('waits for the first count of a key, then lets requests well within the limit go on before their count is back', async () => {
    const limiter = heldLimiter(10);
    const count = countAhead(limiter, 10, DEFER_MS);
    const first = state(count('k'));
    await tick();
    expect(first.settled).toBe('pending');
    limiter.release();
    await tick();
    expect(first.settled).toBe('resolved');

    const second = state(count('k'));
    await tick();
    expect(second.settled).toBe('resolved');
    expect(limiter.held).toHaveLength(0); // its count is deferred, and will be made
    await deferral();
    expect(limiter.sent).toEqual([['k', 1], ['k', 1]]);
    limiter.release();
  });

  it('sends the counts it did not wait for together, one increment per key', async () => {
    const limiter = heldLimiter(100);
    const count = countAhead(limiter, 100, DEFER_MS);
    for (const key of ['a', 'b']) {
      const first = count(key);
      limiter.release();
      await first;
    }
    await Promise.all([count('a'), count('a'), count('b'), count('a')]);
    expect(limiter.sent).toHaveLength(2);
    await deferral();
    expect(limiter.sent.slice(2)).toEqual([['a', 3], ['b', 1]]);
  });

  it('sends the deferred counts with the next count it must wait for', async () => {
    const limiter = heldLimiter(10);
    const count = countAhead(limiter, 10, DEFER_MS);
    const first = count('k');
    limiter.release();
    await first;
    const burst = Array.from({ length: 8 }, () => state(count('k')));
    await tick();
    // 1 counted and 7 deferred make 80%: the eighth waits, and carries the seven with its own count.
    expect(burst.filter((s) => s.settled === 'resolved')).toHaveLength(7);
    expect(limiter.sent).toEqual([['k', 1], ['k', 8]]);
    limiter.release();
    await tick();
    expect(burst[7]!.settled).toBe('resolved');
    await deferral();
    expect(limiter.sent).toHaveLength(2);
  });

  it('waits near the limit and refuses beyond it: never more than the limit from one instance, however many at once', async () => {
    const limiter = heldLimiter(10);
    const count = countAhead(limiter, 10, DEFER_MS);
    const first = count('k');
    limiter.release();
    await first;
    const burst = Array.from({ length: 20 }, () => state(count('k')));
    await tick();
    // With 1 counted, 7 more fit within 80% of 10 and go on at once; the other thirteen wait for their counts.
    expect(burst.filter((s) => s.settled === 'resolved')).toHaveLength(7);
    limiter.release();
    for (let i = 0; i < 5; i++) await tick();
    expect(burst.filter((s) => s.settled === 'resolved')).toHaveLength(9);
    expect(burst.filter((s) => s.settled === 'rejected')).toHaveLength(11);
    // Over the limit now: the next one waits, and is refused with the time to wait.
    const next = count('k');
    limiter.release();
    await expect(next).rejects.toBeInstanceOf(RateLimiterRes);
  });

  it('counts a new key\'s first requests still in flight once its first answer is back: no more than the limit', async () => {
    const limiter = heldLimiter(10);
    const count = countAhead(limiter, 10, DEFER_MS);
    const first = Array.from({ length: 5 }, () => state(count('k')));
    limiter.held.shift()!();
    for (let i = 0; i < 3; i++) await tick();
    expect(first[0]!.settled).toBe('resolved');
    // 1 answered and 4 in flight: 3 more fit within 80% of 10; the other four wait for Redis.
    const more = Array.from({ length: 7 }, () => state(count('k')));
    await tick();
    expect(more.filter((s) => s.settled === 'resolved')).toHaveLength(3);
    limiter.release();
    for (let i = 0; i < 5; i++) await tick();
    await deferral();
    limiter.release();
    for (let i = 0; i < 5; i++) await tick();
    expect([...first, ...more].filter((s) => s.settled === 'resolved')).toHaveLength(10);
  });

  it('keeps each key apart', async () => {
    const limiter = heldLimiter(10);
    const count = countAhead(limiter, 10, DEFER_MS);
    const a = count('a');
    limiter.release();
    await a;
    const b = state(count('b'));
    await tick();
    expect(b.settled).toBe('pending');
    limiter.release();
  });
});
