/**
 * ClickBit's health family at the gateway (shared/seeds/003, "Health Monitoring"). `/health` (the
 * seed's `/health/`), `/health/live` and `/health/ready` are the platform's own (shared/src/health,
 * served before every other route): the summary and readiness aggregated over the services, and
 * liveness. The others are here:
 *
 * - `/health/database`, public: each service's own MongoDB check, read from its `/health/ready`;
 *   200 when every one is healthy, else 503.
 * - `/health/detailed`, public: the seed's example response (status, timestamp, version,
 *   environment, `checks` with `database`, `application` and each service, uptime_seconds,
 *   memory_usage); 200 when healthy, else 503.
 * - `/health/metrics`, public: uptime, memory and process figures as JSON (Prometheus stays at /metrics).
 * - `/health/full`, admin only: `detailed` plus system_info and application_info (runtime, CPU, load),
 *   which describe the deployment more than a stranger needs.
 *
 * Only statuses, fixed messages and figures: never a host name, a URL, a connection string or the
 * text of an upstream error.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { Router, type RequestHandler, type Response } from 'express';

export interface ClickBitHealthDeps {
  /** Base URL per service behind the gateway. */
  services: Record<string, string>;
  /** NODE_ENV. */
  environment: string;
  /** In front of the public routes (the per-client limit). */
  gates: RequestHandler[];
  /** In front of `/health/full` (an admin's token or cookie session). */
  adminGates: RequestHandler[];
  /** How long a service's readiness may take to answer. */
  probeTimeoutMs?: number;
}

type Status = 'healthy' | 'unhealthy';

interface Probe {
  ready: boolean;
  database: Status;
}

const GB = 1024 ** 3;
const MB = 1024 ** 2;
const round2 = (n: number) => Math.round(n * 100) / 100;
/** The gateway's package version (src/seeds and dist/seeds sit at the same depth). */
const VERSION = (JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;

/** A service's readiness and its MongoDB check; no answer at all counts as unhealthy. */
async function probe(baseUrl: string, timeoutMs: number): Promise<Probe> {
  let res: globalThis.Response;
  try {
    res = await fetch(new URL('/health/ready', baseUrl), { signal: AbortSignal.timeout(timeoutMs) });
  } catch {
    return { ready: false, database: 'unhealthy' };
  }
  const body = (await res.json().catch(() => undefined)) as { checks?: Record<string, { status?: string }> } | undefined;
  return { ready: res.status === 200, database: body?.checks?.mongodb?.status === 'up' ? 'healthy' : 'unhealthy' };
}

const memoryUsage = () => {
  const total = os.totalmem();
  const used = total - os.freemem();
  return { total_gb: round2(total / GB), used_gb: round2(used / GB), percentage: round2((used / total) * 100) };
};

const processFigures = () => {
  const m = process.memoryUsage();
  return { rss_mb: round2(m.rss / MB), heap_used_mb: round2(m.heapUsed / MB), heap_total_mb: round2(m.heapTotal / MB) };
};

export function clickbitHealthRoutes(deps: ClickBitHealthDeps): Router {
  const router = Router();
  const timeoutMs = deps.probeTimeoutMs ?? 1_500;
  const probeAll = async () =>
    Promise.all(Object.entries(deps.services).map(async ([name, url]) => [name, await probe(url, timeoutMs)] as const));
  const send = (res: Response, healthy: boolean, body: unknown) => {
    res.status(healthy ? 200 : 503).set('Cache-Control', 'no-store').json(body);
  };

  const detailed = async () => {
    const probes = await probeAll();
    const databaseUp = probes.every(([, p]) => p.database === 'healthy');
    const checks: Record<string, { status: Status; message: string }> = {
      database: databaseUp
        ? { status: 'healthy', message: 'Database connection successful' }
        : { status: 'unhealthy', message: 'Database connection failed' },
      application: { status: 'healthy', message: 'Application is running' },
    };
    for (const [name, p] of probes) {
      checks[name] = p.ready ? { status: 'healthy', message: `${name} is ready` } : { status: 'unhealthy', message: `${name} is not ready` };
    }
    const healthy = Object.values(checks).every((c) => c.status === 'healthy');
    return {
      healthy,
      body: {
        status: healthy ? 'healthy' : 'unhealthy',
        timestamp: new Date().toISOString(),
        version: VERSION,
        environment: deps.environment,
        checks,
        uptime_seconds: round2(process.uptime()),
        memory_usage: memoryUsage(),
      },
    };
  };

  router.get('/health/database', ...deps.gates, async (_req, res) => {
    const probes = await probeAll();
    const healthy = probes.every(([, p]) => p.database === 'healthy');
    send(res, healthy, {
      status: healthy ? 'healthy' : 'unhealthy',
      message: healthy ? 'Database connection successful' : 'Database connection failed',
      timestamp: new Date().toISOString(),
      databases: Object.fromEntries(probes.map(([name, p]) => [name, { status: p.database }])),
    });
  });

  router.get('/health/detailed', ...deps.gates, async (_req, res) => {
    const { healthy, body } = await detailed();
    send(res, healthy, body);
  });

  router.get('/health/full', ...deps.adminGates, async (_req, res) => {
    const { healthy, body } = await detailed();
    send(res, healthy, {
      ...body,
      system_info: {
        cpu_count: os.cpus().length,
        load_average: os.loadavg().map(round2),
        platform: process.platform,
        node_version: process.versions.node,
      },
      application_info: { service: 'gateway', pid: process.pid, services: Object.keys(deps.services), process: processFigures() },
    });
  });

  router.get('/health/metrics', ...deps.gates, (_req, res) => {
    const memory = memoryUsage();
    res.set('Cache-Control', 'no-store').json({
      timestamp: new Date().toISOString(),
      uptime_seconds: round2(process.uptime()),
      memory: { used_percentage: memory.percentage, used_gb: memory.used_gb },
      process: processFigures(),
      application: { version: VERSION, environment: deps.environment },
    });
  });

  return router;
}
