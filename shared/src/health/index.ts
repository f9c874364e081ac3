import { Router, type Request, type Response } from 'express';

/** One dependency a service needs to serve: resolves when healthy, throws (with a reason) when not. */
export interface HealthCheck {
  name: string;
  check(): Promise<void>;
  /** A non-critical check is reported but does not make the service unready. */
  critical?: boolean;
}

export interface CheckResult {
  status: 'up' | 'down';
  durationMs: number;
  error?: string;
}

export interface HealthReport {
  status: 'up' | 'down';
  service: string;
  version: string;
  uptimeSeconds: number;
  checks: Record<string, CheckResult>;
}

export interface HealthKit {
  router: Router;
  report(): Promise<HealthReport>;
  /** Marks the service as draining: readiness fails so load balancers stop sending traffic. */
  setDraining(): void;
}

const CHECK_TIMEOUT_MS = 2_000;

async function runCheck(check: HealthCheck): Promise<CheckResult> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check.check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
      }),
    ]);
    return { status: 'up', durationMs: Math.round(performance.now() - started) };
  } catch (err) {
    return { status: 'down', durationMs: Math.round(performance.now() - started), error: (err as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

/** `/health/live` (the process answers), `/health/ready` (it can serve), `/health` (the summary). */
export function createHealthKit(service: string, checks: HealthCheck[], version = '0.1.0'): HealthKit {
  let draining = false;
  const startedAt = Date.now();

  async function report(): Promise<HealthReport> {
    const results = await Promise.all(checks.map(async (c) => [c, await runCheck(c)] as const));
    const down = draining || results.some(([c, r]) => c.critical !== false && r.status === 'down');
    return {
      status: down ? 'down' : 'up',
      service,
      version,
      uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
      checks: Object.fromEntries(results.map(([c, r]) => [c.name, r])),
    };
  }

  const send = async (_req: Request, res: Response) => {
    const body = await report();
    res.status(body.status === 'up' ? 200 : 503).set('Cache-Control', 'no-store').json(body);
  };

  const router = Router();
  router.get('/health/live', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ status: 'up', service });
  });
  router.get('/health/ready', send);
  router.get('/health', send);
  return { router, report, setDraining: () => void (draining = true) };
}
