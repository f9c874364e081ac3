import { Router, type Request } from 'express';
import type { Db } from 'mongodb';
import { z } from 'zod';
import { claimsOf, maybeClaimsOf, requireToken, type AccessClaims, type TokenVerifier } from '@sms/shared/auth';
import { decodeCursor, encodeCursor, ifMatchOf, parseWith } from '@sms/shared/http';
import { IdempotencyKeys } from '@sms/shared/idempotency';
import type { OrganizationView, Organizations } from '../application/organizations';
import { organizationsCollection, type OrganizationRow } from '../projections/organizations';
import { CreateOrganizationBody, ListOrganizationsQuery, OrganizationId, UpdateOrganizationBody } from './schemas';

export interface OrganizationsRouteDeps {
  organizations: Organizations;
  db: Db;
  verifier: TokenVerifier;
}

/**
 * What a caller sees of an organization. Its name and dates are public (anyone may list them); the
 * admin's email only to the organization's own members.
 */
export function present(o: Pick<OrganizationView, 'id' | 'name' | 'adminEmail' | 'createdAt' | 'updatedAt'> & { version: number }, caller?: AccessClaims) {
  return {
    id: o.id,
    name: o.name,
    collection_name: `org_${o.name.toLowerCase()}`,
    created_at: o.createdAt,
    updated_at: o.updatedAt,
    is_active: true,
    version: o.version,
    ...(caller?.org === o.id ? { admin_email: o.adminEmail } : {}),
  };
}

const fromRow = (row: OrganizationRow) => ({
  id: row._id, name: row.name, adminEmail: row.admin_email, createdAt: row.created_at, updatedAt: row.updated_at, version: row.version,
});
const idOf = (req: Request) => parseWith(OrganizationId, req.params.id, 'organization id');
const meta = (req: Request, actor: string) => ({ actor, correlationId: String(req.headers['x-request-id']) });
/** Creations are anonymous: their `Idempotency-Key`s share one scope (a client picks a unique one, a UUID). */
const ANONYMOUS_KEYS = 'public';
/** A page ends at a name key (the lowercased name); a cursor holding anything else is a forged one. */
const NameKeyCursor = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,49}$/);

/** `/api/v1/organizations`: anyone creates and lists; an organization's own admin changes or deletes it. */
export function organizationsRoutes({ organizations, db, verifier }: OrganizationsRouteDeps): Router {
  const router = Router();
  const idempotency = new IdempotencyKeys(db);
  router.use('/api/v1/organizations', requireToken(verifier, { optional: true }));

  router.post('/api/v1/organizations', async (req, res) => {
    const body = parseWith(CreateOrganizationBody, req.body);
    // The stored fingerprint leaves the password out: a fast hash of it would be a cheap offline guess target.
    const fingerprint = IdempotencyKeys.fingerprint({ name: body.name, admin_email: body.admin_email });
    await idempotency.respond(req, res, ANONYMOUS_KEYS, fingerprint, async () => {
      const created = await organizations.create({ name: body.name, email: body.admin_email, password: body.admin_password }, meta(req, 'anonymous'));
      return {
        status: 201,
        headers: { Location: `/api/v1/organizations/${created.id}`, ETag: `"${created.version}"` },
        body: { organization: { ...present(created), admin_email: created.adminEmail, admin_user_id: created.adminUserId } },
      };
    });
  });

  router.get('/api/v1/organizations', async (req, res) => {
    const query = parseWith(ListOrganizationsQuery, req.query, 'query');
    const caller = maybeClaimsOf(req);
    if (query.name !== undefined) {
      const organization = await organizations.get(await organizations.idOfName(query.name));
      res.json({ organizations: [present(organization, caller)], next_cursor: null });
      return;
    }
    const after = query.cursor ? decodeCursor(query.cursor, NameKeyCursor, 'use the next_cursor of the previous page') : undefined;
    const rows = await organizationsCollection(db)
      .find({ deleted: { $ne: true }, ...(after !== undefined ? { nameKey: { $gt: after } } : {}) })
      .sort({ nameKey: 1 })
      .limit(query.limit + 1)
      .toArray();
    const page = rows.slice(0, query.limit);
    res.json({
      organizations: page.map((row) => present(fromRow(row), caller)),
      next_cursor: rows.length > query.limit ? encodeCursor(page[page.length - 1]!.nameKey) : null,
    });
  });

  router.get('/api/v1/organizations/:id', async (req, res) => {
    const organization = await organizations.get(idOf(req));
    res.set('ETag', `"${organization.version}"`).json({ organization: present(organization, maybeClaimsOf(req)) });
  });

  router.patch('/api/v1/organizations/:id', async (req, res) => {
    const id = idOf(req);
    const caller = claimsOf(req);
    const body = parseWith(UpdateOrganizationBody, req.body);
    const updated = await organizations.update(id, {
      ...(body.name !== undefined ? { name: body.name } : {}),
      ...(body.admin_email !== undefined ? { adminEmail: body.admin_email } : {}),
      ...(body.admin_password !== undefined ? { adminPassword: body.admin_password } : {}),
    }, caller, meta(req, caller.sub), ifMatchOf(req));
    res.set('ETag', `"${updated.version}"`).json({ organization: present(updated, caller) });
  });

  router.delete('/api/v1/organizations/:id', async (req, res) => {
    const caller = claimsOf(req);
    const { name, collectionName } = await organizations.delete(idOf(req), caller, meta(req, caller.sub));
    res.json({ deleted: { id: req.params.id, name, deleted_collection: collectionName } });
  });

  return router;
}
