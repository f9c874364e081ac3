import { createRequire } from 'node:module';
import { fixRequestQueueTimerLoop } from './request-queue-fix';

interface Queue {
  pending: unknown[];
  throttledUntil: number;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
  destroy(): void;
}
const RequestQueue = createRequire(__filename)('kafkajs/src/network/requestQueue') as new (options: object) => Queue;
const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

describe("kafkajs request queue's timer loop (tulios/kafkajs#1556)", () => {
  let queue: Queue;
  let checks: number;

  beforeEach(() => {
    jest.useFakeTimers();
    expect(fixRequestQueueTimerLoop()).toBe(true);
    queue = new RequestQueue({ maxInFlightRequests: 1, requestTimeout: 30_000, clientId: 'test', broker: 'b:9092', logger: quiet });
    checks = 0;
    const check = queue.checkPendingRequests.bind(queue);
    queue.checkPendingRequests = () => { checks += 1; check(); };
  });
  afterEach(() => {
    queue.destroy();
    jest.useRealTimers();
  });

  it('schedules no check when nothing is pending and nothing is throttled (stock kafkajs re-checks every millisecond, forever)', () => {
    queue.checkPendingRequests();
    jest.advanceTimersByTime(1_000);
    expect(checks).toBe(1);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('still checks again while a request is pending', () => {
    queue.pending.push({});
    queue.throttledUntil = Date.now() + 50;
    queue.scheduleCheckPendingRequests();
    expect(jest.getTimerCount()).toBe(1);
    queue.pending.length = 0;
    jest.advanceTimersByTime(60);
    expect(checks).toBe(1);
  });

  it('still checks every 10 ms while a request waits for an in-flight slot, with no throttle', () => {
    queue.pending.push({});
    queue.scheduleCheckPendingRequests();
    expect(jest.getTimerCount()).toBe(1);
    queue.pending.length = 0;
    jest.advanceTimersByTime(10);
    expect(checks).toBe(1);
  });

  it('still checks when a throttle ends, even with nothing pending yet', () => {
    queue.throttledUntil = Date.now() + 100;
    queue.scheduleCheckPendingRequests();
    jest.advanceTimersByTime(100);
    expect(checks).toBe(1);
  });

  it('is applied once, however often it is called', () => {
    const patched = (RequestQueue as unknown as { prototype: Queue }).prototype.scheduleCheckPendingRequests;
    expect(fixRequestQueueTimerLoop()).toBe(true);
    expect((RequestQueue as unknown as { prototype: Queue }).prototype.scheduleCheckPendingRequests).toBe(patched);
  });
});
