/**
 * The FlowData seed's routes (shared/seeds/000), translated onto the platform's /api/v1 services.
 *
 * Each route parses the seed's JSON body, calls auth or students directly over HTTP (forwarding the
 * client's Authorization, the request id, the W3C trace context and the client address) and reshapes
 * the answer into the seed's: its status codes, response shapes, epoch-second timestamps, integer
 * `roll_no` and `{"detail": ...}` errors with the seed's texts. The gateway's policy still applies:
 * the per-client limit on every route, the strict limit on login and signup, and the same token
 * verification, revocation check and per-user limit as /api/v1 (`authorize`) on the protected ones.
 *
 * Where the seed is unsafe the route stays and the hole is closed (README, "Where we deviate from the
 * seeds on purpose"): admin signup is open for the first admin only, a `role` in a signup body is
 * ignored, and logins answer 401 "Invalid credentials" alike for an unknown user, a wrong password and
 * an account of the other kind (the seed's 404 "Admin not found"/"User not found" would tell which
 * usernames exist).
 */
import express, { Router, type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { AccessClaims } from '@sms/shared/auth';
import { AppError, ForbiddenError, TooManyRequestsError, UnauthorizedError } from '@sms/shared/errors';
import type { EdgeLocals } from '../edge';
import type { RateLimits } from '../rate-limits';

export interface FlowDataDeps {
  authUrl: string;
  studentsUrl: string;
  /** An upstream call not answered within this time is a 504. */
  timeoutMs: number;
  /** Largest accepted JSON body (body-parser notation). */
  bodyLimit: string;
  /** The gateway's own check: verified token, not revoked, per-user limit, role. */
  authorize(req: Request, access: 'member' | 'admin'): Promise<AccessClaims>;
  limits: Pick<RateLimits, 'client' | 'strict'>;
  logger: Logger;
}

/** The seed's error texts. */
export const TEXTS = {
  invalidToken: 'Invalid or expired token',
  adminRequired: 'Access forbidden: Admin privileges required',
  invalidCredentials: 'Invalid credentials',
  adminExists: 'Admin already exists',
  userExists: 'User already exists',
  studentNotFound: 'Student not found',
  studentExists: 'Student already exists',
} as const;

/** One Pydantic-style validation issue (FastAPI's 422 `detail` items). */
interface ValidationItem {
  type: string;
  loc: (string | number)[];
  msg: string;
}

/** An answer in the seed's error shape: `{"detail": ...}` with a status. */
export class SeedError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string | ValidationItem[],
    readonly headers: Record<string, string> = {},
  ) {
    super(typeof detail === 'string' ? detail : 'validation failed');
  }
}

// ---- request shapes (lax like Pydantic: unknown fields are ignored, numeric strings are numbers) ----

const laxInt = z.union([z.number().int(), z.string().regex(/^-?\d{1,15}$/).transform(Number)]);
const SignupBody = z.object({ username: z.string(), password: z.string(), email: z.string() });
const LoginBody = z.object({ username: z.string(), password: z.string() });
const StudentBody = z.object({
  id: laxInt.pipe(z.number().positive()).optional(),
  name: z.string(),
  age: laxInt,
  roll_no: laxInt,
  grade: z.union([z.string(), z.number().transform(String)]),
});

function validationItems(error: z.ZodError, where: string): ValidationItem[] {
  return error.issues.map((issue) => {
    const missing = issue.code === 'invalid_type' && /received undefined/.test(issue.message);
    return {
      type: missing ? 'missing' : issue.code,
      loc: [where, ...issue.path.map((p) => (typeof p === 'number' ? p : String(p)))],
      msg: missing ? 'Field required' : issue.message,
    };
  });
}

function parseBody<T extends z.ZodType>(schema: T, req: Request): z.output<T> {
  if (req.body === undefined || req.body === null || typeof req.body !== 'object' || Array.isArray(req.body)) {
    const missing = req.body === undefined;
    throw new SeedError(422, [{ type: missing ? 'missing' : 'model_attributes_type', loc: ['body'], msg: missing ? 'Field required' : 'Input should be a valid object' }]);
  }
  const parsed = schema.safeParse(req.body);
  if (!parsed.success) throw new SeedError(422, validationItems(parsed.error, 'body'));
  return parsed.data;
}

/** The seed's `{student_id}`: an integer, else FastAPI's 422; a non-positive one names no student. */
function studentIdOf(req: Request): number {
  const raw = String(req.params.id ?? '');
  if (!/^-?\d{1,16}$/.test(raw)) {
    throw new SeedError(422, [{ type: 'int_parsing', loc: ['path', 'student_id'], msg: 'Input should be a valid integer, unable to parse string as an integer' }]);
  }
  const id = Number(raw);
  if (id < 1 || !Number.isSafeInteger(id)) throw new SeedError(404, TEXTS.studentNotFound);
  return id;
}

// ---- answer shapes ----

interface V1Student {
  id: number;
  name: string;
  age: number;
  roll_no: string;
  grade: string;
  created_at: string;
  updated_at: string;
}

const epochSeconds = (iso: string | undefined): number | null => {
  const ms = iso === undefined ? NaN : Date.parse(iso);
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : null;
};

/** v1 roll numbers are strings (`R-101` is allowed); a plain number goes back as the seed's integer. */
const seedRollNo = (rollNo: string): number | string => (/^(0|[1-9]\d{0,14})$/.test(rollNo) ? Number(rollNo) : rollNo);

export function toSeedStudent(s: V1Student) {
  return {
    id: s.id,
    name: s.name,
    age: s.age,
    roll_no: seedRollNo(s.roll_no),
    grade: s.grade,
    created_at: epochSeconds(s.created_at),
    updated_at: epochSeconds(s.updated_at),
  };
}

// ---- upstream calls ----

interface Upstream {
  status: number;
  body: unknown;
  headers: Headers;
}

const detailOf = (body: unknown): string | undefined =>
  typeof body === 'object' && body !== null && typeof (body as { detail?: unknown }).detail === 'string' ? (body as { detail: string }).detail : undefined;

/**
 * An upstream failure in the seed's shape: `texts` names the seed's text per upstream status (and
 * possibly another status); anything else keeps the upstream status and its `detail`.
 */
function upstreamError(up: Upstream, texts: Partial<Record<number, string | [number, string]>> = {}): SeedError {
  const headers: Record<string, string> = {};
  const retryAfter = up.headers.get('retry-after');
  if (retryAfter && (up.status === 429 || up.status >= 500)) headers['Retry-After'] = retryAfter;
  const mapped = texts[up.status];
  if (Array.isArray(mapped)) return new SeedError(mapped[0], mapped[1], headers);
  if (typeof mapped === 'string') return new SeedError(up.status, mapped, headers);
  if (up.status === 401) return new SeedError(401, TEXTS.invalidToken, { 'WWW-Authenticate': 'Bearer' });
  if (up.status >= 500) return new SeedError(up.status, detailOf(up.body) ?? 'Service unavailable', headers);
  return new SeedError(up.status, detailOf(up.body) ?? 'Request failed', headers);
}

const FORWARDED = ['x-request-id', 'traceparent', 'tracestate'] as const;

export function flowdataRoutes(deps: FlowDataDeps): Router {
  const router = Router();
  const json = express.json({ limit: deps.bodyLimit, strict: true });

  /** Calls a service: the client's request id, trace context and address go along; the token only when asked. */
  const call = async (
    service: 'auth' | 'students',
    req: Request,
    res: Response,
    method: string,
    path: string,
    opts: { body?: unknown; token?: string | 'client' } = {},
  ): Promise<Upstream> => {
    const base = service === 'auth' ? deps.authUrl : deps.studentsUrl;
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
      answer = await fetch(new URL(path, base), {
        method,
        headers,
        ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
        signal: AbortSignal.timeout(deps.timeoutMs),
        redirect: 'manual',
      });
    } catch (err) {
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
      body = undefined;
    }
    return { status: answer.status, body, headers: answer.headers };
  };

  // ---- gates ----
  const clientAddress = (res: Response) => (res.locals as EdgeLocals).clientAddress ?? 'unknown';
  const perClient: RequestHandler = async (_req, res, next) => {
    await deps.limits.client(clientAddress(res));
    next();
  };
  const strict: RequestHandler = async (_req, res, next) => {
    await deps.limits.strict(clientAddress(res));
    next();
  };
  const requires = (access: 'member' | 'admin'): RequestHandler => async (req, _res, next) => {
    try {
      await deps.authorize(req, access);
    } catch (err) {
      if (err instanceof UnauthorizedError) throw new SeedError(401, TEXTS.invalidToken, { 'WWW-Authenticate': 'Bearer' });
      if (err instanceof ForbiddenError) throw new SeedError(403, TEXTS.adminRequired);
      throw err;
    }
    next();
  };
  const member = requires('member');
  const admin = requires('admin');

  // ---- authentication ----

  const signup = (kind: 'admin' | 'user'): RequestHandler => async (req, res) => {
    // `role` and any other field of the seed's body are ignored: the route decides the role.
    const { username, password, email } = parseBody(SignupBody, req);
    const up = await call('auth', req, res, 'POST', kind === 'admin' ? '/api/v1/auth/admin-signup' : '/api/v1/auth/signup', {
      body: { username, email, password },
      // An admin may create another admin once the first exists (auth checks the token and its session).
      ...(kind === 'admin' ? { token: 'client' as const } : {}),
    });
    if (up.status !== 201) throw upstreamError(up, { 409: [400, kind === 'admin' ? TEXTS.adminExists : TEXTS.userExists] });
    const message = kind === 'admin' ? 'Admin registered successfully' : 'User registered successfully';
    res.status(200).json({ message, username: (up.body as { user?: { username?: string } }).user?.username ?? username });
  };

  /**
   * The account's created/updated instants, from auth's users read model (only an admin may read it;
   * the listing is the view that carries them, so search it by username).
   */
  const accountTimes = async (req: Request, res: Response, token: string, user: { id: string; username: string }) => {
    const deadline = Date.now() + 1_500;
    for (;;) {
      let cursor: string | null = null;
      for (let page = 0; page < 20; page++) {
        const query = new URLSearchParams({ q: user.username, limit: '100', ...(cursor ? { cursor } : {}) });
        const up = await call('auth', req, res, 'GET', `/api/v1/users?${query}`, { token });
        if (up.status !== 200) return { created: null, updated: null };
        const { items, nextCursor } = up.body as { items: { id: string; createdAt?: string; updatedAt?: string }[]; nextCursor: string | null };
        const row = items.find((i) => i.id === user.id);
        if (row) return { created: epochSeconds(row.createdAt), updated: epochSeconds(row.updatedAt) };
        if (!nextCursor) break;
        cursor = nextCursor;
      }
      // The read model follows auth.events: a just-registered account may take a moment to appear.
      if (Date.now() > deadline) return { created: null, updated: null };
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  const login = (kind: 'admin' | 'user'): RequestHandler => async (req, res) => {
    const { username, password } = parseBody(LoginBody, req);
    const up = await call('auth', req, res, 'POST', '/api/v1/auth/login', { body: { username, password } });
    // One answer for an unknown user and a wrong password (auth gives no other): no username probing.
    if (up.status !== 200) throw upstreamError(up, { 401: TEXTS.invalidCredentials, 400: [401, TEXTS.invalidCredentials] });
    const pair = up.body as { accessToken: string; user: { id: string; username: string; email: string; role: 'admin' | 'user' } };
    if (pair.user.role !== kind) {
      // The seed keeps admins and users apart: the other kind's account is not found here. Close the
      // session the login just opened and answer as for a wrong password.
      await call('auth', req, res, 'POST', '/api/v1/auth/logout', { token: pair.accessToken }).catch(() => undefined);
      throw new SeedError(401, TEXTS.invalidCredentials);
    }
    const times = kind === 'admin' ? await accountTimes(req, res, pair.accessToken, pair.user) : { created: null, updated: null };
    const account = { username: pair.user.username, email: pair.user.email, role: pair.user.role, ...times };
    res.set('Cache-Control', 'no-store').json({ message: 'Login successful', access_token: pair.accessToken, token_type: 'bearer', [kind]: account });
  };

  router.post('/admin-signup', perClient, strict, json, signup('admin'));
  router.post('/admin-login', perClient, strict, json, login('admin'));
  router.post('/user-signup', perClient, strict, json, signup('user'));
  router.post('/user-login', perClient, strict, json, login('user'));

  // ---- admin ----

  router.get('/admin-dashboard', perClient, admin, async (req, res) => {
    const up = await call('auth', req, res, 'GET', '/api/v1/auth/me', { token: 'client' });
    if (up.status !== 200) throw upstreamError(up);
    const { username } = (up.body as { user: { username: string } }).user;
    res.json({ message: `Welcome, ${username}! This is your admin dashboard.` });
  });

  const studentFields = (body: z.output<typeof StudentBody>) => ({ name: body.name, age: body.age, roll_no: String(body.roll_no), grade: body.grade });
  const studentOf = (up: Upstream) => toSeedStudent((up.body as { student: V1Student }).student);

  router.post('/admin-add-student', perClient, admin, json, async (req, res) => {
    const body = parseBody(StudentBody, req);
    const up = await call('students', req, res, 'POST', '/api/v1/students', {
      token: 'client',
      body: { ...(body.id !== undefined ? { id: body.id } : {}), ...studentFields(body) },
    });
    if (up.status !== 201) throw upstreamError(up, { 409: [400, TEXTS.studentExists], 403: TEXTS.adminRequired });
    res.status(200).json({ message: 'Student added successfully', student: studentOf(up) });
  });

  router.put('/admin-update-student/:id', perClient, admin, json, async (req, res) => {
    const id = studentIdOf(req);
    const body = parseBody(StudentBody, req);
    if (body.id !== undefined && body.id !== id) {
      throw new SeedError(400, `the id in the body (${body.id}) differs from the student_id in the path (${id})`);
    }
    // PATCH with the seed's fields: fields the seed does not know (email, date of birth) are kept.
    const up = await call('students', req, res, 'PATCH', `/api/v1/students/${id}`, { token: 'client', body: studentFields(body) });
    if (up.status !== 200) throw upstreamError(up, { 404: TEXTS.studentNotFound, 409: [400, TEXTS.studentExists], 403: TEXTS.adminRequired });
    res.json({ message: 'Student updated successfully', student: studentOf(up) });
  });

  router.delete('/admin-delete-student/:id', perClient, admin, async (req, res) => {
    const id = studentIdOf(req);
    const up = await call('students', req, res, 'DELETE', `/api/v1/students/${id}`, { token: 'client' });
    if (up.status !== 204) throw upstreamError(up, { 404: TEXTS.studentNotFound, 403: TEXTS.adminRequired });
    res.json({ message: 'Student deleted successfully' });
  });

  // ---- reading (any signed-in account) ----

  /** Every page of a v1 search, in id order, as the seed's plain array. */
  const allStudents = async (req: Request, res: Response, filters: Record<string, string>) => {
    const out: ReturnType<typeof toSeedStudent>[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 1_000; page++) {
      const query = new URLSearchParams({ ...filters, sort: 'id', limit: '100', ...(cursor ? { cursor } : {}) });
      const up = await call('students', req, res, 'GET', `/api/v1/students?${query}`, { token: 'client' });
      if (up.status !== 200) throw upstreamError(up);
      const { items, nextCursor } = up.body as { items: V1Student[]; nextCursor: string | null };
      out.push(...items.map(toSeedStudent));
      if (!nextCursor) return out;
      cursor = nextCursor;
    }
    deps.logger.warn('seed route: student listing stopped after 1000 pages');
    return out;
  };

  router.get('/get-all-students', perClient, member, async (req, res) => {
    res.json(await allStudents(req, res, {}));
  });

  router.get('/get-student/:id', perClient, member, async (req, res) => {
    const id = studentIdOf(req);
    const up = await call('students', req, res, 'GET', `/api/v1/students/${id}`, { token: 'client' });
    if (up.status !== 200) throw upstreamError(up, { 404: TEXTS.studentNotFound });
    res.json(studentOf(up));
  });

  router.get('/students', perClient, member, async (req, res) => {
    // Like FastAPI: a repeated parameter counts by its last value; an empty one is no filter.
    const param = (name: string): string | undefined => {
      const raw = req.query[name];
      const value = Array.isArray(raw) ? raw.at(-1) : raw;
      return typeof value === 'string' && value !== '' ? value : undefined;
    };
    const filters: Record<string, string> = {};
    const grade = param('grade');
    const name = param('name');
    const rollNo = param('roll_no');
    if (grade !== undefined) filters.grade = grade;
    if (name !== undefined) filters.name = name;
    if (rollNo !== undefined) {
      if (!/^-?\d{1,15}$/.test(rollNo)) {
        throw new SeedError(422, [{ type: 'int_parsing', loc: ['query', 'roll_no'], msg: 'Input should be a valid integer, unable to parse string as an integer' }]);
      }
      filters.roll_no = String(Number(rollNo));
    }
    res.json(await allStudents(req, res, filters));
  });

  // ---- other methods on the seed's paths: FastAPI's 405 ----
  const allowed: Record<string, string[]> = {
    '/admin-signup': ['POST'], '/admin-login': ['POST'], '/user-signup': ['POST'], '/user-login': ['POST'],
    '/admin-dashboard': ['GET', 'HEAD'], '/admin-add-student': ['POST'], '/admin-update-student/:id': ['PUT'],
    '/admin-delete-student/:id': ['DELETE'], '/get-all-students': ['GET', 'HEAD'], '/get-student/:id': ['GET', 'HEAD'], '/students': ['GET', 'HEAD'],
  };
  for (const [path, methods] of Object.entries(allowed)) {
    router.all(path, perClient, (_req, res) => {
      res.status(405).set('Allow', methods.join(', ')).json({ detail: 'Method Not Allowed' });
    });
  }

  router.use(seedErrors(deps.logger));
  return router;
}

/** Every error of a seed route as `{"detail": ...}`, the seed's shape, never problem+json. */
function seedErrors(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) return next(err);
    let error: SeedError;
    const parserType = typeof err === 'object' && err !== null && 'type' in err ? (err as { type: unknown }).type : undefined;
    if (err instanceof SeedError) error = err;
    else if (parserType === 'entity.parse.failed') error = new SeedError(422, [{ type: 'json_invalid', loc: ['body'], msg: 'JSON decode error' }]);
    else if (parserType === 'entity.too.large') error = new SeedError(413, 'Request body is too large');
    else if (typeof parserType === 'string' && parserType.includes('.')) error = new SeedError(400, 'Request body could not be read');
    else if (err instanceof TooManyRequestsError) error = new SeedError(429, err.message, { 'Retry-After': String(err.retryAfterSeconds) });
    else if (err instanceof AppError) {
      if (err.status >= 500) logger.error({ err }, err.message);
      error = new SeedError(err.status, err.message);
    } else {
      logger.error({ err, method: req.method, path: req.path }, 'seed route: unhandled error');
      error = new SeedError(500, 'Internal Server Error');
    }
    res.status(error.status).set(error.headers).json({ detail: error.detail });
  };
}
