import { randomUUID } from 'node:crypto';
import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { AccessClaims, TokenVerifier } from '@sms/shared/auth';
import { bearerToken } from '@sms/shared/auth';
import { ForbiddenError, TooManyRequestsError, UnauthorizedError } from '@sms/shared/errors';
import { parseWith } from '@sms/shared/http';
import type { Accounts, UserView } from '../application/accounts';
import type { Role } from '../domain/user.events';
import { loginAccountKey, type LoginThrottle } from '../passwords/throttle';
import type { KeyRing } from '../tokens/keys';
import { AdminLoginBody, ChangePasswordBody, LoginBody, RefreshBody, SignupBody } from './schemas';
import { usersRoutes } from './users.routes';

export interface AuthRouteDeps {
  accounts: Accounts;
  db: import('mongodb').Db;
  verifier: TokenVerifier;
  throttle: LoginThrottle;
  ring: KeyRing;
  defaultOrganization: string;
}

/** Where an unknown admin email is looked up: no organization has this id, so it fails like any bad login. */
const UNKNOWN_ORGANIZATION = '-';

type Authenticated = Request & { claims: AccessClaims };

/** Verifies the bearer token and that its session is still open. */
async function verifiedClaims(deps: AuthRouteDeps, req: Request): Promise<AccessClaims> {
  const token = bearerToken(req.get('authorization'));
  if (!token) throw new UnauthorizedError('a bearer token is required');
  const claims = await deps.verifier.verify(token);
  await deps.accounts.assertSessionOpen(claims.sid);
  return claims;
}

/** Puts the verified claims on `req.claims`. */
function requireToken(deps: AuthRouteDeps): RequestHandler {
  return async (req, _res, next) => {
    (req as Authenticated).claims = await verifiedClaims(deps, req);
    next();
  };
}

const claimsOf = (req: Request) => (req as Authenticated).claims;
const meta = (req: Request, tenant: string, actor: string) => ({ tenant, actor, correlationId: String(req.headers['x-request-id']) });

export function authRoutes(deps: AuthRouteDeps): Router {
  const { accounts, throttle } = deps;
  const router = Router();
  const authenticated = requireToken(deps);
  const currentUser = (req: Request): Promise<UserView> => accounts.user(claimsOf(req).sub, claimsOf(req).org);

  router.get('/.well-known/jwks.json', (_req, res) => {
    res.set('Cache-Control', 'public, max-age=300').json(deps.ring.jwks());
  });

  /**
   * Admin signup of the default organization: open for its first admin only; afterwards an admin of
   * that organization must be the caller (the seeds' public admin signup, with the hole closed).
   */
  router.post('/api/v1/auth/admin-signup', async (req, res) => {
    const org = deps.defaultOrganization;
    const body = parseWith(SignupBody, req.body);
    const userId = randomUUID();
    let actor = 'anonymous';
    const first = await accounts.claimFirstAdmin(org, userId);
    if (!first) {
      if (!bearerToken(req.get('authorization'))) throw new ForbiddenError('an admin already exists; only an admin can create another admin');
      const claims = await verifiedClaims(deps, req);
      if (claims.role !== 'admin' || claims.org !== org) throw new ForbiddenError('only an admin can create another admin');
      actor = claims.sub;
    }
    try {
      const user = await accounts.register({ ...body, org, role: 'admin', userId }, meta(req, org, actor));
      res.status(201).location(`/api/v1/users/${user.id}`).json({ user });
    } catch (err) {
      if (first) await accounts.releaseFirstAdmin(org, userId);
      throw err;
    }
  });

  /** Public signup: always a `user` of the default organization. */
  router.post('/api/v1/auth/signup', async (req, res) => {
    const body = parseWith(SignupBody, req.body);
    const user = await accounts.register({ ...body, org: deps.defaultOrganization, role: 'user' }, meta(req, deps.defaultOrganization, 'anonymous'));
    res.status(201).location(`/api/v1/users/${user.id}`).json({ user });
  });

  /** Throttled per account and per client address; failures all look alike. `role`: the only role this login admits. */
  const signIn = async (req: Request, res: Response, org: string, login: string, password: string, role?: Role) => {
    const account = loginAccountKey(org, login);
    const ip = req.ip ?? 'unknown';
    try {
      await throttle.check(account, ip);
    } catch (err) {
      if (err instanceof TooManyRequestsError) await accounts.auditThrottled(org, login, err.retryAfterSeconds);
      throw err;
    }
    let user: UserView;
    try {
      user = await accounts.authenticate(org, login, password, role);
    } catch (err) {
      if (err instanceof UnauthorizedError) await throttle.fail(account, ip);
      throw err;
    }
    await throttle.succeed(account);
    res.set('Cache-Control', 'no-store').json(await accounts.startSession(user));
  };
  router.post('/api/v1/auth/login', async (req, res) => {
    const body = parseWith(LoginBody, req.body);
    await signIn(req, res, body.organization ?? deps.defaultOrganization, (body.username ?? body.email)!, body.password);
  });
  // An organization's admin by email alone; an email that is no organization's admin, or the admin
  // email of an account since demoted to user, fails like a wrong password.
  router.post('/api/v1/auth/admin-login', async (req, res) => {
    const body = parseWith(AdminLoginBody, req.body);
    await signIn(req, res, (await accounts.organizationOfAdmin(body.email)) ?? UNKNOWN_ORGANIZATION, body.email, body.password, 'admin');
  });

  router.post('/api/v1/auth/refresh', async (req, res) => {
    const { refreshToken } = parseWith(RefreshBody, req.body);
    res.set('Cache-Control', 'no-store').json(await accounts.refresh(refreshToken));
  });

  router.post('/api/v1/auth/logout', authenticated, async (req, res) => {
    const { sid, sub, org } = claimsOf(req);
    await accounts.logout(sid, sub, org);
    res.status(204).end();
  });

  router.post('/api/v1/auth/logout-all', authenticated, async (req, res) => {
    await accounts.logoutEverywhere(await currentUser(req));
    res.status(204).end();
  });

  router.get('/api/v1/auth/me', authenticated, async (req, res) => {
    res.json({ user: await currentUser(req) });
  });

  router.post('/api/v1/auth/password', authenticated, async (req, res) => {
    const body = parseWith(ChangePasswordBody, req.body);
    const user = await currentUser(req);
    if (!user.active) throw new ForbiddenError('this account is deactivated');
    res.set('Cache-Control', 'no-store').json(await accounts.changePassword(user, body.currentPassword, body.newPassword));
  });

  router.use('/api/v1/users', authenticated, usersRoutes(accounts, deps.db, claimsOf));

  return router;
}

