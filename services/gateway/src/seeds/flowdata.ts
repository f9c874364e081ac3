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
import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { RateLimits } from '../rate-limits';
import {
  allPages, jsonBody, parseBody, refuseOtherMethods, seedErrors, seedGates, SeedError, upstreamCaller, upstreamError,
  type Authorize, type CallerDeps, type Upstream, type UpstreamTexts,
} from './upstream';

export interface FlowDataDeps {
  authUrl: string;
  studentsUrl: string;
  /** An upstream call not answered within this time is a 504. */
  timeoutMs: number;
  /** Largest accepted JSON body (body-parser notation). */
  bodyLimit: string;
  /** The gateway's own check: verified token, not revoked, per-user limit, role. */
  authorize: Authorize;
  limits: Pick<RateLimits, 'client' | 'strict'>;
  logger: Logger;
  fetch?: CallerDeps<'auth' | 'students'>['fetch'];
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

const invalidToken = () => new SeedError(401, TEXTS.invalidToken, { 'WWW-Authenticate': 'Bearer' });
const adminRequired = () => new SeedError(403, TEXTS.adminRequired);
/** An upstream refusal with the seed's texts; a 401 is the seed's bad-token answer. */
const failed = (up: Upstream, texts: UpstreamTexts = {}) => upstreamError(up, texts, invalidToken());

// ---- request shapes (lax like Pydantic v2: unknown fields are ignored, numeric strings are integers, but a number is no string) ----

const laxInt = z.union([z.number().int(), z.string().regex(/^-?\d{1,15}$/).transform(Number)]);
const SignupBody = z.object({ username: z.string(), password: z.string(), email: z.string() });
const LoginBody = z.object({ username: z.string(), password: z.string() });
const StudentBody = z.object({
  id: laxInt.pipe(z.number().positive()).optional(),
  name: z.string(),
  age: laxInt,
  roll_no: laxInt,
  grade: z.string(),
});

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

/** v1 roll numbers are strings (`R-101` is allowed); an integer (`101`, `-5`) goes back as the seed's integer. */
const seedRollNo = (rollNo: string): number | string => (/^(0|-?[1-9]\d{0,14})$/.test(rollNo) ? Number(rollNo) : rollNo);

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

export function flowdataRoutes(deps: FlowDataDeps): Router {
  const router = Router();
  const json = jsonBody(deps.bodyLimit);
  const call = upstreamCaller({
    services: { auth: deps.authUrl, students: deps.studentsUrl }, timeoutMs: deps.timeoutMs, logger: deps.logger, ...(deps.fetch ? { fetch: deps.fetch } : {}),
  });
  const { perClient, strict, requires } = seedGates(deps, { unauthorized: invalidToken, forbidden: adminRequired });
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
    if (up.status !== 201) throw failed(up, { 409: [400, kind === 'admin' ? TEXTS.adminExists : TEXTS.userExists] });
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
    if (up.status !== 200) throw failed(up, { 401: TEXTS.invalidCredentials, 400: [401, TEXTS.invalidCredentials] });
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
    if (up.status !== 200) throw failed(up);
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
    if (up.status !== 201) throw failed(up, { 409: [400, TEXTS.studentExists], 403: TEXTS.adminRequired });
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
    if (up.status !== 200) throw failed(up, { 404: TEXTS.studentNotFound, 409: [400, TEXTS.studentExists], 403: TEXTS.adminRequired });
    res.json({ message: 'Student updated successfully', student: studentOf(up) });
  });

  router.delete('/admin-delete-student/:id', perClient, admin, async (req, res) => {
    const id = studentIdOf(req);
    const up = await call('students', req, res, 'DELETE', `/api/v1/students/${id}`, { token: 'client' });
    if (up.status !== 204) throw failed(up, { 404: TEXTS.studentNotFound, 403: TEXTS.adminRequired });
    res.json({ message: 'Student deleted successfully' });
  });

  // ---- reading (any signed-in account) ----

  /** Every page of a v1 search, in id order, as the seed's plain array. */
  const allStudents = async (req: Request, res: Response, filters: Record<string, string>) => {
    const rows = await allPages(async (cursor) => {
      const query = new URLSearchParams({ ...filters, sort: 'id', limit: '100', ...(cursor ? { cursor } : {}) });
      const up = await call('students', req, res, 'GET', `/api/v1/students?${query}`, { token: 'client' });
      if (up.status !== 200) throw failed(up);
      return up.body as { items: V1Student[]; nextCursor: string | null };
    }, deps.logger);
    return rows.map(toSeedStudent);
  };

  router.get('/get-all-students', perClient, member, async (req, res) => {
    res.json(await allStudents(req, res, {}));
  });

  router.get('/get-student/:id', perClient, member, async (req, res) => {
    const id = studentIdOf(req);
    const up = await call('students', req, res, 'GET', `/api/v1/students/${id}`, { token: 'client' });
    if (up.status !== 200) throw failed(up, { 404: TEXTS.studentNotFound });
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
  refuseOtherMethods(router, allowed, perClient);

  router.use(seedErrors(deps.logger));
  return router;
}
