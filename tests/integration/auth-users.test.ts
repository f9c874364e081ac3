import type { RunningService } from '@sms/shared/service';
import type { Config } from '../../services/auth/src/config';
import { rebuildProjection } from '@sms/shared/projection';
import { authRegistry } from '../../services/auth/src/service';
import { usersProjection } from '../../services/auth/src/projections/users';
import { bearer, client, startAuth, type Client } from '../support/auth';
import { eventually, silentLogger } from '../support/backbone';

let auth: RunningService<Config>;
let api: Client;
const password = 'correct horse battery staple';
const internal = { 'x-internal-token': 'dev-only-internal-token-change-me' };
let adminToken: string;
let userToken: string;

const login = async (username: string, organization?: string) =>
  (await api.post('/api/v1/auth/login', { username, password, ...(organization ? { organization } : {}) })).body.accessToken as string;

beforeAll(async () => {
  auth = await startAuth();
  api = client(auth.url);
});
afterAll(async () => {
  await auth.context.mongo?.db.dropDatabase().catch(() => undefined);
  await auth.stop();
});

describe('the first admin of the default organization', () => {
  it('may sign up openly; the next admin signup needs an admin', async () => {
    const first = await api.post('/api/v1/auth/admin-signup', { username: 'root', email: 'root@example.com', password });
    expect(first.status).toBe(201);
    expect(first.body.user).toMatchObject({ role: 'admin', organizationId: 'default' });
    adminToken = await login('root');

    const open = await api.post('/api/v1/auth/admin-signup', { username: 'mallory', email: 'm@example.com', password });
    expect(open.status).toBe(403);
    await api.post('/api/v1/auth/signup', { username: 'plain', email: 'plain@example.com', password });
    userToken = await login('plain');
    expect((await api.post('/api/v1/auth/admin-signup', { username: 'mallory', email: 'm@example.com', password }, bearer(userToken))).status).toBe(403);
    const byAdmin = await api.post('/api/v1/auth/admin-signup', { username: 'second', email: 'second@example.com', password }, bearer(adminToken));
    expect(byAdmin.status).toBe(201);
  });
});

describe('admin user management', () => {
  it('is for admins only: a user gets 403, no token 401', async () => {
    expect((await api.get('/api/v1/users', bearer(userToken))).status).toBe(403);
    expect((await api.get('/api/v1/users')).status).toBe(401);
  });

  it('creates, reads, updates with If-Match and deletes users of the admin organization', async () => {
    const created = await api.post('/api/v1/users', { username: 'carol', email: 'carol@example.com', password, role: 'user' }, bearer(adminToken));
    expect(created.status).toBe(201);
    expect(created.headers.get('etag')).toBe('"1"');
    const id = created.body.user.id;

    expect((await api.get(`/api/v1/users/${id}`, bearer(adminToken))).body.user.username).toBe('carol');
    const promoted = await fetch(`${api.url}/api/v1/users/${id}`, {
      method: 'PATCH',
      headers: { ...bearer(adminToken), 'content-type': 'application/json', 'if-match': '"1"' },
      body: JSON.stringify({ role: 'admin', email: 'carol@school.example' }),
    });
    expect(promoted.status).toBe(200);
    const body = (await promoted.json()) as { user: { role: string; email: string; version: number } };
    expect(body.user).toMatchObject({ role: 'admin', email: 'carol@school.example' });
    const stale = await fetch(`${api.url}/api/v1/users/${id}`, {
      method: 'PATCH',
      headers: { ...bearer(adminToken), 'content-type': 'application/json', 'if-match': '"1"' },
      body: JSON.stringify({ active: false }),
    });
    expect(stale.status).toBe(412);

    const carolToken = await login('carol');
    const del = await fetch(`${api.url}/api/v1/users/${id}`, { method: 'DELETE', headers: bearer(adminToken) });
    expect(del.status).toBe(204);
    expect((await api.get(`/api/v1/users/${id}`, bearer(adminToken))).status).toBe(404);
    expect((await api.get('/api/v1/auth/me', bearer(carolToken))).status).toBe(401);
    expect((await api.post('/api/v1/auth/login', { username: 'carol', password })).status).toBe(401);
    // The username is free again.
    expect((await api.post('/api/v1/users', { username: 'carol', email: 'carol2@example.com', password }, bearer(adminToken))).status).toBe(201);
  });

  it('lists from the read model with filters and a capped, cursor-paginated page', async () => {
    await eventually(async () => {
      const res = await api.get('/api/v1/users?limit=100', bearer(adminToken));
      return res.body.items?.some((u: { username: string }) => u.username === 'carol') ? res : undefined;
    });
    const admins = await api.get('/api/v1/users?role=admin', bearer(adminToken));
    expect(admins.body.items.map((u: { username: string }) => u.username).sort()).toEqual(['root', 'second']);
    const page1 = await api.get('/api/v1/users?limit=2', bearer(adminToken));
    expect(page1.body.items).toHaveLength(2);
    const page2 = await api.get(`/api/v1/users?limit=2&cursor=${page1.body.nextCursor}`, bearer(adminToken));
    expect(page2.body.items[0].username > page1.body.items[1].username).toBe(true);
    expect((await api.get('/api/v1/users?limit=1000', bearer(adminToken))).status).toBe(400);
    // Forged cursors (a number, an object, a username no one can have, not JSON): a 400, never an empty page.
    for (const json of ['5', '{"$gt":""}', '"{zzz"', 'carol']) {
      const res = await api.get(`/api/v1/users?cursor=${Buffer.from(json).toString('base64url')}`, bearer(adminToken));
      expect([json, res.status, res.body.detail]).toEqual([json, 400, 'invalid cursor']);
    }
    expect((await api.get('/api/v1/users?q=.*', bearer(adminToken))).body.items).toEqual([]);
    expect((await api.get('/api/v1/users?role[$ne]=x', bearer(adminToken))).status).toBe(400);
  });

  it('a role change or a deactivation ends the user\'s sessions; a user cannot change roles', async () => {
    const created = await api.post('/api/v1/users', { username: 'dave', email: 'dave@example.com', password }, bearer(adminToken));
    const id = created.body.user.id;
    const daveToken = await login('dave');
    const patch = (token: string, body: unknown) =>
      fetch(`${api.url}/api/v1/users/${id}`, { method: 'PATCH', headers: { ...bearer(token), 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await patch(daveToken, { role: 'admin' })).status).toBe(403);
    expect((await patch(adminToken, { role: 'admin' })).status).toBe(200);
    expect((await api.get('/api/v1/auth/me', bearer(daveToken))).status).toBe(401);
    const promoted = await login('dave');
    expect((await api.get('/api/v1/users', bearer(promoted))).status).toBe(200);
    expect((await patch(adminToken, { active: false })).status).toBe(200);
    expect((await api.get('/api/v1/auth/me', bearer(promoted))).status).toBe(401);
    expect((await api.post('/api/v1/auth/login', { username: 'dave', password })).status).toBe(403);
  });

  it('an admin sets a forgotten password: the policy applies, the old password and sessions end; users cannot', async () => {
    const created = await api.post('/api/v1/users', { username: 'erin', email: 'erin@example.com', password }, bearer(adminToken));
    const id = created.body.user.id;
    const erinToken = await login('erin');
    const reset = (token: string, body: unknown, target = id) =>
      fetch(`${api.url}/api/v1/users/${target}/password`, { method: 'PUT', headers: { ...bearer(token), 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await reset(erinToken, { newPassword: 'erin sets her own' })).status).toBe(403);
    expect((await reset(adminToken, { newPassword: 'password123' })).status).toBe(400);
    expect((await reset(adminToken, { newPassword: 'a brand new passphrase', currentPassword: password })).status).toBe(400);
    expect((await reset(adminToken, { newPassword: 'a brand new passphrase' }, '00000000-0000-4000-8000-000000000000')).status).toBe(404);
    const done = await reset(adminToken, { newPassword: 'a brand new passphrase' });
    expect(done.status).toBe(200);
    expect(((await done.json()) as { user: { id: string } }).user.id).toBe(id);
    expect((await api.get('/api/v1/auth/me', bearer(erinToken))).status).toBe(401);
    expect((await api.post('/api/v1/auth/login', { username: 'erin', password })).status).toBe(401);
    expect((await api.post('/api/v1/auth/login', { username: 'erin', password: 'a brand new passphrase' })).status).toBe(200);
  });

  it.each([
    ['a non-uuid id', '/api/v1/users/not-an-id'],
    ['an unknown id', '/api/v1/users/00000000-0000-4000-8000-000000000000'],
  ])('answers %s with 404', async (_case, path) => {
    expect((await api.get(path, bearer(adminToken))).status).toBe(404);
  });
});

describe('tenant isolation', () => {
  it('an admin of another organization sees and changes nothing of this one', async () => {
    const created = await api.post('/internal/v1/organizations/springfield/first-admin', { username: 'skinner', email: 'skinner@example.com', password }, internal);
    expect(created.status).toBe(201);
    expect((await api.post('/internal/v1/organizations/springfield/first-admin', { username: 'x', email: 'x@example.com', password })).status).toBe(401);
    const other = await login('skinner', 'springfield');
    const mine = (await api.get('/api/v1/users?role=admin', bearer(adminToken))).body.items[0].id;

    expect((await api.get(`/api/v1/users/${mine}`, bearer(other))).status).toBe(404);
    expect((await fetch(`${api.url}/api/v1/users/${mine}`, { method: 'DELETE', headers: bearer(other) })).status).toBe(404);
    const reset = await fetch(`${api.url}/api/v1/users/${mine}/password`, { method: 'PUT', headers: { ...bearer(other), 'content-type': 'application/json' }, body: JSON.stringify({ newPassword: 'taken over by another org' }) });
    expect(reset.status).toBe(404);
    const list = await eventually(async () => {
      const res = await api.get('/api/v1/users', bearer(other));
      return res.body.items?.length === 1 ? res : undefined;
    });
    expect(list.body.items.map((u: { username: string }) => u.username)).toEqual(['skinner']);
    // Same username in another organization is fine; in the same one it is not.
    expect((await api.post('/api/v1/users', { username: 'root', email: 'root@springfield.example', password }, bearer(other))).status).toBe(201);
  });
});

describe('the last admin', () => {
  it('cannot be demoted, deactivated or deleted (409 last_admin) until another admin exists', async () => {
    const created = await api.post('/internal/v1/organizations/shelbyville/first-admin', { username: 'quimby', email: 'quimby@example.com', password }, internal);
    expect(created.status).toBe(201);
    const id = created.body.user.id as string;
    const token = await login('quimby', 'shelbyville');
    const call = (method: string, body?: unknown) => fetch(`${api.url}/api/v1/users/${id}`, {
      method, headers: { ...bearer(token), 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    for (const [method, body] of [['PATCH', { role: 'user' }], ['PATCH', { active: false }], ['DELETE', undefined]] as const) {
      const res = await call(method, body);
      expect([method, body, res.status, ((await res.json()) as { code: string }).code]).toEqual([method, body, 409, 'last_admin']);
    }
    expect((await call('PATCH', { email: 'quimby@shelbyville.example' })).status).toBe(200);
    const second = await api.post('/api/v1/users', { username: 'lou', email: 'lou@example.com', password, role: 'admin' }, bearer(token));
    expect(second.status).toBe(201);
    const demoted = await eventually(async () => {
      const res = await call('PATCH', { role: 'user' });
      return res.status === 200 ? res : undefined;
    });
    const { version } = ((await demoted.json()) as { user: { version: number } }).user;
    // Settled in the read model before the next test compares it with a rebuild.
    await eventually(async () => (await auth.context.mongo!.db.collection('users').findOne({ _id: id as never, version })) ?? undefined);
  });
});

describe('the users read model', () => {
  it('is rebuilt from the topic to the same rows', async () => {
    const { db, kafka, admin } = { db: auth.context.mongo!.db, ...auth.context.kafka! };
    const users = db.collection('users');
    await eventually(async () => (await users.countDocuments({ username: 'root', organizationId: 'springfield' })) === 1);
    const before = await users.find().sort({ _id: 1 }).toArray();
    const topic = auth.context.config.EVENTS_TOPIC;
    const result = await rebuildProjection({ kafka, admin, db, topics: [topic], groupId: 'users-rebuild-test', registry: authRegistry(), projection: usersProjection, logger: silentLogger });
    expect(result.done).toBe(true);
    expect(await users.find().sort({ _id: 1 }).toArray()).toEqual(before);
  });
});
