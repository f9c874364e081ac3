import { createRequire } from 'node:module';

/** The part of kafkajs's (internal) RequestQueue the fix touches. */
interface RequestQueueInternals {
  pending: unknown[];
  throttledUntil: number;
  scheduleCheckPendingRequests(): void;
}

const FIXED = Symbol.for('sms.kafkajs.requestQueueFixed');

/**
 * kafkajs 2.2.4 keeps every broker connection's request queue checking itself in a 1 ms timer loop,
 * forever, even with nothing pending and no throttling (tulios/kafkajs#1556, #1704; the fix there,
 * #1667, is unreleased). Each producer, consumer and admin connection of every service burned CPU
 * that way: an idle consumer took 57 ms of CPU a second, 10 ms with this fix (docs/benchmarks.md).
 * With nothing pending and no throttle in force there is nothing to check: no timer. Every other
 * case (requests waiting for an in-flight slot or for a throttle to end) is scheduled as before.
 * Applied once, when the shared Kafka module is first loaded; returns whether it is in place.
 */
export function fixRequestQueueTimerLoop(): boolean {
  const requireFromHere = createRequire(__filename);
  const RequestQueue = requireFromHere('kafkajs/src/network/requestQueue') as { prototype: RequestQueueInternals & { [FIXED]?: true } };
  const proto = RequestQueue.prototype;
  if (proto[FIXED]) return true;
  if (typeof proto.scheduleCheckPendingRequests !== 'function') return false;
  const original = proto.scheduleCheckPendingRequests;
  proto.scheduleCheckPendingRequests = function (this: RequestQueueInternals) {
    if (this.pending.length === 0 && this.throttledUntil <= Date.now()) return;
    original.call(this);
  };
  proto[FIXED] = true;
  return true;
}
