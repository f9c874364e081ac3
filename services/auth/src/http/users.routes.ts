import { Router, type Request } from 'express';
import type { Db } from 'mongodb';
import { ConflictError, NotFoundError } from '@sms/shared/errors';
import { escapeRegex } from '@sms/shared/mongo';
import { decodeCursor, encodeCursor, ifMatchOf, parseWith } from '@sms/shared/http';
import { requireAdmin, type AccessClaims } from '@sms/shared/auth';
import type { Accounts, UserView } from '../application/accounts';
import { usersCollection, type UserRow } from '../projections/users';
import { CreateUserBody, ListUsersQuery, ResetPasswordBody, UpdateUserBody, UserId, Username } from './schemas';

/** A page ends at a lowercased username; a cursor holding anything else is a forged one. */
const UsernameKeyCursor = Username.refine((u) => u === u.toLowerCase());

/** Admin-only user management, always inside the admin's own organization. */
export function usersRoutes(accounts: Accounts, db: Db, claimsOf: (req: Request) => AccessClaims): Router {
  const router = Router();
  const admin = (req: Request): AccessClaims => requireAdmin(claimsOf(req));
  const idOf = (req: Request): string => {
    const parsed = UserId.safeParse(req.params.id);
    if (!parsed.success) throw new NotFoundError('user not found');
    return parsed.data;
  };
  const meta = (req: Request, claims: AccessClaims) => ({ tenant: claims.org, actor: claims.sub, correlationId: String(req.headers['x-request-id']) });
  /**
   * An organization keeps an active admin: demoting, deactivating or deleting its last one would leave
   * nobody able to manage it (no admin can be created in an organization without one). Counted in the
   * users read model; one that lags only refuses more, never less.
   */
  const keepAnAdmin = async (org: string, id: string) => {
    const target = await accounts.userInOrg(org, id);
    if (target.role !== 'admin' || !target.active) return;
    const others = await usersCollection(db).countDocuments({ organizationId: org, role: 'admin', active: true, deleted: false, _id: { $ne: id } });
    if (others === 0) throw new ConflictError('the organization\'s last active admin cannot be demoted, deactivated or deleted: make another admin first', 'last_admin');
  };
  const send = (res: import('express').Response, user: UserView, status = 200) => res.status(status).set('ETag', `"${user.version}"`).json({ user });

  router.get('/', async (req, res) => {
    const claims = admin(req);
    const query = parseWith(ListUsersQuery, req.query, 'query');
    const filter: Record<string, unknown> = { organizationId: claims.org, deleted: false };
    if (query.role) filter.role = query.role;
    if (query.active !== undefined) filter.active = query.active;
    const name: Record<string, unknown> = {};
    if (query.cursor) name.$gt = decodeCursor(query.cursor, UsernameKeyCursor, 'use the nextCursor of the previous page');
    if (query.q) name.$regex = escapeRegex(query.q.toLowerCase());
    if (Object.keys(name).length > 0) filter.usernameLower = name;
    const rows = await usersCollection(db).find(filter).sort({ usernameLower: 1 }).limit(query.limit + 1).toArray();
    const page = rows.slice(0, query.limit);
    res.json({
      items: page.map(toView),
      nextCursor: rows.length > query.limit && page.length > 0 ? encodeCursor(page.at(-1)!.usernameLower) : null,
    });
  });

  router.post('/', async (req, res) => {
    const claims = admin(req);
    const body = parseWith(CreateUserBody, req.body);
    const user = await accounts.register({ ...body, org: claims.org }, meta(req, claims));
    res.location(`/api/v1/users/${user.id}`);
    send(res, user, 201);
  });

  router.get('/:id', async (req, res) => {
    const claims = admin(req);
    send(res, await accounts.userInOrg(claims.org, idOf(req)));
  });

  router.patch('/:id', async (req, res) => {
    const claims = admin(req);
    const id = idOf(req);
    const body = parseWith(UpdateUserBody, req.body);
    if (body.role === 'user' || body.active === false) await keepAnAdmin(claims.org, id);
    send(res, await accounts.updateUser(claims.org, id, body, meta(req, claims), ifMatchOf(req)));
  });

  // A new password set by an admin (the user forgot theirs): every session of the user is revoked.
  router.put('/:id/password', async (req, res) => {
    const claims = admin(req);
    const id = idOf(req);
    const { newPassword } = parseWith(ResetPasswordBody, req.body);
    send(res, await accounts.resetPassword(claims.org, id, newPassword, meta(req, claims)));
  });

  router.delete('/:id', async (req, res) => {
    const claims = admin(req);
    const id = idOf(req);
    await keepAnAdmin(claims.org, id);
    await accounts.deleteUser(claims.org, id, meta(req, claims));
    res.status(204).end();
  });

  return router;
}

function toView(row: UserRow): UserView & { createdAt: string; updatedAt: string } {
  return {
    id: row._id,
    organizationId: row.organizationId,
    username: row.username,
    email: row.email,
    role: row.role,
    active: row.active,
    version: row.version,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}
