/**
 * The JWT-with-MongoDB seed's routes (shared/seeds/004), translated onto auth's /api/v1 in the
 * `default` organization (the seed is single-tenant; an admin of another organization manages that
 * one's users, as /api/v1/users does):
 *
 * - `POST /auth/login`: OAuth2's password form (`username`, `password`; JSON too) → the seed's
 *   `{access_token, token_type: "bearer"}`. `username` may also be the email.
 * - `POST /auth/logout` (bearer): auth revokes the session; the gateway refuses the token within
 *   about a second (auth's own routes at once): real invalidation, not a client-side forget.
 * - `/users/` CRUD, admin only: list (`GET /users/`), create (`POST /users/`), read (`GET /users/{id}`),
 *   update (`PUT /users/{id}`), delete (`DELETE /users/{id}`); a user is `{id, username, email, role}`.
 *
 * Errors are FastAPI's `{"detail": ...}`: 401 `Not authenticated` without a token and `Could not
 * validate credentials` for a bad, expired or revoked one (both with `WWW-Authenticate: Bearer`),
 * 403 `Not enough permissions` for a non-admin, 404 `User not found`, 400 `User already exists`, and
 * 422 `detail` lists for malformed bodies.
 */
import { Router, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import {
  allPages, BEARER_CHALLENGE, formOrJsonBody, jsonBody, OAUTH2_TEXTS, oauth2Refusals, parseBody, refuseOtherMethods, seedErrors, seedGates,
  SeedError, upstreamCaller, upstreamError,
  type CallerDeps, type GateDeps, type Upstream, type UpstreamTexts,
} from './upstream';

export interface JwtSeedDeps extends GateDeps {
  authUrl: string;
  /** An upstream call not answered within this time is a 504. */
  timeoutMs: number;
  /** Largest accepted body (body-parser notation). */
  bodyLimit: string;
  logger: Logger;
  fetch?: CallerDeps<'auth'>['fetch'];
}

export const TEXTS = {
  ...OAUTH2_TEXTS,
  badLogin: 'Incorrect username or password',
  inactive: 'Inactive user',
  userNotFound: 'User not found',
  userExists: 'User already exists',
} as const;

const refusals = oauth2Refusals;
const failed = (up: Upstream, texts: UpstreamTexts = {}) => upstreamError(up, texts, refusals.unauthorized());

// ---- request shapes ----

const Role = z.enum(['admin', 'user']);
const LoginBody = z.object({ username: z.string(), password: z.string() });
const CreateUserBody = z.object({ username: z.string(), email: z.string(), password: z.string(), role: Role.default('user') });
const UpdateUserBody = z.object({ username: z.string().optional(), email: z.string().optional(), role: Role.optional(), password: z.string().optional() });

// ---- answer shapes ----

interface V1User {
  id: string;
  username: string;
  email: string;
  role: 'admin' | 'user';
}

export const toSeedUser = (u: V1User) => ({ id: u.id, username: u.username, email: u.email, role: u.role });
const userOf = (up: Upstream) => toSeedUser((up.body as { user: V1User }).user);

export function jwtSeedRoutes(deps: JwtSeedDeps): Router {
  const router = Router();
  const call = upstreamCaller({ services: { auth: deps.authUrl }, timeoutMs: deps.timeoutMs, logger: deps.logger, ...(deps.fetch ? { fetch: deps.fetch } : {}) });
  const { perClient, strict, requires } = seedGates(deps, refusals);
  const member = requires('member');
  const admin = requires('admin');
  const json = jsonBody(deps.bodyLimit);
  const userPath = (req: Request) => `/api/v1/users/${encodeURIComponent(String(req.params.id ?? ''))}`;

  // ---- authentication ----

  router.post('/auth/login', perClient, strict, formOrJsonBody(deps.bodyLimit), async (req, res) => {
    const { username, password } = parseBody(LoginBody, req);
    const login = username.includes('@') ? { email: username } : { username };
    const up = await call('auth', req, res, 'POST', '/api/v1/auth/login', { body: { ...login, password } });
    // One answer for an unknown user and a wrong password; what auth refuses on form (400) is no account either.
    if (up.status === 400 || up.status === 401) throw new SeedError(401, TEXTS.badLogin, BEARER_CHALLENGE);
    if (up.status !== 200) throw failed(up, { 403: [400, TEXTS.inactive] });
    res.set('Cache-Control', 'no-store').json({ access_token: (up.body as { accessToken: string }).accessToken, token_type: 'bearer' });
  });

  router.post('/auth/logout', perClient, member, async (req, res) => {
    const up = await call('auth', req, res, 'POST', '/api/v1/auth/logout', { token: 'client' });
    if (up.status !== 204) throw failed(up);
    res.json({ message: 'Successfully logged out' });
  });

  // ---- users (admin only) ----

  router.get('/users', perClient, admin, async (req, res) => {
    const users = await allPages(async (cursor) => {
      const query = new URLSearchParams({ limit: '100', ...(cursor ? { cursor } : {}) });
      const up = await call('auth', req, res, 'GET', `/api/v1/users?${query}`, { token: 'client' });
      if (up.status !== 200) throw failed(up);
      return up.body as { items: V1User[]; nextCursor: string | null };
    }, deps.logger);
    res.json(users.map(toSeedUser));
  });

  router.post('/users', perClient, admin, json, async (req, res) => {
    const body = parseBody(CreateUserBody, req);
    const up = await call('auth', req, res, 'POST', '/api/v1/users', { token: 'client', body });
    if (up.status !== 201) throw failed(up, { 409: [400, TEXTS.userExists] });
    res.status(201).json(userOf(up));
  });

  const readUser = async (req: Request, res: Response) => {
    const up = await call('auth', req, res, 'GET', userPath(req), { token: 'client' });
    if (up.status !== 200) throw failed(up, { 404: TEXTS.userNotFound });
    res.json(userOf(up));
  };
  router.get('/users/:id', perClient, admin, readUser);

  router.put('/users/:id', perClient, admin, json, async (req, res) => {
    const { password, ...changes } = parseBody(UpdateUserBody, req);
    // The other fields first (a taken username or email refuses the whole update), then a new password
    // set by the admin (auth's reset: the password policy applies, the user's sessions are revoked).
    let up: Upstream | undefined;
    if (Object.keys(changes).length > 0) {
      up = await call('auth', req, res, 'PATCH', userPath(req), { token: 'client', body: changes });
      if (up.status !== 200) throw failed(up, { 404: TEXTS.userNotFound, 409: [400, TEXTS.userExists] });
    }
    if (password !== undefined) {
      up = await call('auth', req, res, 'PUT', `${userPath(req)}/password`, { token: 'client', body: { newPassword: password } });
      if (up.status !== 200) throw failed(up, { 404: TEXTS.userNotFound });
    }
    // Nothing to change: the user as it is (auth refuses an empty change).
    if (!up) return readUser(req, res);
    res.json(userOf(up));
  });

  router.delete('/users/:id', perClient, admin, async (req, res) => {
    const up = await call('auth', req, res, 'DELETE', userPath(req), { token: 'client' });
    if (up.status !== 204) throw failed(up, { 404: TEXTS.userNotFound });
    res.json({ message: 'User deleted successfully' });
  });

  refuseOtherMethods(router, {
    '/auth/login': ['POST'], '/auth/logout': ['POST'], '/users': ['GET', 'HEAD', 'POST'], '/users/:id': ['GET', 'HEAD', 'PUT', 'DELETE'],
  }, perClient);

  router.use(seedErrors(deps.logger));
  return router;
}
