import type { JsonObject } from '@sms/shared/openapi';

/** A document fetched from a service, or why it could not be. */
export type Fetched = { ok: true; document: JsonObject } | { ok: false; reason: string };

export interface RemoteOptions {
  /** A service that has not answered within this time counts as down. */
  timeoutMs: number;
  /** How long a fetched document is served before it is fetched again. */
  ttlMs: number;
  /** How long a failure is remembered before the next try (so a down service is not asked on every request). */
  retryMs: number;
  /** The clock (tests pass their own). */
  now?: () => number;
}

export const REMOTE_DEFAULTS: RemoteOptions = { timeoutMs: 2_000, ttlMs: 60_000, retryMs: 5_000 };

/**
 * A JSON document a service publishes (its /openapi.json, its AsyncAPI document), cached: a good
 * copy for `ttlMs`, a failure for `retryMs`. Concurrent readers share one request. A failed refetch
 * replaces the good copy: what is down is left out, not served stale.
 */
export class RemoteDocument {
  private cached?: { at: number; pending: Promise<Fetched>; settled?: Fetched };
  private readonly now: () => number;

  constructor(
    readonly name: string,
    readonly url: string,
    private readonly options: RemoteOptions = REMOTE_DEFAULTS,
  ) {
    this.now = options.now ?? Date.now;
  }

  get(): Promise<Fetched> {
    const now = this.now();
    const cached = this.cached;
    if (cached && !cached.settled) return cached.pending;
    if (cached?.settled && now - cached.at < (cached.settled.ok ? this.options.ttlMs : this.options.retryMs)) return Promise.resolve(cached.settled);
    const entry: NonNullable<typeof this.cached> = { at: now, pending: this.fetch() };
    void entry.pending.then((value) => (entry.settled = value));
    this.cached = entry;
    return entry.pending;
  }

  private async fetch(): Promise<Fetched> {
    try {
      const res = await fetch(this.url, { headers: { accept: 'application/json' }, redirect: 'error', signal: AbortSignal.timeout(this.options.timeoutMs) });
      if (res.status !== 200) {
        await res.body?.cancel();
        return { ok: false, reason: `HTTP ${res.status}` };
      }
      const document: unknown = await res.json();
      if (typeof document !== 'object' || document === null || Array.isArray(document)) return { ok: false, reason: 'not a JSON object' };
      return { ok: true, document: document as JsonObject };
    } catch (err) {
      // By name, not instanceof: fetch's errors may come from another realm (DOMException, SyntaxError).
      const name = typeof err === 'object' && err !== null && 'name' in err ? String(err.name) : '';
      if (name === 'TimeoutError' || name === 'AbortError') return { ok: false, reason: `no answer within ${this.options.timeoutMs} ms` };
      if (name === 'SyntaxError') return { ok: false, reason: 'not JSON' };
      return { ok: false, reason: 'unreachable' };
    }
  }
}
