import { Agent as HttpAgent, type IncomingMessage, type ServerResponse } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Socket } from 'node:net';
import type { RequestHandler } from 'express';
import { createProxyMiddleware, debugProxyErrorsPlugin, proxyEventsPlugin } from 'http-proxy-middleware';
import { PROBLEM_CONTENT_TYPE, toProblem } from '@sms/shared/http';
import { RequestTimeoutError, ServiceUnavailableError } from '@sms/shared/errors';
import { traceHeaders } from '@sms/shared/telemetry';
import type { Logger } from 'pino';
import { CircuitOpenError, UNAVAILABLE_STATUSES, type UpstreamBreaker } from './breaker';
import { filterProxiedHeaders, type EdgeLocals } from './edge';

/** Headers a client must never set for itself: identity, internal credentials, forwarding claims. */
export const STRIPPED_HEADERS = [
  'x-user-id', 'x-user-org', 'x-user-role', 'x-internal-token',
  'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-forwarded-port', 'forwarded', 'x-real-ip',
];

/** Longest idle time of a kept-alive connection to a service (the services' own keep-alive timeout is 5 s). */
const IDLE_SOCKET_MS = 4_000;

class GatewayTimeoutError extends ServiceUnavailableError {
  override readonly status = 504;
  override readonly code = 'gateway_timeout';
  override readonly title = 'Gateway Timeout';
}

/**
 * A proxy to one service: the client's address goes on as X-Forwarded-For (set by the gateway
 * alone), and a service that is down or slow becomes a fast 503 or 504 problem, never a hang. The
 * gateway's own security, CORS and HSTS headers win over the ones the service sends.
 *
 * Every request runs through the service's circuit breaker (breaker.ts): a refused or reset
 * connection, a timeout and a 502/503/504 answer count as failures; while the breaker is open the
 * client gets a 503 `circuit_open` problem with `Retry-After` at once and the service is not called.
 */
export function proxyTo(name: string, target: string, timeoutMs: number, logger: Logger, breaker: UpstreamBreaker): RequestHandler {
  // The verdict on the service for each request in flight: failed (true) or answered (false).
  const verdicts = new WeakMap<IncomingMessage, (failed: boolean) => void>();
  const settle = (req: IncomingMessage, failed: boolean) => {
    const done = verdicts.get(req);
    if (!done) return;
    verdicts.delete(req);
    done(failed);
  };
  // Connections to the service are kept alive and reused (http-proxy's default is a new connection
  // per request). An idle socket is retired after IDLE_SOCKET_MS, or a second before the service's
  // advertised `Keep-Alive: timeout` if that is shorter (Node's agent applies the hint only when it
  // has a timeout of its own), so a reused socket is not one the service is just closing.
  const agent = new (target.startsWith('https:') ? HttpsAgent : HttpAgent)({ keepAlive: true, timeout: IDLE_SOCKET_MS });
  const proxy = createProxyMiddleware<IncomingMessage, ServerResponse>({
    target,
    agent,
    changeOrigin: false,
    xfwd: true,
    // Not the default logger plugin: it built two URLs for every answer to log a line we do not use
    // (the access log and `error` below say what happened). Still the guards against crashes on
    // socket errors, and the `on` handlers.
    ejectPlugins: true,
    plugins: [debugProxyErrorsPlugin, proxyEventsPlugin],
    // Only the wait for the service: http-proxy's `timeout` (on the client's socket) would fire at the
    // same moment and drop the client's connection instead of answering 504. Slow clients are bounded
    // by the server's headers and request timeouts.
    proxyTimeout: timeoutMs,
    on: {
      proxyRes: (proxyRes, req, res) => {
        settle(req, UNAVAILABLE_STATUSES.has(proxyRes.statusCode ?? 0));
        // The gateway's security, CORS and HSTS headers win over the service's (edge.ts).
        filterProxiedHeaders(proxyRes, res);
      },
      // The client as the gateway resolved it (TRUST_PROXY), not merely the peer of the socket; the
      // trace context of the gateway's server span (instead of the client's own, which is its parent).
      proxyReq: (proxyReq, _req, res) => {
        for (const [header, value] of Object.entries(traceHeaders())) proxyReq.setHeader(header, value);
        const { clientAddress, secure } = ((res as ServerResponse & { locals?: EdgeLocals }).locals ?? {});
        if (clientAddress) proxyReq.setHeader('x-forwarded-for', clientAddress);
        if (secure !== undefined) proxyReq.setHeader('x-forwarded-proto', secure ? 'https' : 'http');
      },
      error: (err: Error & { code?: string }, req, res) => {
        // A body the client never finished sending (shorter than its Content-Length) keeps the service
        // waiting too: the client's failure, not the service's, so no count against its breaker (else
        // a few such requests would open the circuit for every tenant).
        const clientStalled = !req.complete;
        settle(req, !clientStalled);
        const timedOut = err.code === 'ECONNRESET' || err.code === 'ETIMEDOUT' || /timeout/i.test(err.message);
        const problem = clientStalled
          ? new RequestTimeoutError('the request body did not arrive in full')
          : timedOut
            ? new GatewayTimeoutError(`${name} did not answer in time`)
            : new ServiceUnavailableError(`${name} is unavailable`);
        logger.warn({ err: err.message, code: err.code, service: name }, 'proxy error');
        if (!('writeHead' in res)) return void (res as Socket).destroy();
        if (res.headersSent) return void res.end();
        res.writeHead(problem.status, { 'content-type': PROBLEM_CONTENT_TYPE, ...(clientStalled ? { connection: 'close' } : { 'retry-after': '1' }) });
        res.end(JSON.stringify(toProblem(problem, req.url)));
      },
    },
  });
  return (req, res, next) => {
    const attempt = () => new Promise<boolean>((resolve) => {
      verdicts.set(req, resolve);
      // A client gone before the service answered is no failure of the service (opossum counts it as
      // a success, so it also ends a half-open probe); nor is a request the proxy hands on to `next`.
      res.once('close', () => settle(req, false));
      void proxy(req, res, (err?: unknown) => {
        settle(req, false);
        next(err);
      });
    });
    breaker.run(attempt, (failed) => failed).catch((err: unknown) => {
      if (!(err instanceof CircuitOpenError)) return next(err);
      if (res.headersSent) return void res.end();
      res.writeHead(err.status, { 'content-type': PROBLEM_CONTENT_TYPE, 'retry-after': String(err.retryAfterSeconds) });
      res.end(JSON.stringify(toProblem(err, req.originalUrl)));
    });
  };
}
