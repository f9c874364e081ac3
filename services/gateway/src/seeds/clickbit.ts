/**
 * The ClickBit seed's routes (shared/seeds/003), translated onto auth's /api/v1 in the `default`
 * organization: form-encoded (or JSON) register and login, a cookie session, `/user/me`, password
 * change, logout, and the `/health` family (clickbit-health.ts).
 *
 * The session cookie `user_session` holds the access token: HttpOnly, SameSite=Lax (the session
 * survives following a link to the site; cross-site subrequests and form posts carry no cookie),
 * Secure when the request came over TLS, Path=/, Max-Age = the access token's lifetime. A request
 * authenticated by that cookie goes through the gateway's `authorize` (signature, revocation, per-user
 * limit) like a bearer token, and an unsafe one (POST, PUT, PATCH, DELETE) must also carry a CSRF
 * token (csrf-csrf's double submit): the cookie `csrf_token` (readable by the page, same attributes
 * but not HttpOnly) echoed in the `X-CSRF-Token` header or a `csrf_token` form field; the token is an
 * HMAC (CSRF_SECRET) bound to the session id, so neither a token of another session nor a cookie
 * planted by a sibling subdomain passes. A request with `Authorization: Bearer` is not
 * cookie-authenticated (its cookie is ignored) and needs no CSRF token. A login that the browser
 * marks `Sec-Fetch-Site: cross-site` is refused (login CSRF).
 *
 * Logout is ClickBit's "token versioning": auth revokes the session, and the gateway refuses its token
 * (cookie or bearer) within about a second. The seed documents no path for logout and password
 * change; they are `POST /user/logout` and `POST /user/change-password` (`current_password`,
 * `new_password`), ClickBit's own names.
 */
import { createHash } from 'node:crypto';
import cookieParser from 'cookie-parser';
import { doubleCsrf } from 'csrf-csrf';
import { Router, type CookieOptions, type Request, type RequestHandler, type Response } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import { bearerToken, type AccessClaims } from '@sms/shared/auth';
import { plainText } from '@sms/shared/http';
import type { EdgeLocals } from '../edge';
import { clickbitHealthRoutes } from './clickbit-health';
import {
  authorizeAs, detailOf, formOrJsonBody, OAUTH2_TEXTS, oauth2Refusals, parseBody, refuseOtherMethods, seedErrors, seedGates, SeedError,
  upstreamCaller, upstreamError,
  type Access, type CallerDeps, type GateDeps, type Upstream, type UpstreamTexts,
} from './upstream';

type Service = 'auth' | 'students' | 'organizations';

export interface ClickBitDeps extends GateDeps {
  services: Record<Service, string>;
  /** An upstream call not answered within this time is a 504. */
  timeoutMs: number;
  /** Largest accepted body (body-parser notation). */
  bodyLimit: string;
  /** Key of the CSRF tokens' HMAC. */
  csrfSecret: string;
  /** NODE_ENV, shown by the health routes. */
  environment: string;
  logger: Logger;
  fetch?: CallerDeps<Service>['fetch'];
}

export const SESSION_COOKIE = 'user_session';
export const CSRF_COOKIE = 'csrf_token';
export const CSRF_HEADER = 'x-csrf-token';
const CSRF_FIELD = 'csrf_token';

export const TEXTS = {
  ...OAUTH2_TEXTS,
  csrf: 'CSRF token missing or invalid',
  crossSiteLogin: 'Cross-site login refused',
  invalidCredentials: 'Invalid email or password',
  deactivated: 'Account is deactivated',
  emailTaken: 'Email already registered',
  wrongPassword: 'Current password is incorrect',
} as const;

const refusals = oauth2Refusals;
const failed = (up: Upstream, texts: UpstreamTexts = {}) => upstreamError(up, texts, refusals.unauthorized());

// ---- request shapes (FastAPI `Form()` fields; unknown fields such as csrf_token are ignored) ----

const Email = z.string().trim().pipe(z.email({ message: 'value is not a valid email address' }).max(254));
/** Names are validated like every name of the platform (no control characters, ...), then dropped (README). */
const RegisterBody = z.object({
  firstName: plainText(50),
  // An empty form field is no last name.
  lastName: z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), plainText(50).optional()),
  email: Email,
  password: z.string(),
});
const LoginBody = z.object({ email: Email, password: z.string() });
const ChangePasswordBody = z.object({ current_password: z.string(), new_password: z.string() });

/**
 * ClickBit accounts have no username; auth needs one. It is made from the (lowercased) email, so one
 * email always names one username: a second registration of an email is a conflict either way.
 */
export function usernameFor(email: string): string {
  const lower = email.toLowerCase();
  const local = (lower.split('@')[0] ?? '').replace(/[^a-z0-9._-]/g, '').replace(/^[._-]+/, '').slice(0, 20);
  return `${local || 'user'}-${createHash('sha256').update(lower).digest('hex').slice(0, 10)}`;
}

// ---- answer shapes ----

interface V1User {
  id: string;
  email: string;
  role: 'admin' | 'user';
  active: boolean;
}
interface TokenPair {
  accessToken: string;
  expiresIn: number;
  sessionId: string;
  user: V1User;
}

/** ClickBit's public user. auth keeps no first or last name, so they are null. */
export const toClickBitUser = (u: V1User) => ({ id: u.id, firstName: null, lastName: null, email: u.email, role: u.role, is_active: u.active });

// ---- the session: cookie or bearer ----

interface Session {
  token: string;
  claims: AccessClaims;
  viaCookie: boolean;
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function clickbitRoutes(deps: ClickBitDeps): Router {
  const router = Router();
  const call = upstreamCaller({ services: deps.services, timeoutMs: deps.timeoutMs, logger: deps.logger, ...(deps.fetch ? { fetch: deps.fetch } : {}) });
  const { perClient, strict } = seedGates(deps, refusals);
  const body = formOrJsonBody(deps.bodyLimit);
  const cookies = cookieParser();

  const sessions = new WeakMap<Request, Session>();
  /** The session a CSRF token is bound to: the request's own, or the one a login just opened. */
  const csrfSubjects = new WeakMap<Request, string>();
  const csrf = doubleCsrf({
    getSecret: () => deps.csrfSecret,
    getSessionIdentifier: (req) => csrfSubjects.get(req) ?? '',
    cookieName: CSRF_COOKIE,
    getCsrfTokenFromRequest: (req) => {
      const field = (req.body as Record<string, unknown> | undefined)?.[CSRF_FIELD];
      return req.get(CSRF_HEADER) ?? (typeof field === 'string' ? field : undefined);
    },
  });

  const sessionOf = (req: Request): Session => {
    const session = sessions.get(req);
    if (!session) throw refusals.missing();
    return session;
  };

  /** A bearer token, else the session cookie; verified by the gateway; unsafe cookie requests need the CSRF token. */
  const authenticated = (access: Access): RequestHandler => async (req, _res, next) => {
    const bearer = bearerToken(req.get('authorization'));
    const cookie = (req.cookies as Record<string, unknown> | undefined)?.[SESSION_COOKIE];
    const token = bearer ?? (typeof cookie === 'string' && cookie !== '' ? cookie : undefined);
    if (!token) throw refusals.missing();
    const claims = await authorizeAs(deps, refusals, req, access, token);
    const viaCookie = bearer === undefined;
    sessions.set(req, { token, claims, viaCookie });
    csrfSubjects.set(req, claims.sid);
    if (viaCookie && UNSAFE.has(req.method) && !csrf.validateRequest(req)) throw new SeedError(403, TEXTS.csrf);
    next();
  };
  const member = authenticated('member');
  const admin = authenticated('admin');

  const cookieOptions = (res: Response, maxAgeMs?: number): CookieOptions => ({
    path: '/',
    sameSite: 'lax',
    secure: (res.locals as EdgeLocals).secure === true,
    ...(maxAgeMs !== undefined ? { maxAge: maxAgeMs } : {}),
  });
  /** The CSRF cookie of session `sid`, living as long as the session cookie; returns the token. */
  const issueCsrf = (req: Request, res: Response, sid: string, maxAgeMs: number): string => {
    csrfSubjects.set(req, sid);
    return csrf.generateCsrfToken(req, res, { overwrite: true, cookieOptions: { ...cookieOptions(res, maxAgeMs), httpOnly: false } });
  };
  const startCookieSession = (req: Request, res: Response, pair: TokenPair): void => {
    const maxAgeMs = pair.expiresIn * 1000;
    res.cookie(SESSION_COOKIE, pair.accessToken, { ...cookieOptions(res, maxAgeMs), httpOnly: true });
    issueCsrf(req, res, pair.sessionId, maxAgeMs);
  };
  const endCookieSession = (res: Response): void => {
    res.clearCookie(SESSION_COOKIE, { ...cookieOptions(res), httpOnly: true });
    res.clearCookie(CSRF_COOKIE, { ...cookieOptions(res), httpOnly: false });
  };

  // ---- authentication ----

  router.post('/user/auth/register', perClient, strict, body, async (req, res) => {
    const { email, password } = parseBody(RegisterBody, req);
    const up = await call('auth', req, res, 'POST', '/api/v1/auth/signup', { body: { username: usernameFor(email), email, password } });
    if (up.status !== 201) throw failed(up, { 409: [400, TEXTS.emailTaken] });
    res.json({ message: 'User registered successfully', user: toClickBitUser((up.body as { user: V1User }).user) });
  });

  router.post('/user/auth/login', perClient, strict, body, cookies, async (req, res) => {
    // Login CSRF (a foreign page signing the browser into the attacker's account): browsers say where a request comes from.
    if (req.get('sec-fetch-site') === 'cross-site') throw new SeedError(403, TEXTS.crossSiteLogin);
    const { email, password } = parseBody(LoginBody, req);
    const up = await call('auth', req, res, 'POST', '/api/v1/auth/login', { body: { email, password } });
    // One answer for an unknown email and a wrong password; what auth refuses on form (400) is no account either.
    const invalid: [number, string] = [401, TEXTS.invalidCredentials];
    if (up.status !== 200) throw failed(up, { 400: invalid, 401: invalid, 403: TEXTS.deactivated });
    const pair = up.body as TokenPair;
    startCookieSession(req, res, pair);
    res.set('Cache-Control', 'no-store').json({ message: 'Login successful', user: toClickBitUser(pair.user) });
  });

  router.get('/user/me', perClient, cookies, member, async (req, res) => {
    const up = await call('auth', req, res, 'GET', '/api/v1/auth/me', { token: sessionOf(req).token });
    if (up.status !== 200) throw failed(up);
    res.set('Cache-Control', 'no-store').json(toClickBitUser((up.body as { user: V1User }).user));
  });

  /** A fresh CSRF token for the cookie session (a page that lost its csrf_token cookie). */
  router.get('/user/csrf-token', perClient, cookies, member, (req, res) => {
    const { claims } = sessionOf(req);
    const token = issueCsrf(req, res, claims.sid, Math.max(0, claims.exp * 1000 - Date.now()));
    res.set('Cache-Control', 'no-store').json({ csrf_token: token });
  });

  router.post('/user/change-password', perClient, body, cookies, member, async (req, res) => {
    const { current_password, new_password } = parseBody(ChangePasswordBody, req);
    const session = sessionOf(req);
    const up = await call('auth', req, res, 'POST', '/api/v1/auth/password', {
      token: session.token,
      body: { currentPassword: current_password, newPassword: new_password },
    });
    if (up.status === 401 && detailOf(up.body) === 'current password is wrong') throw new SeedError(400, TEXTS.wrongPassword);
    if (up.status !== 200) throw failed(up, { 403: TEXTS.deactivated });
    // Every session of the account is revoked; this one continues with the replacement auth issued.
    const pair = up.body as TokenPair;
    res.set('Cache-Control', 'no-store');
    if (session.viaCookie) {
      startCookieSession(req, res, pair);
      res.json({ message: 'Password changed successfully' });
    } else {
      res.json({ message: 'Password changed successfully', access_token: pair.accessToken, token_type: 'bearer' });
    }
  });

  router.post('/user/logout', perClient, body, cookies, member, async (req, res) => {
    const session = sessionOf(req);
    const up = await call('auth', req, res, 'POST', '/api/v1/auth/logout', { token: session.token });
    if (up.status !== 204) throw failed(up);
    endCookieSession(res);
    res.json({ message: 'Logout successful' });
  });

  // ---- health ----

  router.use(clickbitHealthRoutes({ services: deps.services, environment: deps.environment, gates: [perClient], adminGates: [perClient, cookies, admin] }));

  refuseOtherMethods(router, {
    '/user/auth/register': ['POST'], '/user/auth/login': ['POST'], '/user/me': ['GET', 'HEAD'], '/user/csrf-token': ['GET', 'HEAD'],
    '/user/change-password': ['POST'], '/user/logout': ['POST'],
    '/health/database': ['GET', 'HEAD'], '/health/detailed': ['GET', 'HEAD'], '/health/full': ['GET', 'HEAD'], '/health/metrics': ['GET', 'HEAD'],
  }, perClient);

  router.use(seedErrors(deps.logger));
  return router;
}
