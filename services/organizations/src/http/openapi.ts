/**
 * The organizations service's operations for its OpenAPI document (`GET /openapi.json`), declared with
 * the same zod schemas the routes parse with (./schemas.ts).
 */
import { z } from 'zod';
import { IfMatch } from '@sms/shared/http';
import { IdempotencyKey } from '@sms/shared/idempotency';
import { named, openApiDocument, serveOpenApi, type OperationSpec } from '@sms/shared/openapi';
import { CreateOrganizationBody, ListOrganizationsQuery, OrganizationId, UpdateOrganizationBody } from './schemas';

const Organization = named(
  'Organization',
  z.object({
    id: z.uuid().describe('Never changes: it is the `org` of every token of this organization.'),
    name: z.string(),
    collection_name: z.string().describe('`org_<lowercased name>`: the organization\'s member directory.'),
    created_at: z.iso.datetime(),
    updated_at: z.iso.datetime(),
    is_active: z.boolean(),
    version: z.number().int().positive().describe('Send it back as `If-Match` to update safely.'),
    admin_email: z.email().optional().describe('Only for the organization\'s own members.'),
  }),
);
const OrganizationAnswer = named('OrganizationAnswer', z.object({ organization: Organization }));
const Path = z.object({ id: OrganizationId.describe('The organization id.') });
const TAG = 'Organizations';

export const organizationsOperations: OperationSpec[] = [
  {
    method: 'post', path: '/api/v1/organizations', operationId: 'createOrganization', tags: [TAG], security: 'public',
    summary: 'Create an organization with its first admin',
    description: 'The admin (username `admin`) is created in auth at once and can log in by email (`POST /api/v1/auth/admin-login`). Either both exist or neither does. Names are unique case-insensitively. '
      + 'With an `Idempotency-Key`, a retry with the same `name` and `admin_email` replays the first answer (`Idempotent-Replayed: true`) instead of a 409 for the name; another request with the same key is a 409 (`idempotency_key_reused`). '
      + 'The password is not part of what identifies the request (it is not stored here, not even hashed): use a fresh key for a different password.',
    params: { header: z.object({ 'Idempotency-Key': IdempotencyKey.optional().describe('Makes a retried create safe: 1-200 visible ASCII characters, unique (a UUID).') }) },
    body: { schema: named('CreateOrganizationBody', CreateOrganizationBody) },
    responses: { 201: { description: 'Created, with the admin\'s email and user id.', body: OrganizationAnswer } },
    problems: [400, 409, 413, 415, 503],
  },
  {
    method: 'get', path: '/api/v1/organizations', operationId: 'listOrganizations', tags: [TAG], security: 'optional-bearer',
    summary: 'List organizations (public), or find one by `name`',
    description: 'Sorted by name, pages of at most 100. No admin email except the caller\'s own organization\'s.',
    params: { query: ListOrganizationsQuery },
    responses: { 200: { description: 'One page.', body: named('OrganizationPage', z.object({ organizations: z.array(Organization), next_cursor: z.string().nullable() })) } },
    problems: [400, 404],
  },
  {
    method: 'get', path: '/api/v1/organizations/{id}', operationId: 'getOrganization', tags: [TAG], security: 'optional-bearer',
    summary: 'One organization (always current)',
    params: { path: Path },
    responses: { 200: { description: 'The organization.', body: OrganizationAnswer } },
    problems: [400, 404],
  },
  {
    method: 'patch', path: '/api/v1/organizations/{id}', operationId: 'updateOrganization', tags: [TAG], security: 'bearer', role: 'admin',
    summary: 'Rename, change the admin email, reset the admin password (its own admin only)',
    description: 'Tokens keep working after a rename; a password reset ends the admin\'s sessions.',
    params: { path: Path, header: z.object({ 'If-Match': IfMatch.optional() }) },
    body: { schema: named('UpdateOrganizationBody', UpdateOrganizationBody) },
    responses: { 200: { description: 'The updated organization.', body: OrganizationAnswer } },
    problems: [400, 401, 403, 404, 409, 412, 503],
  },
  {
    method: 'delete', path: '/api/v1/organizations/{id}', operationId: 'deleteOrganization', tags: [TAG], security: 'bearer', role: 'admin',
    summary: 'Delete an organization (its own admin only)',
    description: 'Cascades through `organizations.events`: its users, tokens, students and collections go within seconds. Deleting again changes nothing.',
    params: { path: Path },
    responses: { 200: { description: 'Deleted.', body: named('OrganizationDeleted', z.object({ deleted: z.object({ id: z.string(), name: z.string(), deleted_collection: z.string() }) })) } },
    problems: [401, 403, 404],
  },
];

export const openApiRoute = () =>
  serveOpenApi(openApiDocument({
    title: 'organizations',
    version: '1.0.0',
    description: 'The tenants: created with their first admin, renamed, deleted in cascade.',
    tags: [{ name: TAG, description: 'Organizations (tenants).' }],
    operations: organizationsOperations,
  }));
