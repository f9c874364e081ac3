import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { Router, type RequestHandler } from 'express';
import { ConflictError, UnauthorizedError } from '@sms/shared/errors';
import { parseWith } from '@sms/shared/http';
import type { Accounts } from '../application/accounts';
import { FirstAdminBody, Organization } from './schemas';

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
      const user = await accounts.register({ ...body, org, role: 'admin', userId }, { tenant: org, actor: 'organizations' });
      res.status(201).json({ user });
    } catch (err) {
      await accounts.releaseFirstAdmin(org, userId);
      throw err;
    }
  });
  return router;
}
