import { randomUUID } from 'node:crypto';
import express, { type Express, type RequestHandler } from 'express';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pino, type Logger } from 'pino';
import { PayloadTooLargeError, UnsupportedMediaTypeError } from '../errors';
import type { HealthKit } from '../health';
import type { Metrics } from '../metrics';
import { notFoundHandler, problemHandler } from './problem';

export const REQUEST_ID_HEADER = 'x-request-id';
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export interface HttpAppOptions {
  logger: Logger;
  /** Largest accepted body, in body-parser notation ("100kb"). */
  bodyLimit: string;
  health?: HealthKit;
  metrics?: Metrics;
  /** Paths that also accept `application/x-www-form-urlencoded` bodies (form logins of older clients). */
  formPaths?: string[];
  /** False for a proxy: bodies stream through untouched; only the declared length is checked. */
  parseBodies?: boolean;
  /** Paths whose bodies the route reads itself (a CSV upload streamed to storage): no JSON check, no parsing. */
  rawBodyPaths?: string[];
  /** Larger limits for some exact paths (a proxy's upload routes), in the same notation. */
  bodyLimits?: Record<string, string>;
}

/** A request id from a well-formed client header, or a fresh one; echoed on the response. */
const requestId: RequestHandler = (req, res, next) => {
  const sent = req.get(REQUEST_ID_HEADER);
  const id = sent && REQUEST_ID.test(sent) ? sent : randomUUID();
  req.headers[REQUEST_ID_HEADER] = id;
  res.setHeader(REQUEST_ID_HEADER, id);
  next();
};

/**
 * One line per request (`request completed`, or `request errored` at 5xx) with the request id, method,
 * URL, client address, status and response time; its level follows the status (info, 4xx warn, 5xx
 * error), health and metrics probes are not logged. No headers: they carry credentials and cookies,
 * and serializing and redacting them on every request (pino-http's default, at every level) was a
 * quarter of the gateway's CPU per request. The trace id links a line to the full request.
 */
export function accessLog(logger: Logger): RequestHandler {
  return pinoHttp<IncomingMessage & { id?: unknown; originalUrl?: string }>({
    logger,
    genReqId: (req) => String(req.headers[REQUEST_ID_HEADER]),
    autoLogging: { ignore: (req) => (req.url ?? '').startsWith('/health') || req.url === '/metrics' },
    customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
    wrapSerializers: false,
    serializers: {
      req: (req: IncomingMessage & { id?: unknown; originalUrl?: string }) => ({
        id: req.id, method: req.method, url: req.originalUrl ?? req.url, remoteAddress: req.socket?.remoteAddress,
      }),
      res: (res: ServerResponse) => ({ statusCode: res.statusCode }),
      err: pino.stdSerializers.err,
    },
  });
}

/**
 * helmet's headers, worked out once: with its defaults they do not depend on the request (no CSP
 * nonce), so each response gets the same header operations in one plain loop instead of a dozen
 * middleware calls (a tenth of the gateway's CPU per request). Should helmet ever not finish
 * synchronously on the dry run, it runs per request as before.
 */
export function securityHeaders(): RequestHandler {
  const ops: Array<(res: { setHeader(n: string, v: string | number | readonly string[]): unknown; removeHeader(n: string): void }) => void> = [];
  const recorder = {
    setHeader: (name: string, value: string | number | readonly string[]) => void ops.push((res) => res.setHeader(name, value)),
    removeHeader: (name: string) => void ops.push((res) => res.removeHeader(name)),
  };
  const middleware = helmet();
  let finished = false;
  middleware({} as never, recorder as never, () => { finished = true; });
  if (!finished) return middleware;
  return (_req, res, next) => {
    for (const op of ops) op(res);
    next();
  };
}

/** A body must declare JSON (or a form, where allowed); anything else is a 415, not a silent empty body. */
export function requireJson(formPaths: readonly string[] = []): RequestHandler {
  return (req, _res, next) => {
    const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
    const form = formPaths.includes(req.path) && req.is('application/x-www-form-urlencoded');
    if (hasBody && !form && !req.is('application/json') && !req.is('application/*+json')) {
      next(new UnsupportedMediaTypeError(`request body must be application/json${formPaths.includes(req.path) ? ' or a form' : ''}`));
      return;
    }
    next();
  };
}

/** For a proxy that does not read bodies: a declared Content-Length beyond the limit is a 413 at once. */
export function declaredLengthWithin(limit: string, perPath: Record<string, string> = {}): RequestHandler {
  const bytes = (notation: string) => {
    const units: Record<string, number> = { b: 1, kb: 1024, mb: 1024 * 1024 };
    const [, amount = '0', unit = 'b'] = /^(\d+)(b|kb|mb)$/i.exec(notation) ?? [];
    return Number(amount) * (units[unit.toLowerCase()] ?? 1);
  };
  const max = bytes(limit);
  const maxOf = new Map(Object.entries(perPath).map(([path, l]) => [path, bytes(l)]));
  return (req, _res, next) => {
    if (Number(req.headers['content-length'] ?? 0) > (maxOf.get(req.path) ?? max)) {
      next(new PayloadTooLargeError('request body is too large'));
      return;
    }
    next();
  };
}

/**
 * The express app every service starts from: request id, structured access log, security headers,
 * JSON bodies with a size limit, health and metrics routes. Call `finishApp` after adding routes.
 */
export function createHttpApp(options: HttpAppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use(requestId);
  app.use(accessLog(options.logger));
  app.use(securityHeaders());
  if (options.metrics) app.use(options.metrics.httpMiddleware);
  if (options.health) app.use(options.health.router);
  if (options.metrics) app.get('/metrics', options.metrics.handler);
  if (options.parseBodies === false) {
    app.use(declaredLengthWithin(options.bodyLimit, options.bodyLimits));
    return app;
  }
  const json = requireJson(options.formPaths);
  const raw = new Set(options.rawBodyPaths ?? []);
  app.use((req, res, next) => (raw.has(req.path) ? next() : json(req, res, next)));
  app.use(express.json({ limit: options.bodyLimit, strict: true, type: ['application/json', 'application/*+json'] }));
  if (options.formPaths?.length) {
    app.use(options.formPaths, express.urlencoded({ limit: options.bodyLimit, extended: false, parameterLimit: 20 }));
  }
  return app;
}

/** Adds the 404 and the single problem+json error handler; call last. */
export function finishApp(app: Express, logger: Logger): Express {
  app.use(notFoundHandler);
  app.use(problemHandler(logger));
  return app;
}
