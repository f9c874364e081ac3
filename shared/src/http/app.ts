import { randomUUID } from 'node:crypto';
import { parse as parseContentType } from 'content-type';
import express, { type Express, type Request, type RequestHandler } from 'express';
import helmet from 'helmet';
import { context } from '@opentelemetry/api';
import type { Logger } from 'pino';
import { PayloadTooLargeError, UnsupportedMediaTypeError } from '../errors';
import type { HealthKit } from '../health';
import type { Metrics } from '../metrics';
import { isProbe, serverSpans } from '../telemetry';
import { unroutedRequest } from './methods';
import { problemHandler } from './problem';

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
  /**
   * For a proxy: the paths whose declared length is checked up front (all by default). Routes of its
   * own that parse their bodies are left out, so they answer an oversized body in their own shape,
   * whether its length was declared or it came chunked.
   */
  declaredLengthPaths?: (path: string) => boolean;
}

/** A request id from a well-formed client header, or a fresh one; echoed on the response. */
const requestId: RequestHandler = (req, res, next) => {
  const sent = req.get(REQUEST_ID_HEADER);
  const id = sent && REQUEST_ID.test(sent) ? sent : randomUUID();
  req.headers[REQUEST_ID_HEADER] = id;
  res.setHeader(REQUEST_ID_HEADER, id);
  next();
};

const ABORTED = { message: 'client went away before the response was sent' };

/**
 * One line per request (`request completed`; `request errored` at 5xx; `request aborted` when the
 * client left first) with the request id, method, path (no query string), client address, status and response time in
 * ms; its level follows the status (info, 4xx warn, 5xx and aborted error); health and metrics probes
 * are not logged. No headers: they carry credentials and cookies, and serializing and redacting them
 * on every request was a quarter of the gateway's CPU per request; the trace id links a line to the
 * full request. The line is written in the trace context of the request (captured here), not of
 * whatever closed the response: on a proxy, a response finishes in the context of the request that
 * opened the kept-alive connection to the service. (Same line as pino-http's, without its two child
 * loggers per request: nothing here uses `req.log`.)
 */
export function accessLog(logger: Logger): RequestHandler {
  // The line's fields are fixed and hold no secret (the path without its query string, where searches
  // and stray tokens would be): no redaction pass (it doubled the cost of a line).
  const log = logger.child({}, { redact: { paths: [] } });
  return (req, res, next) => {
    if (isProbe(req.url)) return next();
    const started = performance.now();
    const active = context.active();
    res.once('close', () => {
      const status = res.statusCode;
      const aborted = !res.writableFinished;
      const level = aborted || status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
      if (!log.isLevelEnabled(level)) return;
      const line = {
        req: { id: req.headers[REQUEST_ID_HEADER], method: req.method, url: req.originalUrl.split('?', 1)[0], remoteAddress: req.socket.remoteAddress },
        // A response the client left before its head was sent has no status (Node's default 200 would be a lie).
        res: res.headersSent ? { statusCode: status } : {},
        responseTime: Math.round(performance.now() - started),
        ...(aborted ? { err: ABORTED } : {}),
      };
      const message = aborted ? 'request aborted' : status >= 500 ? 'request errored' : 'request completed';
      context.with(active, () => log[level](line, message));
    });
    next();
  };
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

const JSON_TYPES = ['application/json', 'application/*+json'];

/** The request's charset parameter, lower-cased; undefined without one (or with an unparsable header, which body-parser refuses). */
const charsetOf = (req: Request): string | undefined => {
  try {
    return parseContentType(req.headers['content-type'] ?? '').parameters.charset?.toLowerCase();
  } catch {
    return undefined;
  }
};

/**
 * express.json, for UTF-8 bodies only. JSON between systems is UTF-8 (RFC 8259 §8.1); body-parser also
 * decodes UTF-16 and UTF-32, which are refused here with the same 415 (`charset.unsupported`) that
 * body-parser gives any other charset.
 */
export function jsonBodies(limit: string): RequestHandler {
  const json = express.json({ limit, strict: true, type: JSON_TYPES });
  return (req, res, next) => {
    // Read as body-parser reads it (the same parser), so the two cannot disagree on a crafted header.
    const charset = req.is(JSON_TYPES) ? charsetOf(req) : undefined;
    if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
      next(Object.assign(new Error(`unsupported charset "${charset.toUpperCase()}"`), { status: 415, statusCode: 415, expose: true, type: 'charset.unsupported', charset }));
      return;
    }
    json(req, res, next);
  };
}

/** For a proxy that does not read bodies: a declared Content-Length beyond the limit is a 413 at once. */
export function declaredLengthWithin(limit: string, perPath: Record<string, string> = {}, checked: (path: string) => boolean = () => true): RequestHandler {
  const bytes = (notation: string) => {
    const units: Record<string, number> = { b: 1, kb: 1024, mb: 1024 * 1024 };
    const [, amount = '0', unit = 'b'] = /^(\d+)(b|kb|mb)$/i.exec(notation) ?? [];
    return Number(amount) * (units[unit.toLowerCase()] ?? 1);
  };
  const max = bytes(limit);
  const maxOf = new Map(Object.entries(perPath).map(([path, l]) => [path, bytes(l)]));
  return (req, _res, next) => {
    if (Number(req.headers['content-length'] ?? 0) > (maxOf.get(req.path) ?? max) && checked(req.path)) {
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
  // Where the app makes its own server spans (the gateway), the span comes first: everything after runs in it.
  const spans = serverSpans();
  if (spans) app.use(spans);
  app.use(requestId);
  app.use(accessLog(options.logger));
  app.use(securityHeaders());
  if (options.metrics) app.use(options.metrics.httpMiddleware);
  if (options.health) app.use(options.health.router);
  if (options.metrics) app.get('/metrics', options.metrics.handler);
  if (options.parseBodies === false) {
    app.use(declaredLengthWithin(options.bodyLimit, options.bodyLimits, options.declaredLengthPaths));
    return app;
  }
  const json = requireJson(options.formPaths);
  const raw = new Set(options.rawBodyPaths ?? []);
  app.use((req, res, next) => (raw.has(req.path) ? next() : json(req, res, next)));
  app.use(jsonBodies(options.bodyLimit));
  if (options.formPaths?.length) {
    app.use(options.formPaths, express.urlencoded({ limit: options.bodyLimit, extended: false, parameterLimit: 20 }));
  }
  return app;
}

/** Adds the 404 (405 with `Allow` for a known path) and the single problem+json error handler; call last. */
export function finishApp(app: Express, logger: Logger): Express {
  app.use(unroutedRequest(app));
  app.use(problemHandler(logger));
  return app;
}
