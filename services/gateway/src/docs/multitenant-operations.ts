/** The multi-tenant seed's operations (shared/seeds/002, routes in ../seeds/multitenant.ts), for the gateway's OpenAPI document. */
import { z } from 'zod';
import { named, type ResponseSpec } from '@sms/shared/openapi';
import type { SeedDocs } from './seed-operations';

const TAG = 'Multi-tenant seed';
const Refusal = named(
  'MultitenantError',
  z.object({
    success: z.literal(false),
    message: z.string(),
    detail: z.union([z.string(), z.array(z.object({ type: z.string(), loc: z.array(z.union([z.string(), z.number().int()])), msg: z.string() }))]),
    data: z.null(),
  }).describe('A refusal: the seed\'s envelope, with FastAPI\'s `detail` beside it (a list on a 422).'),
);
const envelope = (data: z.ZodType) => z.object({ success: z.literal(true), message: z.string(), data });
const Metadata = named('OrganizationMetadata', z.object({
  organization_name: z.string(),
  collection_name: z.string(),
  admin_email: z.string().optional().describe('Only for the organization\'s own members.'),
  created_at: z.string(),
  updated_at: z.string().optional(),
  is_active: z.boolean(),
}));
const refusal = (description: string): ResponseSpec => ({ description, body: Refusal });
const R = {
  invalid: refusal('Malformed body or query (FastAPI\'s 422 `detail` list).'),
  token: refusal('`Not authenticated` / `Invalid or expired token`.'),
  forbidden: refusal('Not this organization\'s admin.'),
  notFound: refusal('`Organization not found`.'),
};

export const multitenantDocs: SeedDocs = {
  tag: { name: TAG, description: 'The multi-tenant seed\'s routes (shared/seeds/002) on top of /api/v1/organizations and auth, with `{success, message, data}` envelopes. README: "Where we deviate from the seeds on purpose".' },
  operations: [
    {
      method: 'post', path: '/org/create', operationId: 'seedCreateOrganization', tags: [TAG], security: 'public',
      summary: 'Create an organization with its admin',
      body: { schema: named('SeedCreateOrganization', z.object({ organization_name: z.string(), email: z.string(), password: z.string() })) },
      responses: {
        201: { description: '`Organization created successfully`', body: envelope(z.object({ organization_name: z.string(), collection_name: z.string(), admin_email: z.string(), admin_id: z.string(), created_at: z.string(), is_active: z.boolean() })) },
        400: refusal('`Organization already exists`, a bad name, email or password, or an admin email already used.'), 422: R.invalid,
      },
    },
    {
      method: 'get', path: '/org/get', operationId: 'seedGetOrganization', tags: [TAG], security: 'optional-bearer',
      summary: 'An organization by name',
      params: { query: z.object({ organization_name: z.string() }) },
      responses: { 200: { description: '`Organization retrieved successfully`', body: envelope(Metadata) }, 404: R.notFound, 422: R.invalid },
    },
    {
      method: 'get', path: '/org/list', operationId: 'seedListOrganizations', tags: [TAG], security: 'optional-bearer',
      summary: 'Every organization',
      responses: { 200: { description: '`Retrieved <n> organization(s)`', body: envelope(z.array(Metadata)) } },
    },
    {
      method: 'put', path: '/org/update', operationId: 'seedUpdateOrganization', tags: [TAG], security: 'bearer', role: 'admin',
      summary: 'Rename, change the admin email or password (its own admin)',
      body: { schema: named('SeedUpdateOrganization', z.object({ old_organization_name: z.string(), new_organization_name: z.string().optional(), email: z.string().optional(), password: z.string().optional() })) },
      responses: {
        200: { description: '`Organization updated successfully`', body: envelope(z.object({ organization_name: z.string(), collection_name: z.string(), admin_email: z.string().optional(), updated_at: z.string() })) },
        400: refusal('The new name is taken or invalid, or the password too weak.'), 401: R.token, 403: R.forbidden, 404: R.notFound, 422: R.invalid,
      },
    },
    {
      method: 'delete', path: '/org/delete', operationId: 'seedDeleteOrganization', tags: [TAG], security: 'bearer', role: 'admin',
      summary: 'Delete an organization and its collection (its own admin)',
      body: { schema: named('SeedDeleteOrganization', z.object({ organization_name: z.string() })) },
      responses: {
        200: { description: '`Organization \'<name>\' deleted successfully`', body: envelope(z.object({ organization_name: z.string(), deleted_collection: z.string() })) },
        401: R.token, 403: R.forbidden, 404: R.notFound, 422: R.invalid,
      },
    },
    {
      method: 'post', path: '/admin/login', operationId: 'seedAdminLogin', tags: [TAG], security: 'public',
      summary: 'Log in as an organization\'s admin by email',
      body: { schema: named('SeedAdminLogin', z.object({ email: z.string(), password: z.string() })) },
      responses: {
        200: { description: 'Logged in.', body: z.object({ access_token: z.string(), token_type: z.literal('bearer'), expires_in: z.number().int(), admin_email: z.string(), organization_name: z.string() }) },
        401: refusal('`Invalid email or password`.'), 422: R.invalid,
      },
    },
    {
      method: 'get', path: '/admin/me', operationId: 'seedAdminMe', tags: [TAG], security: 'bearer', role: 'admin',
      summary: 'The current admin',
      responses: { 200: { description: '`Current admin info retrieved`', body: envelope(z.object({ admin_id: z.string(), email: z.string(), organization_name: z.string() })) }, 401: R.token, 403: R.forbidden },
    },
  ],
};
