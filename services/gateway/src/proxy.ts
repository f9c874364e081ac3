import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { RequestHandler } from 'express';
import { createProxyMiddleware } from 'http-proxy-middleware';
import { PROBLEM_CONTENT_TYPE, toProblem } from '@sms/shared/http';
import { ServiceUnavailableError } from '@sms/shared/errors';
import type { Logger } from 'pino';
import { filterProxiedHeaders, type EdgeLocals } from './edge';

/** Headers a client must never set for itself: identity, internal credentials, forwarding claims. */
export const STRIPPED_HEADERS = [
  'x-user-id', 'x-user-org', 'x-user-role', 'x-internal-token',
  'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-forwarded-port', 'forwarded', 'x-real-ip',
];

class GatewayTimeoutError extends ServiceUnavailableError {
  override readonly status = 504;
  override readonly code = 'gateway_timeout';
  override readonly title = 'Gateway Timeout';
}

/**
 * A proxy to one service: the client's address goes on as X-Forwarded-For (set by the gateway
 * alone), and a service that is down or slow becomes a fast 503 or 504 problem, never a hang. The
 * gateway's own security, CORS and HSTS headers win over the ones the service sends.
 */
export function proxyTo(name: string, target: string, timeoutMs: number, logger: Logger): RequestHandler {
  return createProxyMiddleware<IncomingMessage, ServerResponse>({
    target,
    changeOrigin: false,
    xfwd: true,
    proxyTimeout: timeoutMs,
    timeout: timeoutMs,
    on: {
      // The gateway's security, CORS and HSTS headers win over the service's (edge.ts).
      proxyRes: (proxyRes, _req, res) => filterProxiedHeaders(proxyRes, res),
      // The client as the gateway resolved it (TRUST_PROXY), not merely the peer of the socket.
      proxyReq: (proxyReq, _req, res) => {
        const { clientAddress, secure } = ((res as ServerResponse & { locals?: EdgeLocals }).locals ?? {});
        if (clientAddress) proxyReq.setHeader('x-forwarded-for', clientAddress);
        if (secure !== undefined) proxyReq.setHeader('x-forwarded-proto', secure ? 'https' : 'http');
      },
      error: (err: Error & { code?: string }, req, res) => {
        const timedOut = err.code === 'ECONNRESET' || err.code === 'ETIMEDOUT' || /timeout/i.test(err.message);
        const problem = timedOut
          ? new GatewayTimeoutError(`${name} did not answer in time`)
          : new ServiceUnavailableError(`${name} is unavailable`);
        logger.warn({ err: err.message, code: err.code, service: name }, 'proxy error');
        if (!('writeHead' in res)) return void (res as Socket).destroy();
        if (res.headersSent) return void res.end();
        res.writeHead(problem.status, { 'content-type': PROBLEM_CONTENT_TYPE, 'retry-after': '1' });
        res.end(JSON.stringify(toProblem(problem, req.url)));
      },
    },
  }) as unknown as RequestHandler;
}
