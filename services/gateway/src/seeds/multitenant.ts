/**
 * The multi-tenant seed's routes (shared/seeds/002), translated onto the organizations and auth
 * services' /api/v1:
 *
 * - `POST /org/create` {organization_name, email, password} → `POST /api/v1/organizations` (the
 *   organization and its first admin, created together or not at all);
 * - `GET /org/get?organization_name=` and `GET /org/list` → the organizations' public listing;
 * - `PUT /org/update` (bearer, the organization's own admin) {old_organization_name,
 *   new_organization_name?, email?, password?} → `PATCH /api/v1/organizations/{id}`;
 * - `DELETE /org/delete` (bearer, its own admin) {organization_name} → `DELETE /api/v1/organizations/{id}`,
 *   which cascades through events to its users, tokens and students;
 * - `POST /admin/login` {email, password} → `POST /api/v1/auth/admin-login` (admin emails are unique
 *   across organizations); `GET /admin/me` (bearer) → `GET /api/v1/auth/me`.
 *
 * Answers are the seed's `{success, message, data}` envelopes; refusals are `{success: false,
 * message, data: null}` with FastAPI's `detail` beside them, and 422 `detail` lists for malformed bodies.
 * Where the seed is unsafe the hole is closed (README): the list and the lookup show an
 * organization's admin email only to that organization's own members, and the admin's password hash
 * is kept by auth alone, never in the organization's metadata.
 */
import { Router, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import {
  allPages, BEARER_CHALLENGE, jsonBody, parseBody, refuseOtherMethods, seedErrors, seedGates, SeedError, upstreamCaller, upstreamError,
  type CallerDeps, type GateDeps, type Refusals, type Upstream, type UpstreamTexts,
} from './upstream';

type Service = 'auth' | 'organizations';

export interface MultitenantDeps extends GateDeps {
  services: Record<Service, string>;
  timeoutMs: number;
  bodyLimit: string;
  logger: Logger;
  fetch?: CallerDeps<Service>['fetch'];
}

export const TEXTS = {
  notAuthenticated: 'Not authenticated',
  invalidToken: 'Invalid or expired token',
  adminOnly: 'Only the organization\'s admin may do this',
  badLogin: 'Invalid email or password',
  notFound: 'Organization not found',
  exists: 'Organization already exists',
  adminEmailTaken: 'This email is already the admin email of another organization',
} as const;

const refusals: Required<Refusals> = {
  missing: () => new SeedError(401, TEXTS.notAuthenticated, BEARER_CHALLENGE),
  unauthorized: () => new SeedError(401, TEXTS.invalidToken, BEARER_CHALLENGE),
  forbidden: () => new SeedError(403, TEXTS.adminOnly),
};
const failed = (up: Upstream, texts: UpstreamTexts = {}) => upstreamError(up, texts, refusals.unauthorized());

// ---- request shapes (lax like Pydantic: unknown fields ignored) ----

const CreateBody = z.object({ organization_name: z.string(), email: z.string(), password: z.string() });
const UpdateBody = z.object({
  old_organization_name: z.string(),
  new_organization_name: z.string().optional(),
  email: z.string().optional(),
  password: z.string().optional(),
});
const DeleteBody = z.object({ organization_name: z.string() });
const AdminLoginBody = z.object({ email: z.string(), password: z.string() });
const NameQuery = z.object({ organization_name: z.string().min(1) });

// ---- answer shapes ----

interface V1Organization {
  id: string;
  name: string;
  collection_name: string;
  created_at: string;
  updated_at: string;
  is_active: boolean;
  admin_email?: string;
  admin_user_id?: string;
}

const envelope = (message: string, data: unknown) => ({ success: true, message, data });
/** The seed's metadata; `admin_email` only where the platform shows it (the caller's own organization). */
const metadata = (o: V1Organization, fields: 'full' | 'listed' = 'full') => ({
  organization_name: o.name,
  collection_name: o.collection_name,
  ...(o.admin_email !== undefined ? { admin_email: o.admin_email } : {}),
  created_at: o.created_at,
  ...(fields === 'full' ? { updated_at: o.updated_at } : {}),
  is_active: o.is_active,
});
const organizationOf = (up: Upstream) => (up.body as { organization: V1Organization }).organization;

export function multitenantRoutes(deps: MultitenantDeps): Router {
  const router = Router();
  const call = upstreamCaller<Service>({ services: deps.services, timeoutMs: deps.timeoutMs, logger: deps.logger, ...(deps.fetch ? { fetch: deps.fetch } : {}) });
  const { perClient, strict, requires } = seedGates(deps, refusals);
  const admin = requires('admin');
  const json = jsonBody(deps.bodyLimit);

  /** The organization of that name, as the caller may see it (with its token, when it sent one). */
  const byName = async (req: Request, res: Response, name: string): Promise<V1Organization> => {
    const up = await call('organizations', req, res, 'GET', `/api/v1/organizations?${new URLSearchParams({ name })}`, { token: 'client' });
    // A name that cannot be an organization's (bad characters) is simply not found.
    if (up.status === 404 || up.status === 400) throw new SeedError(404, TEXTS.notFound);
    if (up.status !== 200) throw failed(up);
    return (up.body as { organizations: V1Organization[] }).organizations[0]!;
  };

  router.post('/org/create', perClient, strict, json, async (req, res) => {
    const body = parseBody(CreateBody, req);
    const up = await call('organizations', req, res, 'POST', '/api/v1/organizations', {
      body: { name: body.organization_name, admin_email: body.email, admin_password: body.password },
    });
    const codeOf = (b: unknown) => (b as { code?: string } | undefined)?.code;
    if (up.status === 409) throw new SeedError(400, codeOf(up.body) === 'admin_email_taken' ? TEXTS.adminEmailTaken : TEXTS.exists);
    if (up.status !== 201) throw failed(up);
    const o = organizationOf(up);
    res.status(201).json(envelope('Organization created successfully', {
      organization_name: o.name, collection_name: o.collection_name, admin_email: o.admin_email, admin_id: o.admin_user_id,
      created_at: o.created_at, is_active: o.is_active,
    }));
  });

  router.get('/org/get', perClient, async (req, res) => {
    const query = NameQuery.safeParse(req.query);
    if (!query.success) throw new SeedError(422, [{ type: 'missing', loc: ['query', 'organization_name'], msg: 'Field required' }]);
    const o = await byName(req, res, query.data.organization_name);
    res.json(envelope('Organization retrieved successfully', metadata(o)));
  });

  router.get('/org/list', perClient, async (req, res) => {
    const all = await allPages(async (cursor) => {
      const query = new URLSearchParams({ limit: '100', ...(cursor ? { cursor } : {}) });
      const up = await call('organizations', req, res, 'GET', `/api/v1/organizations?${query}`, { token: 'client' });
      if (up.status !== 200) throw failed(up);
      const page = up.body as { organizations: V1Organization[]; next_cursor: string | null };
      return { items: page.organizations, nextCursor: page.next_cursor };
    }, deps.logger);
    res.json(envelope(`Retrieved ${all.length} organization(s)`, all.map((o) => metadata(o, 'listed'))));
  });

  router.put('/org/update', perClient, admin, json, async (req, res) => {
    const body = parseBody(UpdateBody, req);
    const current = await byName(req, res, body.old_organization_name);
    const change = {
      ...(body.new_organization_name !== undefined && body.new_organization_name !== current.name ? { name: body.new_organization_name } : {}),
      ...(body.email !== undefined ? { admin_email: body.email } : {}),
      ...(body.password !== undefined ? { admin_password: body.password } : {}),
    };
    let updated = current;
    if (Object.keys(change).length > 0) {
      const up = await call('organizations', req, res, 'PATCH', `/api/v1/organizations/${current.id}`, { token: 'client', body: change });
      if (up.status !== 200) throw failed(up, { 409: [400, TEXTS.exists] });
      updated = organizationOf(up);
    }
    res.json(envelope('Organization updated successfully', {
      organization_name: updated.name, collection_name: updated.collection_name, admin_email: updated.admin_email, updated_at: updated.updated_at,
    }));
  });

  router.delete('/org/delete', perClient, admin, json, async (req, res) => {
    const body = parseBody(DeleteBody, req);
    const current = await byName(req, res, body.organization_name);
    const up = await call('organizations', req, res, 'DELETE', `/api/v1/organizations/${current.id}`, { token: 'client' });
    if (up.status !== 200) throw failed(up);
    res.json(envelope(`Organization '${current.name}' deleted successfully`, { organization_name: current.name, deleted_collection: current.collection_name }));
  });

  router.post('/admin/login', perClient, strict, json, async (req, res) => {
    const body = parseBody(AdminLoginBody, req);
    const up = await call('auth', req, res, 'POST', '/api/v1/auth/admin-login', { body });
    if (up.status === 400 || up.status === 401) throw new SeedError(401, TEXTS.badLogin, BEARER_CHALLENGE);
    if (up.status !== 200) throw failed(up);
    const pair = up.body as { accessToken: string; expiresIn: number; user: { email: string; organizationId: string } };
    const org = await call('organizations', req, res, 'GET', `/api/v1/organizations/${pair.user.organizationId}`, { token: pair.accessToken });
    if (org.status !== 200) throw failed(org);
    res.set('Cache-Control', 'no-store').json({
      access_token: pair.accessToken, token_type: 'bearer', expires_in: pair.expiresIn, admin_email: pair.user.email, organization_name: organizationOf(org).name,
    });
  });

  router.get('/admin/me', perClient, admin, async (req, res) => {
    const me = await call('auth', req, res, 'GET', '/api/v1/auth/me', { token: 'client' });
    if (me.status !== 200) throw failed(me);
    const user = (me.body as { user: { id: string; email: string; organizationId: string } }).user;
    const org = await call('organizations', req, res, 'GET', `/api/v1/organizations/${user.organizationId}`, { token: 'client' });
    if (org.status !== 200) throw failed(org, { 404: TEXTS.notFound });
    res.json(envelope('Current admin info retrieved', { admin_id: user.id, email: user.email, organization_name: organizationOf(org).name }));
  });

  refuseOtherMethods(router, {
    '/org/create': ['POST'], '/org/get': ['GET', 'HEAD'], '/org/list': ['GET', 'HEAD'], '/org/update': ['PUT'], '/org/delete': ['DELETE'],
    '/admin/login': ['POST'], '/admin/me': ['GET', 'HEAD'],
  }, perClient);

  router.use(seedErrors(deps.logger, (e) => ({ success: false, message: typeof e.detail === 'string' ? e.detail : 'Validation error', detail: e.detail, data: null })));
  return router;
}
