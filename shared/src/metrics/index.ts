import type { RequestHandler } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface Metrics {
  registry: Registry;
  httpMiddleware: RequestHandler;
  handler: RequestHandler;
}

/** A registry per service with process metrics and an HTTP latency histogram, served at /metrics. */
export function createMetrics(service: string): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const httpMiddleware: RequestHandler = (req, res, next) => {
    const end = duration.startTimer();
    res.once('finish', () => {
      // The matched route pattern keeps label cardinality bounded; unmatched paths share one label. An
      // app that resolves routes itself (the gateway's policy table) names the route in `res.locals.route`.
      const named = (res.locals as { route?: unknown }).route;
      const route = (req.route as { path?: string } | undefined)?.path;
      end({ method: req.method, route: typeof named === 'string' ? named : route ? `${req.baseUrl}${route}` : 'unmatched', status: String(res.statusCode) });
    });
    next();
  };
  const handler: RequestHandler = async (_req, res) => {
    res.type(registry.contentType).send(await registry.metrics());
  };
  return { registry, httpMiddleware, handler };
}

export { Counter, Gauge, Histogram, Registry };
