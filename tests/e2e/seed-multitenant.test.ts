import { bearer, client, type Client } from '../support/auth';
import { eventually, unique } from '../support/backbone';
import { startPlatform, type Platform } from '../support/platform';

// The multi-tenant seed (shared/seeds/002) through the gateway, with the seed's bodies and answers.
let platform: Platform;
let api: Client;
const password = 'securepass-long-enough';
const names = () => {
  const name = `alpha_${unique('x').slice(2)}`;
  return { name, email: `admin@${name.replace(/_/g, '-')}.example.com` };
};

beforeAll(async () => {
  platform = await startPlatform();
  api = client(platform.gateway.url);
});
afterAll(() => platform.stop());

async function createAndLogin() {
  const { name, email } = names();
  const created = await api.post('/org/create', { organization_name: name, email, password });
  expect(created.status).toBe(201);
  const login = await api.post('/admin/login', { email, password });
  expect(login.status).toBe(200);
  return { name, email, created: created.body, token: login.body.access_token as string, login: login.body };
}

describe('the multi-tenant seed through the gateway', () => {
  it('creates an organization with its admin, who logs in by email and reads /admin/me', async () => {
    const { name, email, created, token, login } = await createAndLogin();
    expect(created).toEqual({
      success: true,
      message: 'Organization created successfully',
      data: { organization_name: name, collection_name: `org_${name}`, admin_email: email, admin_id: expect.any(String), created_at: expect.any(String), is_active: true },
    });
    expect(login).toEqual({ access_token: expect.any(String), token_type: 'bearer', expires_in: expect.any(Number), admin_email: email, organization_name: name });
    const me = await api.get('/admin/me', bearer(token));
    expect(me.status).toBe(200);
    expect(me.body).toEqual({ success: true, message: 'Current admin info retrieved', data: { admin_id: created.data.admin_id, email, organization_name: name } });
    expect((await api.get('/admin/me')).status).toBe(401);
    expect((await api.post('/admin/login', { email, password: 'wrong-password-here' })).body).toMatchObject({ success: false, message: 'Invalid email or password' });
  });

  it('refuses an admin login to the organization\'s admin once demoted to user, as a wrong password', async () => {
    const org = await createAndLogin();
    const second = { username: `second-${org.name}`, email: `second@${org.email.split('@')[1]}`, password, role: 'admin' };
    expect((await api.post('/api/v1/users', second, bearer(org.token))).status).toBe(201);
    // The last-admin check counts admins in the users read model, which catches up within moments.
    await eventually(async () => (await api.send('PATCH', `/api/v1/users/${org.created.data.admin_id}`, { role: 'user' }, bearer(org.token))).status === 200);
    const login = await api.post('/admin/login', { email: org.email, password });
    expect(login.status).toBe(401);
    expect(login.body).toEqual({ success: false, message: 'Invalid email or password', detail: 'Invalid email or password', data: null });
  });

  it('gets and lists organizations; the admin email only for its own admin', async () => {
    const mine = await createAndLogin();
    const theirs = await createAndLogin();
    const own = await api.get(`/org/get?organization_name=${mine.name}`, bearer(mine.token));
    expect(own.status).toBe(200);
    expect(own.body).toEqual({
      success: true,
      message: 'Organization retrieved successfully',
      data: { organization_name: mine.name, collection_name: `org_${mine.name}`, admin_email: mine.email, created_at: expect.any(String), updated_at: expect.any(String), is_active: true },
    });
    const anonymous = await api.get(`/org/get?organization_name=${theirs.name}`);
    expect(anonymous.body.data).not.toHaveProperty('admin_email');
    expect((await api.get('/org/get?organization_name=nosuchorg')).status).toBe(404);
    expect((await api.get('/org/get')).status).toBe(422);

    const list = await eventually(async () => {
      const res = await api.get('/org/list', bearer(mine.token));
      const listed = res.body.data?.map((o: { organization_name: string }) => o.organization_name) ?? [];
      return listed.includes(mine.name) && listed.includes(theirs.name) ? res : undefined;
    });
    expect(list.body.success).toBe(true);
    expect(list.body.message).toBe(`Retrieved ${list.body.data.length} organization(s)`);
    expect(JSON.stringify(list.body)).not.toContain(theirs.email);
  });

  it('updates name, admin email and password: the new credentials log in, the old do not', async () => {
    const org = await createAndLogin();
    const renamed = `${org.name}_updated`;
    const email = `new${org.email}`;
    const res = await api.send('PUT', '/org/update', { old_organization_name: org.name, new_organization_name: renamed, email, password: 'newsecurepass-long' }, bearer(org.token));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      success: true,
      message: 'Organization updated successfully',
      data: { organization_name: renamed, collection_name: `org_${renamed}`, admin_email: email, updated_at: expect.any(String) },
    });
    expect((await api.post('/admin/login', { email, password: 'newsecurepass-long' })).status).toBe(200);
    expect((await api.post('/admin/login', { email: org.email, password })).status).toBe(401);
  });

  it('refuses duplicates, other tenants, missing tokens and malformed bodies in the seed\'s envelope', async () => {
    const org = await createAndLogin();
    const other = await createAndLogin();
    const duplicate = await api.post('/org/create', { organization_name: org.name.toUpperCase(), email: 'x@example.com', password });
    expect(duplicate.status).toBe(400);
    expect(duplicate.body).toEqual({ success: false, message: 'Organization already exists', detail: 'Organization already exists', data: null });
    const taken = await api.post('/org/create', { organization_name: names().name, email: org.email, password });
    expect(taken.status).toBe(400);
    expect(taken.body.message).toMatch(/admin email of another organization/);
    const hijack = await api.send('PUT', '/org/update', { old_organization_name: org.name, new_organization_name: 'hijacked' }, bearer(other.token));
    expect(hijack.status).toBe(403);
    expect((await api.send('DELETE', '/org/delete', { organization_name: org.name }, bearer(other.token))).status).toBe(403);
    expect((await api.send('DELETE', '/org/delete', { organization_name: org.name })).status).toBe(401);
    const malformed = await api.post('/org/create', '{"organization_name": ', { 'content-type': 'application/json' });
    expect(malformed.status).toBe(422);
    const latin1 = await api.post('/admin/login', JSON.stringify({ email: org.email, password }), { 'content-type': 'application/json; charset=latin1' });
    expect(latin1.status).toBe(415);
    expect(latin1.body).toMatchObject({ success: false, message: expect.stringMatching(/charset/), data: null });
    const missing = await api.post('/org/create', { organization_name: names().name });
    expect(missing.status).toBe(422);
    expect(missing.body.detail.map((d: { loc: string[] }) => d.loc.join('.'))).toEqual(expect.arrayContaining(['body.email', 'body.password']));
    for (const bad of ['a$b', '../etc', 'x'.repeat(1000)]) {
      expect((await api.post('/org/create', { organization_name: bad, email: 'y@example.com', password })).status).toBe(400);
    }
    expect((await api.get(`/org/get?organization_name=${org.name}`)).status).toBe(200);
  });

  it('deletes an organization: its admin can no longer log in and its token stops working', async () => {
    const org = await createAndLogin();
    const res = await api.send('DELETE', '/org/delete', { organization_name: org.name }, bearer(org.token));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      success: true, message: `Organization '${org.name}' deleted successfully`, data: { organization_name: org.name, deleted_collection: `org_${org.name}` },
    });
    await eventually(async () => (await api.get('/admin/me', bearer(org.token))).status === 401, 5_000);
    await eventually(async () => (await api.post('/admin/login', { email: org.email, password })).status === 401, 5_000);
    expect((await api.get(`/org/get?organization_name=${org.name}`)).status).toBe(404);
  });
});
