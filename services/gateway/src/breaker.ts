/**
 * One circuit breaker per service behind the gateway (opossum). Calls that fail because the service
 * is unavailable (connection refused or reset, no answer in time, a 502/503/504 answer) are counted
 * in a rolling window; when more than `errorThresholdPercent` of at least `volumeThreshold` calls in
 * the window failed, the breaker opens and every call is refused at once with a CircuitOpenError (a
 * 503 with `Retry-After`) without touching the service. After `resetTimeoutMs` it half-opens and lets
 * one probe through: an answer closes it, a failure opens it again for another `resetTimeoutMs`.
 * A service's 4xx (and a 500, one request's bug) is an answer, not unavailability: it never counts.
 *
 * The proxy (proxy.ts) runs each proxied request through its service's breaker; other code that
 * calls a service (the seed routes' fetch calls) can share the same breakers with `run` or `fetch`.
 */
import CircuitBreaker from 'opossum';
import type { Logger } from 'pino';
import { ServiceUnavailableError } from '@sms/shared/errors';
import { Counter, Gauge, type Registry } from '@sms/shared/metrics';
import type { Config } from './config';

export interface BreakerSettings {
  /** The breaker opens when more than this percentage of the calls in the window failed... */
  errorThresholdPercent: number;
  /** ...and at least this many calls were made in the window. */
  volumeThreshold: number;
  /** Length of the rolling window, in ms (ten buckets). */
  windowMs: number;
  /** How long an open breaker refuses calls before it lets a probe through. */
  resetTimeoutMs: number;
}

export const breakerSettings = (config: Config): BreakerSettings => ({
  errorThresholdPercent: config.BREAKER_ERROR_THRESHOLD_PERCENT,
  volumeThreshold: config.BREAKER_VOLUME_THRESHOLD,
  windowMs: config.BREAKER_WINDOW_MS,
  resetTimeoutMs: config.BREAKER_RESET_TIMEOUT_MS,
});

/** Answers of a service that mean "not available", as opposed to an answer about the request. */
export const UNAVAILABLE_STATUSES: ReadonlySet<number> = new Set([502, 503, 504]);

export type BreakerState = 'closed' | 'half-open' | 'open';
/** The value of the `gateway_circuit_state` gauge per state. */
export const STATE_GAUGE_VALUE: Readonly<Record<BreakerState, number>> = { closed: 0, 'half-open': 1, open: 2 };

/** The breaker of a service is open: the call was not made. */
export class CircuitOpenError extends ServiceUnavailableError {
  override readonly code = 'circuit_open';
  constructor(readonly upstream: string, readonly retryAfterSeconds: number) {
    super(`${upstream} is unavailable: after repeated failures the gateway stopped calling it for a while`);
  }
}

/** Carries a result the caller classified as a failure through opossum's rejection path. */
class FailedResult {
  constructor(readonly result: unknown) {}
}

const OPOSSUM_REFUSALS = new Set(['EOPENBREAKER', 'ESHUTDOWN']);

export interface BreakerHooks {
  logger?: Pick<Logger, 'info' | 'warn'>;
  /** Called on every state change (after the breaker's own bookkeeping). */
  onState?(state: BreakerState): void;
  /** Called for every call refused without touching the service. */
  onRejected?(): void;
}

export class UpstreamBreaker {
  private readonly breaker: CircuitBreaker<[() => Promise<unknown>], unknown>;
  private openedAt = 0;

  constructor(readonly upstream: string, private readonly settings: BreakerSettings, hooks: BreakerHooks = {}) {
    this.breaker = new CircuitBreaker((attempt: () => Promise<unknown>) => attempt(), {
      name: upstream,
      // The callers have their own timeouts (PROXY_TIMEOUT_MS) and report a timeout as a failure.
      timeout: false,
      errorThresholdPercentage: settings.errorThresholdPercent,
      volumeThreshold: settings.volumeThreshold,
      rollingCountTimeout: settings.windowMs,
      rollingCountBuckets: 10,
      resetTimeout: settings.resetTimeoutMs,
      // Counts only: no latency arrays, no snapshot timer, on the gateway's hot path.
      rollingPercentilesEnabled: false,
      enableSnapshots: false,
    });
    const log = hooks.logger;
    this.breaker.on('open', () => {
      this.openedAt = Date.now();
      log?.warn({ upstream, resetTimeoutMs: settings.resetTimeoutMs }, `circuit breaker of ${upstream} opened: answering 503 without calling it`);
      hooks.onState?.('open');
    });
    this.breaker.on('halfOpen', () => {
      log?.info({ upstream }, `circuit breaker of ${upstream} half-open: the next call is a probe`);
      hooks.onState?.('half-open');
    });
    this.breaker.on('close', () => {
      log?.info({ upstream }, `circuit breaker of ${upstream} closed`);
      hooks.onState?.('closed');
    });
    if (hooks.onRejected) this.breaker.on('reject', hooks.onRejected);
  }

  get state(): BreakerState {
    if (this.breaker.opened) return 'open';
    return this.breaker.halfOpen ? 'half-open' : 'closed';
  }

  /** Whole seconds until the breaker lets a probe through (at least 1). */
  retryAfterSeconds(now = Date.now()): number {
    if (!this.breaker.opened) return 1;
    return Math.max(1, Math.ceil((this.openedAt + this.settings.resetTimeoutMs - now) / 1000));
  }

  /**
   * Runs `attempt` unless the breaker is open (then throws CircuitOpenError). A rejection of
   * `attempt` counts as a failure and is rethrown; a result for which `failed` is true counts as a
   * failure and is returned all the same.
   */
  async run<T>(attempt: () => Promise<T>, failed?: (result: T) => boolean): Promise<T> {
    const action = failed
      ? async () => {
          const result = await attempt();
          if (failed(result)) throw new FailedResult(result);
          return result;
        }
      : attempt;
    try {
      return (await this.breaker.fire(action)) as T;
    } catch (err) {
      if (err instanceof FailedResult) return err.result as T;
      if (OPOSSUM_REFUSALS.has((err as { code?: string }).code ?? '')) throw new CircuitOpenError(this.upstream, this.retryAfterSeconds());
      throw err;
    }
  }

  /**
   * `fetch` through the breaker: a network error or timeout (rethrown) and a 502/503/504 answer
   * (returned) count as failures; an open breaker throws CircuitOpenError without a request.
   */
  fetch(input: string | URL, init?: RequestInit): Promise<Response> {
    return this.run(() => fetch(input, init), (res) => UNAVAILABLE_STATUSES.has(res.status));
  }

  /** Stops the breaker's window timer; later calls are refused. */
  shutdown(): void {
    this.breaker.shutdown();
  }
}

export interface BreakerDeps {
  logger?: Pick<Logger, 'info' | 'warn'>;
  /** Where the state gauge and the rejection counter are registered (the service's registry). */
  registry?: Registry;
}

/**
 * One breaker per named service, with their state as `gateway_circuit_state{upstream}` (0 closed,
 * 1 half-open, 2 open) and the calls they refused as `gateway_circuit_rejected_total{upstream}`.
 */
export function createBreakers<N extends string>(names: readonly N[], settings: BreakerSettings, deps: BreakerDeps = {}): Record<N, UpstreamBreaker> {
  const registers = deps.registry ? [deps.registry] : [];
  const state = new Gauge({
    name: 'gateway_circuit_state',
    help: 'Circuit breaker state per upstream service: 0 closed, 1 half-open, 2 open',
    labelNames: ['upstream'],
    registers,
  });
  const rejected = new Counter({
    name: 'gateway_circuit_rejected_total',
    help: 'Calls answered 503 by an open circuit breaker without calling the upstream service',
    labelNames: ['upstream'],
    registers,
  });
  const breakers = {} as Record<N, UpstreamBreaker>;
  for (const name of names) {
    state.set({ upstream: name }, STATE_GAUGE_VALUE.closed);
    rejected.inc({ upstream: name }, 0);
    breakers[name] = new UpstreamBreaker(name, settings, {
      ...(deps.logger ? { logger: deps.logger } : {}),
      onState: (s) => state.set({ upstream: name }, STATE_GAUGE_VALUE[s]),
      onRejected: () => rejected.inc({ upstream: name }),
    });
  }
  return breakers;
}
