import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { Router, type Request, type RequestHandler } from 'express';
import { ConflictError, UnauthorizedError } from '@sms/shared/errors';
import { parseWith } from '@sms/shared/http';
import type { Accounts } from '../application/accounts';
import { AdminChangeBody, FirstAdminBody, Organization, UserId } from './schemas';

const meta = (req: Request, org: string) => ({ tenant: org, actor: 'organizations', correlationId: String(req.headers['x-request-id']) });

export const INTERNAL_TOKEN_HEADER = 'x-internal-token';

/** Service-to-service calls carry the shared INTERNAL_API_TOKEN; the gateway never routes /internal. */
export function requireInternalToken(expected: string): RequestHandler {
  const want = createHash('sha256').update(expected).digest();
  return (req, _res, next) => {
    const sent = createHash('sha256').update(req.get(INTERNAL_TOKEN_HEADER) ?? '').digest();
    if (!timingSafeEqual(sent, want)) throw new UnauthorizedError('internal token required');
    next();
  };
}

/**
 * `POST /internal/v1/organizations/:org/first-admin` — the organizations service creates the first
 * admin of a new organization. Exactly one first admin per organization (409 afterwards). Retrying
 * with the same `userId` after a timeout answers 200 with the same user, so the caller can retry safely.
 */
export function internalRoutes(accounts: Accounts, internalToken: string): Router {
  const router = Router();
  router.use(requireInternalToken(internalToken));
  router.post('/organizations/:org/first-admin', async (req, res) => {
    const org = parseWith(Organization, req.params.org, 'organization id');
    const { userId = randomUUID(), ...body } = parseWith(FirstAdminBody, req.body);
    if (!(await accounts.claimFirstAdmin(org, userId))) {
      const existing = await accounts.userInOrg(org, userId).catch(() => undefined);
      if (existing) {
        res.status(200).json({ user: existing });
        return;
      }
      throw new ConflictError('this organization already has its first admin', 'first_admin_exists');
    }
    try {
      await accounts.claimAdminEmail(body.email, userId);
    } catch (err) {
      await accounts.releaseFirstAdmin(org, userId);
      throw err;
    }
    try {
      const user = await accounts.register({ ...body, org, role: 'admin', userId }, meta(req, org));
      res.status(201).json({ user });
    } catch (err) {
      await accounts.releaseAdminEmail(body.email, userId);
      await accounts.releaseFirstAdmin(org, userId);
      throw err;
    }
  });

  /** The organizations service changes its admin's email or resets the admin's password (sessions revoked). */
  router.patch('/organizations/:org/users/:userId', async (req, res) => {
    const org = parseWith(Organization, req.params.org, 'organization id');
    const userId = parseWith(UserId, req.params.userId, 'user id');
    const body = parseWith(AdminChangeBody, req.body);
    let user = await accounts.userInOrg(org, userId);
    if (body.email !== undefined) user = await accounts.updateUser(org, userId, { email: body.email }, meta(req, org));
    if (body.password !== undefined) user = await accounts.resetPassword(org, userId, body.password, meta(req, org));
    res.json({ user });
  });

  /**
   * Removes everything auth holds for an organization: what its deletion does through
   * `organizations.events`, and what a failed creation is compensated with. Idempotent.
   */
  router.delete('/organizations/:org', async (req, res) => {
    const org = parseWith(Organization, req.params.org, 'organization id');
    const deletedUsers = await accounts.purgeOrganization(org, meta(req, org));
    res.json({ organization: org, deletedUsers });
  });
  return router;
}
