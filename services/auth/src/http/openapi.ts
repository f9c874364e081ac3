/**
 * The auth service's operations for its OpenAPI document (`GET /openapi.json`), declared with the
 * same zod schemas the routes parse with (./schemas.ts). The gateway merges this document into the
 * public one and keeps only what its policy table routes, so the /internal operations below stay
 * documentation for the services that call them.
 */
import { z } from 'zod';
import { named, openApiDocument, serveOpenApi, type OperationSpec } from '@sms/shared/openapi';
import {
  AdminChangeBody,
  AdminLoginBody,
  ChangePasswordBody,
  CreateUserBody,
  FirstAdminBody,
  IfMatch,
  ListUsersQuery,
  LoginBody,
  Organization,
  RefreshBody,
  ResetPasswordBody,
  RoleField,
  SignupBody,
  UpdateUserBody,
  UserId,
} from './schemas';

// ---- answers (the shapes of UserView and TokenPair in application/accounts.ts) ----

const User = named(
  'User',
  z.object({
    id: z.uuid(),
    organizationId: z.string(),
    username: z.string(),
    email: z.email(),
    role: RoleField,
    active: z.boolean(),
    version: z.number().int().positive().describe('Version of the user; send it back as `If-Match` to update safely.'),
  }),
);
const UserAnswer = named('UserAnswer', z.object({ user: User }));
const ListedUser = User.extend({ createdAt: z.iso.datetime(), updatedAt: z.iso.datetime() });
const UserPage = named(
  'UserPage',
  z.object({
    items: z.array(ListedUser),
    nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; `null` on the last page.'),
  }),
);
const TokenPair = named(
  'TokenPair',
  z.object({
    accessToken: z.string().describe('ES256 JWT; send as `Authorization: Bearer <token>`.'),
    refreshToken: z.string().describe('Opaque; single use: every refresh returns a new one, and reusing a spent one revokes the session.'),
    tokenType: z.literal('Bearer'),
    expiresIn: z.number().int().describe('Seconds until the access token expires.'),
    sessionId: z.string(),
    user: User,
  }),
);
const Jwks = named(
  'Jwks',
  z.object({
    keys: z.array(
      z.object({ kty: z.literal('EC'), crv: z.literal('P-256'), x: z.string(), y: z.string(), kid: z.string(), alg: z.literal('ES256'), use: z.literal('sig') }),
    ),
  }),
);

const etag = { ETag: { description: 'The version of the user, e.g. `"3"`.' } };
const UserPath = z.object({ id: UserId.describe('The user id (a UUID).') });
const IfMatchHeader = z.object({ 'If-Match': IfMatch.optional().describe('The version you read (`ETag`), or a list of them (met when any is current), or `*`; a stale or weak (`W/`) ETag is a 412.') });
const InternalToken = z.object({ 'x-internal-token': z.string().describe('`INTERNAL_API_TOKEN`, shared by the services.') });
const OrgPath = z.object({ org: Organization.describe('The organization id.') });

const AUTH = 'Authentication';
const USERS = 'Users';
const KEYS = 'Keys';
const INTERNAL = 'Internal';

export const authOperations: OperationSpec[] = [
  {
    method: 'get', path: '/.well-known/jwks.json', operationId: 'getJwks', tags: [KEYS], security: 'public',
    summary: 'Public keys that verify access tokens',
    description: 'JSON Web Key Set of the current and previous signing keys (ES256); cacheable for 5 minutes. Pick the key by the token header\'s `kid`.',
    responses: { 200: { description: 'The key set.', body: Jwks } },
  },
  {
    method: 'post', path: '/api/v1/auth/signup', operationId: 'signup', tags: [AUTH], security: 'public',
    summary: 'Sign up as a user of the default organization',
    description: 'Always creates a `user` (a `role` field is a 400). The password: 8-256 characters (code points, after NFKC), not a common password (see the `password` field).',
    body: { schema: named('SignupBody', SignupBody) },
    responses: { 201: { description: 'Created.', body: UserAnswer, headers: { Location: { description: 'The new user.' } } } },
    problems: [400, 409, 413, 415, 429],
  },
  {
    method: 'post', path: '/api/v1/auth/admin-signup', operationId: 'adminSignup', tags: [AUTH], security: 'optional-bearer',
    summary: 'Sign up an admin of the default organization',
    description: 'Open (no token) only for the first admin of the default organization; after that the caller must be an admin of that organization.',
    body: { schema: named('SignupBody', SignupBody) },
    responses: { 201: { description: 'Created.', body: UserAnswer, headers: { Location: { description: 'The new user.' } } } },
    problems: [400, 401, 403, 409, 413, 415, 429],
  },
  {
    method: 'post', path: '/api/v1/auth/login', operationId: 'login', tags: [AUTH], security: 'public',
    summary: 'Log in with a username or an email',
    description: 'One answer (401) for an unknown user and a wrong password. Throttled per account and per client address (429 with `Retry-After`). Also accepts a form-encoded body.',
    body: { schema: named('LoginBody', LoginBody), contentTypes: ['application/json', 'application/x-www-form-urlencoded'] },
    responses: { 200: { description: 'A token pair (`Cache-Control: no-store`).', body: TokenPair } },
    problems: [400, 401, 403, 413, 415, 429],
  },
  {
    method: 'post', path: '/api/v1/auth/admin-login', operationId: 'adminLogin', tags: [AUTH], security: 'public',
    summary: 'Log in as an organization\'s admin by email',
    description: 'Admin emails are unique across organizations, so the email names the organization. An email that is no admin\'s, or whose account has since been demoted to `user`, fails like a wrong password (401).',
    body: { schema: named('AdminLoginBody', AdminLoginBody) },
    responses: { 200: { description: 'A token pair (`Cache-Control: no-store`).', body: TokenPair } },
    problems: [400, 401, 403, 413, 415, 429],
  },
  {
    method: 'post', path: '/api/v1/auth/refresh', operationId: 'refresh', tags: [AUTH], security: 'public',
    summary: 'Exchange a refresh token for a new token pair',
    description: 'Refresh tokens rotate: the answer carries a new one. Reusing a spent refresh token revokes the whole session.',
    body: { schema: named('RefreshBody', RefreshBody) },
    responses: { 200: { description: 'A new token pair (`Cache-Control: no-store`).', body: TokenPair } },
    problems: [400, 401, 403, 413, 415, 429],
  },
  {
    method: 'post', path: '/api/v1/auth/logout', operationId: 'logout', tags: [AUTH], security: 'bearer',
    summary: 'Log out this session',
    description: 'Revokes the token\'s session; the gateway refuses its access tokens within about a second.',
    responses: { 204: { description: 'Logged out.' } },
    problems: [401],
  },
  {
    method: 'post', path: '/api/v1/auth/logout-all', operationId: 'logoutEverywhere', tags: [AUTH], security: 'bearer',
    summary: 'Log out every session of the caller',
    responses: { 204: { description: 'Every session revoked.' } },
    problems: [401],
  },
  {
    method: 'get', path: '/api/v1/auth/me', operationId: 'getMe', tags: [AUTH], security: 'bearer',
    summary: 'The caller\'s account',
    responses: { 200: { description: 'The account.', body: UserAnswer } },
    problems: [401],
  },
  {
    method: 'post', path: '/api/v1/auth/password', operationId: 'changePassword', tags: [AUTH], security: 'bearer',
    summary: 'Change the caller\'s password',
    description: 'Revokes every other session and answers with a fresh token pair.',
    body: { schema: named('ChangePasswordBody', ChangePasswordBody) },
    responses: { 200: { description: 'A token pair of a new session.', body: TokenPair } },
    problems: [400, 401, 403, 413, 415],
  },
  {
    method: 'get', path: '/api/v1/users', operationId: 'listUsers', tags: [USERS], security: 'bearer', role: 'admin',
    summary: 'Users of the caller\'s organization',
    description: 'Ordered by username; `q` is a literal substring of the username. Pages of at most 100.',
    params: { query: ListUsersQuery },
    responses: { 200: { description: 'One page.', body: UserPage } },
    problems: [400, 401, 403],
  },
  {
    method: 'post', path: '/api/v1/users', operationId: 'createUser', tags: [USERS], security: 'bearer', role: 'admin',
    summary: 'Create a user in the caller\'s organization',
    body: { schema: named('CreateUserBody', CreateUserBody) },
    responses: { 201: { description: 'Created.', body: UserAnswer, headers: { ...etag, Location: { description: 'The new user.' } } } },
    problems: [400, 401, 403, 409, 413, 415],
  },
  {
    method: 'get', path: '/api/v1/users/{id}', operationId: 'getUser', tags: [USERS], security: 'bearer', role: 'admin',
    summary: 'One user of the caller\'s organization',
    params: { path: UserPath },
    responses: { 200: { description: 'The user.', body: UserAnswer, headers: etag } },
    problems: [401, 403, 404],
  },
  {
    method: 'patch', path: '/api/v1/users/{id}', operationId: 'updateUser', tags: [USERS], security: 'bearer', role: 'admin',
    summary: 'Change a user\'s username, email, role or activation',
    description: 'A role change or a deactivation revokes the user\'s sessions.',
    params: { path: UserPath, header: IfMatchHeader },
    body: { schema: named('UpdateUserBody', UpdateUserBody) },
    responses: { 200: { description: 'The changed user.', body: UserAnswer, headers: etag } },
    problems: [400, 401, 403, 404, 409, 412, 413, 415],
  },
  {
    method: 'put', path: '/api/v1/users/{id}/password', operationId: 'resetUserPassword', tags: [USERS], security: 'bearer', role: 'admin',
    summary: 'Set a user\'s password (a forgotten one)',
    description: 'No current password needed; the same password policy as signup. Revokes every session of the user.',
    params: { path: UserPath },
    body: { schema: named('ResetPasswordBody', ResetPasswordBody) },
    responses: { 200: { description: 'The user.', body: UserAnswer, headers: etag } },
    problems: [400, 401, 403, 404, 413, 415],
  },
  {
    method: 'delete', path: '/api/v1/users/{id}', operationId: 'deleteUser', tags: [USERS], security: 'bearer', role: 'admin',
    summary: 'Delete a user',
    description: 'Revokes the user\'s sessions and frees the username and email.',
    params: { path: UserPath },
    responses: { 204: { description: 'Deleted.' } },
    problems: [401, 403, 404],
  },
  {
    method: 'post', path: '/internal/v1/organizations/{org}/first-admin', operationId: 'createFirstAdmin', tags: [INTERNAL], security: 'public',
    summary: 'Create the first admin of a new organization (organizations service only)',
    description: 'Retrying with the same `userId` answers 200 with the same user. Never routed by the gateway.',
    params: { path: OrgPath, header: InternalToken },
    body: { schema: FirstAdminBody },
    responses: { 200: { description: 'A retry: the user created before.', body: UserAnswer }, 201: { description: 'Created.', body: UserAnswer } },
    problems: [400, 401, 409],
  },
  {
    method: 'patch', path: '/internal/v1/organizations/{org}/users/{userId}', operationId: 'changeOrganizationAdmin', tags: [INTERNAL], security: 'public',
    summary: 'Change an organization admin\'s email or password (organizations service only)',
    params: { path: OrgPath.extend({ userId: UserId }), header: InternalToken },
    body: { schema: AdminChangeBody },
    responses: { 200: { description: 'The changed user.', body: UserAnswer } },
    problems: [400, 401, 404, 409],
  },
  {
    method: 'delete', path: '/internal/v1/organizations/{org}', operationId: 'purgeOrganization', tags: [INTERNAL], security: 'public',
    summary: 'Remove every user of an organization (organizations service only)',
    params: { path: OrgPath, header: InternalToken },
    responses: { 200: { description: 'What was removed.', body: z.object({ organization: z.string(), deletedUsers: z.number().int() }) } },
    problems: [400, 401],
  },
];

export const authOpenApi = () =>
  openApiDocument({
    title: 'auth',
    version: '1.0.0',
    description: 'Identities, credentials and sessions; signs access tokens (ES256) and publishes its keys.',
    tags: [
      { name: AUTH, description: 'Sign up, log in, tokens and sessions.' },
      { name: USERS, description: 'Admins manage the users of their organization.' },
      { name: KEYS, description: 'Keys that verify access tokens.' },
      { name: INTERNAL, description: 'Service-to-service calls (`x-internal-token`); not routed by the gateway.' },
    ],
    operations: authOperations,
  });

/** `GET /openapi.json` (public). */
export const openApiRoute = () => serveOpenApi(authOpenApi());
