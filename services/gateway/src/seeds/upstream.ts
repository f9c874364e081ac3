/**
 * Plumbing shared by the gateway's seed routers (flowdata.ts, clickbit.ts, jwt-seed.ts, ...): calling a
 * service over HTTP on the client's behalf, the seeds' error type and error handler, FastAPI-style
 * body validation (422 `detail` lists), the rate-limit and token gates, and FastAPI's 405 for another
 * method on a seed's path. A seed router keeps only its routes, texts and answer shapes.
 */
import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Response, type Router } from 'express';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { bearerToken, type AccessClaims } from '@sms/shared/auth';
import { AppError, ForbiddenError, TooManyRequestsError, UnauthorizedError } from '@sms/shared/errors';
import { jsonBodies } from '@sms/shared/http';
import type { EdgeLocals } from '../edge';
import type { RateLimits } from '../rate-limits';

export type Access = 'member' | 'admin';

/**
 * The gateway's own check (service.ts): verified token, not revoked, per-user limit, role. The token
 * is the client's bearer token unless one is given (a cookie session's).
 */
export type Authorize = (req: Request, access: Access, token?: string) => Promise<AccessClaims>;

/** One Pydantic-style validation issue (FastAPI's 422 `detail` items). */
export interface ValidationItem {
  type: string;
  loc: (string | number)[];
  msg: string;
}

/** A refusal in a seed's error shape: a status, the `detail` and extra headers. */
export class SeedError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string | ValidationItem[],
    readonly headers: Record<string, string> = {},
  ) {
    super(typeof detail === 'string' ? detail : 'validation failed');
  }
}

// ---- request bodies ----

/** The seed's JSON bodies, parsed here (the gateway itself streams bodies untouched). */
export const jsonBody = (limit: string): RequestHandler => jsonBodies(limit);

/** A form-encoded body (FastAPI's `Form()`), or JSON. A repeated field is an array, so a 422. */
export function formOrJsonBody(limit: string): RequestHandler {
  const form = express.urlencoded({ limit, extended: false, parameterLimit: 20 });
  const json = jsonBodies(limit);
  return (req, res, next) => form(req, res, (err?: unknown) => (err ? next(err) : json(req, res, next)));
}

export function validationItems(error: z.ZodError, where: string): ValidationItem[] {
  return error.issues.map((issue) => {
    const loc = [where, ...issue.path.map((p) => (typeof p === 'number' ? p : String(p)))];
    if (issue.code === 'invalid_type' && /received undefined/.test(issue.message)) return { type: 'missing', loc, msg: 'Field required' };
    // Pydantic v2 takes no number (or anything else) for a string field, even in lax mode.
    if (issue.code === 'invalid_type' && issue.expected === 'string') return { type: 'string_type', loc, msg: 'Input should be a valid string' };
    return { type: issue.code, loc, msg: issue.message };
  });
}

/** The body as `schema` reads it, or FastAPI's 422 naming each bad field. */
export function parseBody<T extends z.ZodType>(schema: T, req: Request): z.output<T> {
  if (req.body === undefined || req.body === null || typeof req.body !== 'object' || Array.isArray(req.body)) {
    const missing = req.body === undefined;
    throw new SeedError(422, [{ type: missing ? 'missing' : 'model_attributes_type', loc: ['body'], msg: missing ? 'Field required' : 'Input should be a valid object' }]);
  }
  const parsed = schema.safeParse(req.body);
  if (!parsed.success) throw new SeedError(422, validationItems(parsed.error, 'body'));
  return parsed.data;
}

// ---- upstream calls ----

export interface Upstream {
  status: number;
  body: unknown;
  headers: Headers;
}

export interface CallOptions {
  /** Sent as JSON. */
  body?: unknown;
  /** `client`: the client's own Authorization header; a string: that access token; none: no token. */
  token?: string;
}

/** Calls `service` at `path`; resolves with any HTTP answer, throws a SeedError (503/504) when there is none. */
export type Caller<S extends string> = (service: S, req: Request, res: Response, method: string, path: string, opts?: CallOptions) => Promise<Upstream>;

export interface CallerDeps<S extends string> {
  /** Base URL per service. */
  services: Record<S, string>;
  /** A call not answered within this time is a 504. */
  timeoutMs: number;
  logger: Logger;
  /** How a request goes out (e.g. through the service's circuit breaker); the global fetch by default. */
  fetch?: (service: S, url: URL, init: RequestInit) => Promise<globalThis.Response>;
}

const FORWARDED = ['x-request-id', 'traceparent', 'tracestate'] as const;

/**
 * The caller of the seed routers: the client's request id, trace context and address (as the gateway
 * resolved it) go along; the client's token only when asked for.
 */
export function upstreamCaller<S extends string>(deps: CallerDeps<S>): Caller<S> {
  const send = deps.fetch ?? ((_service: S, url: URL, init: RequestInit) => fetch(url, init));
  return async (service, req, res, method, path, opts = {}) => {
    const headers: Record<string, string> = { accept: 'application/json' };
    for (const name of FORWARDED) {
      const value = req.get(name);
      if (value) headers[name] = value;
    }
    const { clientAddress, secure } = (res.locals ?? {}) as EdgeLocals;
    if (clientAddress) headers['x-forwarded-for'] = clientAddress;
    headers['x-forwarded-proto'] = secure ? 'https' : 'http';
    const authorization = opts.token === 'client' ? req.get('authorization') : opts.token ? `Bearer ${opts.token}` : undefined;
    if (authorization) headers.authorization = authorization;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    let answer: globalThis.Response;
    try {
      answer = await send(service, new URL(path, deps.services[service]), {
        method,
        headers,
        ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
        signal: AbortSignal.timeout(deps.timeoutMs),
        redirect: 'manual',
      });
    } catch (err) {
      // An open circuit breaker, say: already a client-safe status and message.
      if (err instanceof AppError) throw err;
      const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
      deps.logger.warn({ err: (err as Error).message, service }, 'seed route: upstream call failed');
      throw timedOut
        ? new SeedError(504, `${service} did not answer in time`, { 'Retry-After': '1' })
        : new SeedError(503, `${service} is unavailable`, { 'Retry-After': '1' });
    }
    const text = await answer.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined; // not JSON (a proxy's error page): the status alone speaks
    }
    return { status: answer.status, body, headers: answer.headers };
  };
}

/** The `detail` of a problem+json answer. */
export const detailOf = (body: unknown): string | undefined =>
  typeof body === 'object' && body !== null && typeof (body as { detail?: unknown }).detail === 'string' ? (body as { detail: string }).detail : undefined;

/** The seed's text per upstream status, possibly with another status. */
export type UpstreamTexts = Partial<Record<number, string | [number, string]>>;

/**
 * An upstream refusal in the seed's terms: `texts` names the seed's answer per upstream status; a 401
 * becomes `unauthorized` (the seed's bad-token answer) when given; anything else keeps the upstream
 * status and its `detail`.
 */
export function upstreamError(up: Upstream, texts: UpstreamTexts = {}, unauthorized?: SeedError): SeedError {
  const headers: Record<string, string> = {};
  const retryAfter = up.headers.get('retry-after');
  if (retryAfter && (up.status === 429 || up.status >= 500)) headers['Retry-After'] = retryAfter;
  const mapped = texts[up.status];
  if (Array.isArray(mapped)) return new SeedError(mapped[0], mapped[1], headers);
  if (typeof mapped === 'string') return new SeedError(up.status, mapped, headers);
  if (up.status === 401 && unauthorized) return unauthorized;
  return new SeedError(up.status, detailOf(up.body) ?? (up.status >= 500 ? 'Service unavailable' : 'Request failed'), headers);
}

/** Every page of a v1 cursor listing (`{items, nextCursor}`), in order. */
export async function allPages<T>(fetchPage: (cursor: string | null) => Promise<{ items: T[]; nextCursor: string | null }>, logger: Logger, maxPages = 1_000): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < maxPages; page++) {
    const { items, nextCursor } = await fetchPage(cursor);
    out.push(...items);
    if (!nextCursor) return out;
    cursor = nextCursor;
  }
  logger.warn({ maxPages }, 'seed route: listing stopped at the page limit');
  return out;
}

// ---- gates ----

export const clientAddressOf = (res: Response): string => (res.locals as EdgeLocals).clientAddress ?? 'unknown';

export interface GateDeps {
  limits: Pick<RateLimits, 'client' | 'strict'>;
  authorize: Authorize;
}

/** The seed's answers when the gateway's token check refuses. */
export interface Refusals {
  /** No token at all, where the seed answers that apart from a bad one. */
  missing?(): SeedError;
  unauthorized(): SeedError;
  forbidden(): SeedError;
}

export const BEARER_CHALLENGE: Readonly<Record<string, string>> = { 'WWW-Authenticate': 'Bearer' };

/** FastAPI's OAuth2 bearer answers (the ClickBit and JWT seeds are FastAPI applications). */
export const OAUTH2_TEXTS = {
  notAuthenticated: 'Not authenticated',
  invalidToken: 'Could not validate credentials',
  forbidden: 'Not enough permissions',
} as const;

export const oauth2Refusals: Required<Refusals> = {
  missing: () => new SeedError(401, OAUTH2_TEXTS.notAuthenticated, BEARER_CHALLENGE),
  unauthorized: () => new SeedError(401, OAUTH2_TEXTS.invalidToken, BEARER_CHALLENGE),
  forbidden: () => new SeedError(403, OAUTH2_TEXTS.forbidden),
};

/** The gateway's token check, its refusals in the seed's words. */
export async function authorizeAs(deps: GateDeps, refusals: Refusals, req: Request, access: Access, token?: string): Promise<AccessClaims> {
  try {
    return await deps.authorize(req, access, token);
  } catch (err) {
    if (err instanceof UnauthorizedError) throw refusals.unauthorized();
    if (err instanceof ForbiddenError) throw refusals.forbidden();
    throw err;
  }
}

/** The per-client limit (every seed route), the strict one (logins, signups) and the bearer-token check. */
export function seedGates(deps: GateDeps, refusals: Refusals) {
  const perClient: RequestHandler = async (_req, res, next) => {
    await deps.limits.client(clientAddressOf(res));
    next();
  };
  const strict: RequestHandler = async (_req, res, next) => {
    await deps.limits.strict(clientAddressOf(res));
    next();
  };
  const requires = (access: Access): RequestHandler => async (req, _res, next) => {
    if (refusals.missing && !bearerToken(req.get('authorization'))) throw refusals.missing();
    await authorizeAs(deps, refusals, req, access);
    next();
  };
  return { perClient, strict, requires };
}

/** FastAPI's 405 (with `Allow`) for any other method on the seed's paths. */
export function refuseOtherMethods(router: Router, allowed: Record<string, string[]>, gate: RequestHandler): void {
  for (const [path, methods] of Object.entries(allowed)) {
    router.all(path, gate, (_req, res) => {
      res.status(405).set('Allow', methods.join(', ')).json({ detail: 'Method Not Allowed' });
    });
  }
}

// ---- errors ----

/**
 * Every error of a seed router in the seed's shape (`{"detail": ...}` unless `render` says otherwise),
 * never problem+json: body-parser failures as FastAPI answers them, the gateway's 429, an AppError's
 * status and message, anything else a logged 500 with a generic text.
 */
export function seedErrors(logger: Logger, render: (error: SeedError) => unknown = (e) => ({ detail: e.detail })): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) return next(err);
    let error: SeedError;
    const parserType = typeof err === 'object' && err !== null && 'type' in err ? (err as { type: unknown }).type : undefined;
    if (err instanceof SeedError) error = err;
    else if (parserType === 'entity.parse.failed') error = new SeedError(422, [{ type: 'json_invalid', loc: ['body'], msg: 'JSON decode error' }]);
    else if (parserType === 'entity.too.large') error = new SeedError(413, 'Request body is too large');
    else if (parserType === 'charset.unsupported') error = new SeedError(415, 'Request body charset is not supported: send UTF-8');
    else if (parserType === 'encoding.unsupported') error = new SeedError(415, 'Request body content encoding is not supported');
    else if (typeof parserType === 'string' && parserType.includes('.')) error = new SeedError(400, 'Request body could not be read');
    else if (err instanceof TooManyRequestsError) error = new SeedError(429, err.message, { 'Retry-After': String(err.retryAfterSeconds) });
    else if (err instanceof AppError) {
      if (err.status >= 500) logger.error({ err }, err.message);
      const retryAfter = (err as { retryAfterSeconds?: unknown }).retryAfterSeconds;
      error = new SeedError(err.status, err.message, typeof retryAfter === 'number' ? { 'Retry-After': String(retryAfter) } : {});
    } else {
      logger.error({ err, method: req.method, path: req.path }, 'seed route: unhandled error');
      error = new SeedError(500, 'Internal Server Error');
    }
    res.status(error.status).set(error.headers).json(render(error));
  };
}
