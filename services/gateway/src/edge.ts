/**
 * Edge hygiene of the gateway: CORS from an allow-list, HSTS only over TLS, and the gateway's
 * security headers winning over the ones a service sends on proxied responses.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Express, Request, RequestHandler, Response } from 'express';

export interface CorsOptions {
  /** Exact origins (`https://app.example.com`); empty: no CORS headers at all. */
  origins: readonly string[];
  credentials: boolean;
  maxAgeSeconds: number;
}

export const CORS_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];
export const CORS_REQUEST_HEADERS = ['Authorization', 'Content-Type', 'Idempotency-Key', 'If-Match', 'If-None-Match', 'X-CSRF-Token', 'X-Request-Id'];
export const CORS_EXPOSED_HEADERS = ['ETag', 'Location', 'Retry-After', 'X-Request-Id'];

/** Adds `value` to the response's Vary header unless it is there already. */
export function addVary(res: { getHeader(name: string): unknown; setHeader(name: string, value: string): unknown }, value: string): void {
  const current = String(res.getHeader('vary') ?? '').split(',').map((v) => v.trim()).filter(Boolean);
  if (current.includes('*') || current.some((v) => v.toLowerCase() === value.toLowerCase())) return;
  res.setHeader('Vary', [...current, value].join(', '));
}

/**
 * CORS for the listed origins only. An allowed origin is echoed (never `*`) with `Vary: Origin`; an
 * unlisted one gets no CORS header, so the browser keeps the response from the page. A preflight
 * from an allowed origin is answered here with 204; any other OPTIONS goes on to the route policy.
 */
export function cors(options: CorsOptions): RequestHandler {
  const allowed = new Set(options.origins);
  return (req, res, next) => {
    if (allowed.size === 0) return next();
    addVary(res, 'Origin');
    const origin = req.get('origin');
    if (!origin || !allowed.has(origin)) return next();
    res.setHeader('Access-Control-Allow-Origin', origin);
    if (options.credentials) res.setHeader('Access-Control-Allow-Credentials', 'true');
    const preflight = req.method === 'OPTIONS' && req.get('access-control-request-method') !== undefined;
    if (!preflight) {
      res.setHeader('Access-Control-Expose-Headers', CORS_EXPOSED_HEADERS.join(', '));
      return next();
    }
    addVary(res, 'Access-Control-Request-Method');
    addVary(res, 'Access-Control-Request-Headers');
    res.setHeader('Access-Control-Allow-Methods', CORS_METHODS.join(', '));
    res.setHeader('Access-Control-Allow-Headers', CORS_REQUEST_HEADERS.join(', '));
    res.setHeader('Access-Control-Max-Age', String(options.maxAgeSeconds));
    res.status(204).end();
  };
}

/** helmet's HSTS value; sent by the gateway only when the request came over TLS. */
export const HSTS_VALUE = 'max-age=31536000; includeSubDomains';

/** Where the gateway notes what it learnt about the request before it stripped the forwarding headers. */
export interface EdgeLocals {
  clientAddress?: string;
  secure?: boolean;
  /** The policy rule that routed the request, for the metrics' `route` label. */
  route?: string;
}

/**
 * helmet (in the shared app) sends HSTS on every response, and so do the services behind the proxy.
 * HSTS belongs only on responses to requests that came over TLS (`req.secure`, which follows
 * X-Forwarded-Proto only from a trusted proxy): this sets or removes it just before the head goes
 * out, for every response of this app (the shared health routes, errors and proxied responses alike).
 */
export function hstsOnlyOverTls(app: Express): void {
  const proto = app.response as unknown as { writeHead: (this: Response, ...args: unknown[]) => unknown };
  const writeHead = proto.writeHead;
  proto.writeHead = function (this: Response, ...args: unknown[]) {
    const locals = this.locals as EdgeLocals | undefined;
    const secure = locals?.secure ?? (this.req as Request | undefined)?.secure ?? false;
    if (secure) this.setHeader('Strict-Transport-Security', HSTS_VALUE);
    else this.removeHeader('Strict-Transport-Security');
    return writeHead.apply(this, args);
  };
}

/** Headers the gateway decides on alone: a service's value never reaches the client. */
const GATEWAY_ONLY = /^(x-powered-by|strict-transport-security|access-control-.*)$/;
/** helmet's headers: the gateway's value wins when it has one. */
const SECURITY_HEADERS = new Set([
  'content-security-policy', 'cross-origin-opener-policy', 'cross-origin-resource-policy', 'cross-origin-embedder-policy',
  'origin-agent-cluster', 'referrer-policy', 'x-content-type-options', 'x-dns-prefetch-control', 'x-download-options',
  'x-frame-options', 'x-permitted-cross-domain-policies', 'x-xss-protection',
]);

/**
 * For http-proxy-middleware's `proxyRes`: before the service's headers are copied onto the client's
 * response, drop the ones the gateway owns (its security headers, CORS, HSTS, X-Powered-By) and
 * merge the service's `Vary` into the gateway's instead of replacing it.
 */
export function filterProxiedHeaders(proxyRes: IncomingMessage, res: ServerResponse): void {
  for (const name of Object.keys(proxyRes.headers)) {
    if (GATEWAY_ONLY.test(name) || (SECURITY_HEADERS.has(name) && res.hasHeader(name))) delete proxyRes.headers[name];
  }
  const vary = proxyRes.headers.vary;
  if (vary !== undefined && res.hasHeader('vary')) {
    for (const v of vary.split(',').map((x) => x.trim()).filter(Boolean)) addVary(res, v);
    delete proxyRes.headers.vary;
  }
}
