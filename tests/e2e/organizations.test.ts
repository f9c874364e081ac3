import { createHash } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { startService, type RunningService } from '@sms/shared/service';
import { readConfig as organizationsConfig } from '../../services/organizations/src/config';
import { Organizations } from '../../services/organizations/src/application/organizations';
import { AuthClient } from '../../services/organizations/src/infrastructure/auth-client';
import { organizationsRegistry, organizationsService } from '../../services/organizations/src/service';
import { EventStore } from '@sms/shared/eventstore';
import { bearer, client, type Client } from '../support/auth';
import { eventually, serviceTestEnv, silentLogger, testEndpoints, unique } from '../support/backbone';
import { startPlatform, type Platform } from '../support/platform';

let platform: Platform;
let api: Client;
let mongo: MongoClient;
const password = 'correct horse battery staple';
const orgName = (prefix: string) => `${prefix}_${unique('o').slice(2)}`;
const dbOf = (service: RunningService) => service.context.mongo!.db;
/** The internal token the platform's services share in tests (the development default). */
const readConfigToken = () => organizationsConfig({ NODE_ENV: 'test' }).INTERNAL_API_TOKEN;

async function createOrganization(name = orgName('alpha'), email = `admin@${name.replace(/_/g, '-')}.test`) {
  const res = await api.post('/api/v1/organizations', { name, admin_email: email, admin_password: password });
  expect(res.status).toBe(201);
  const login = await api.post('/api/v1/auth/admin-login', { email, password });
  expect(login.status).toBe(200);
  return { id: res.body.organization.id as string, name, email, token: login.body.accessToken as string, created: res.body };
}

const collections = async (service: RunningService) => (await dbOf(service).listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name);

beforeAll(async () => {
  platform = await startPlatform();
  api = client(platform.gateway.url);
  mongo = await MongoClient.connect(testEndpoints().mongoUrl);
});
afterAll(async () => {
  await mongo.close();
  await platform.stop();
});

describe('organizations through the gateway', () => {
  it('creates an organization whose admin can log in at once, by email alone or in the organization', async () => {
    const name = orgName('Alpha');
    const email = `first@${name.toLowerCase().replace(/_/g, '-')}.test`;
    const res = await api.post('/api/v1/organizations', { name, admin_email: email, admin_password: password });
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe(`/api/v1/organizations/${res.body.organization.id}`);
    expect(res.body.organization).toMatchObject({ name, collection_name: `org_${name.toLowerCase()}`, admin_email: email, is_active: true, version: 1 });
    expect(JSON.stringify(res.body)).not.toContain(password);

    const byEmail = await api.post('/api/v1/auth/admin-login', { email, password });
    expect(byEmail.status).toBe(200);
    const me = await api.get('/api/v1/auth/me', bearer(byEmail.body.accessToken));
    expect(me.body.user ?? me.body).toMatchObject({ role: 'admin', organizationId: res.body.organization.id });
    const inOrg = await api.post('/api/v1/auth/login', { organization: res.body.organization.id, email, password });
    expect(inOrg.status).toBe(200);
    expect((await api.post('/api/v1/auth/admin-login', { email, password: 'wrong password entirely' })).status).toBe(401);
    expect((await api.post('/api/v1/auth/admin-login', { email: 'nobody@nowhere.test', password })).status).toBe(401);

    // The member directory org_<name> is materialized from auth's events, with the admin in it.
    const member = await eventually(() => dbOf(platform.organizations).collection(`org_${name.toLowerCase()}`).findOne({ email }));
    expect(member).toMatchObject({ role: 'admin', active: true });
  });

  it('shows an anonymous caller no admin email, and its own admin the email', async () => {
    const org = await createOrganization();
    const anonymous = await api.get(`/api/v1/organizations/${org.id}`);
    expect(anonymous.status).toBe(200);
    expect(anonymous.body.organization.name).toBe(org.name);
    expect(JSON.stringify(anonymous.body)).not.toContain(org.email);
    const own = await api.get(`/api/v1/organizations/${org.id}`, bearer(org.token));
    expect(own.body.organization.admin_email).toBe(org.email);

    const listed = await eventually(async () => {
      const res = await api.get('/api/v1/organizations?limit=100');
      return res.body.organizations?.some((o: { id: string }) => o.id === org.id) ? res : undefined;
    });
    expect(JSON.stringify(listed.body)).not.toMatch(/admin_email/);
    const byName = await api.get(`/api/v1/organizations?name=${org.name.toUpperCase()}`);
    expect(byName.body.organizations[0].id).toBe(org.id);
    expect((await api.get('/api/v1/organizations?limit=1000')).status).toBe(400);
  });

  it('paginates the list with a cursor', async () => {
    await createOrganization();
    await createOrganization();
    const first = await eventually(async () => {
      const res = await api.get('/api/v1/organizations?limit=1');
      return res.body.next_cursor ? res : undefined;
    });
    expect(first.body.organizations).toHaveLength(1);
    const second = await api.get(`/api/v1/organizations?limit=1&cursor=${first.body.next_cursor}`);
    expect(second.status).toBe(200);
    expect(second.body.organizations[0].id).not.toBe(first.body.organizations[0].id);
    // Forged cursors (a number, an object, a name no organization can have, not JSON): a 400, never an empty page.
    for (const json of ['5', '{"name":"x"}', '"{zzz"', 'acme']) {
      const res = await api.get(`/api/v1/organizations?cursor=${Buffer.from(json).toString('base64url')}`);
      expect([json, res.status, res.body.detail]).toEqual([json, 400, 'invalid cursor']);
    }
  });

  it('replays a retried creation with the same Idempotency-Key, refuses the key with another request, and stores no password', async () => {
    const name = orgName('retry');
    const body = { name, admin_email: `admin@${name.replace(/_/g, '-')}.test`, admin_password: password };
    const key = { 'idempotency-key': `key-${name}` };
    const first = await api.post('/api/v1/organizations', body, key);
    expect(first.status).toBe(201);
    const retry = await api.post('/api/v1/organizations', body, key);
    expect({ status: retry.status, replayed: retry.headers.get('idempotent-replayed'), location: retry.headers.get('location'), body: retry.body })
      .toEqual({ status: 201, replayed: 'true', location: first.headers.get('location'), body: first.body });
    for (const other of [{ ...body, admin_email: 'someone@else.test' }, { ...body, name: orgName('other') }]) {
      const reused = await api.post('/api/v1/organizations', other, key);
      expect({ status: reused.status, code: reused.body.code }).toEqual({ status: 409, code: 'idempotency_key_reused' });
    }
    // Without a key a retry is what it always was: the name is taken.
    expect((await api.post('/api/v1/organizations', body)).status).toBe(409);
    const stored = await dbOf(platform.organizations).collection('idempotency_keys').find({}).toArray();
    expect(stored.length).toBeGreaterThan(0);
    for (const secret of [password, createHash('sha256').update(password).digest('hex'), createHash('sha256').update(JSON.stringify(body)).digest('hex')]) {
      expect(JSON.stringify(stored)).not.toContain(secret);
    }
  });

  it('refuses bad names, duplicate names in any case, malformed and unknown fields, with nothing created', async () => {
    const org = await createOrganization();
    for (const name of ['a$b', 'alpha.beta', 'al/pha', '   ', 'x'.repeat(1000), 'аlpha', 'al\u200bpha', 'default']) {
      const res = await api.post('/api/v1/organizations', { name, admin_email: 'x@y.test', admin_password: password });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    const duplicate = await api.post('/api/v1/organizations', { name: org.name.toUpperCase(), admin_email: 'other@y.test', admin_password: password });
    expect(duplicate.status).toBe(409);
    expect((await api.post('/api/v1/organizations', '{"name": ', { 'content-type': 'application/json' })).status).toBe(400);
    expect((await api.post('/api/v1/organizations', { name: orgName('x'), admin_email: 'x@y.test', admin_password: password, role: 'root' })).status).toBe(400);
    expect((await api.post('/api/v1/organizations', { name: orgName('x'), admin_email: 42, admin_password: password })).status).toBe(400);
    // The other organization's admin was not created by the refused duplicate.
    expect((await api.post('/api/v1/auth/admin-login', { email: 'other@y.test', password })).status).toBe(401);
  });

  it('leaves no organization and no admin behind when auth refuses the admin, and the name stays free', async () => {
    const name = orgName('weak');
    const email = `admin@${name.replace(/_/g, '-')}.test`;
    const refused = await api.post('/api/v1/organizations', { name, admin_email: email, admin_password: 'short' });
    expect(refused.status).toBe(400);
    expect((await api.get(`/api/v1/organizations?name=${name}`)).status).toBe(404);
    expect((await api.post('/api/v1/auth/admin-login', { email, password: 'short' })).status).toBe(401);
    // A retry with a good password takes the same name and email.
    const retried = await api.post('/api/v1/organizations', { name, admin_email: email, admin_password: password });
    expect(retried.status).toBe(201);
    expect((await api.post('/api/v1/auth/admin-login', { email, password })).status).toBe(200);
  });

  it('answers 503 when auth is unreachable, and leaves neither the organization nor its name behind', async () => {
    const env = serviceTestEnv('orgs', { AUTH_URL: 'http://127.0.0.1:9', AUTH_TIMEOUT_MS: '500', AUTH_JWKS_URL: `${platform.auth.url}/.well-known/jwks.json` });
    const lonely = await startService(organizationsService(organizationsConfig(env)));
    try {
      const direct = client(lonely.url);
      const name = orgName('down');
      const res = await direct.post('/api/v1/organizations', { name, admin_email: `a@${name.replace(/_/g, '-')}.test`, admin_password: password });
      expect(res.status).toBe(503);
      expect((await direct.get(`/api/v1/organizations?name=${name}`)).status).toBe(404);
      // Nothing was appended, and the compensation released the name... once auth answers; until then the claim stays pending.
      expect(await dbOf(lonely).collection('events').countDocuments({})).toBe(0);
      const claim = await dbOf(lonely).collection('organization_names').findOne({ _id: name.toLowerCase() as never });
      expect(claim === null || claim.state === 'pending').toBe(true);
      // Once auth answers, the sweeper compensates what is still pending: the name is free again.
      const store = new EventStore(dbOf(lonely), { source: 'organizations', topic: env.EVENTS_TOPIC!, registry: organizationsRegistry() });
      const auth = new AuthClient({ baseUrl: platform.auth.url, internalToken: readConfigToken(), timeoutMs: 2_000 });
      await new Organizations(dbOf(lonely), store, auth, silentLogger).recover(0);
      expect(await dbOf(lonely).collection('organization_names').countDocuments({ _id: name.toLowerCase() as never })).toBe(0);
    } finally {
      await dbOf(lonely).dropDatabase();
      await lonely.stop();
    }
  });

  it('renames: tokens and data keep working, the collection is renamed, and names stay unique', async () => {
    const org = await createOrganization();
    const other = await createOrganization();
    const student = await api.post('/api/v1/students', { name: 'Lisa Simpson', age: 8, roll_no: 'R-1', grade: '2' }, bearer(org.token));
    expect(student.status).toBe(201);
    await eventually(async () => (await collections(platform.organizations)).includes(`org_${org.name.toLowerCase()}`));

    const onto = await api.send('PATCH', `/api/v1/organizations/${org.id}`, { name: other.name.toUpperCase() }, bearer(org.token));
    expect(onto.status).toBe(409);
    const newName = orgName('renamed');
    const renamed = await api.send('PATCH', `/api/v1/organizations/${org.id}`, { name: newName }, bearer(org.token));
    expect(renamed.status).toBe(200);
    expect(renamed.body.organization).toMatchObject({ id: org.id, name: newName, collection_name: `org_${newName.toLowerCase()}`, version: 2 });

    expect((await api.get(`/api/v1/students/${student.body.student.id}`, bearer(org.token))).status).toBe(200);
    expect((await api.get('/api/v1/auth/me', bearer(org.token))).status).toBe(200);
    await eventually(async () => {
      const names = await collections(platform.organizations);
      return names.includes(`org_${newName.toLowerCase()}`) && !names.includes(`org_${org.name.toLowerCase()}`);
    });
    expect(await dbOf(platform.organizations).collection(`org_${newName.toLowerCase()}`).countDocuments({ email: org.email })).toBe(1);
    // The old name is free again; the new one is taken.
    expect((await api.get(`/api/v1/organizations?name=${org.name}`)).status).toBe(404);
    expect((await api.post('/api/v1/organizations', { name: newName, admin_email: 'z@z.test', admin_password: password })).status).toBe(409);
    // A stale If-Match is a 412, and nothing changes.
    expect((await api.send('PATCH', `/api/v1/organizations/${org.id}`, { name: orgName('late') }, { ...bearer(org.token), 'if-match': '"1"' })).status).toBe(412);
  });

  it('lets only its own admin change or delete an organization', async () => {
    const org = await createOrganization();
    const other = await createOrganization();
    await api.post('/api/v1/users', { username: 'teacher', email: `teacher@${org.name.replace(/_/g, '-')}.test`, password, role: 'user' }, bearer(org.token));
    const teacher = (await api.post('/api/v1/auth/login', { organization: org.id, username: 'teacher', password })).body.accessToken;
    expect((await api.send('PATCH', `/api/v1/organizations/${org.id}`, { name: orgName('hijack') }, bearer(other.token))).status).toBe(403);
    expect((await api.send('DELETE', `/api/v1/organizations/${org.id}`, undefined, bearer(other.token))).status).toBe(403);
    expect((await api.send('PATCH', `/api/v1/organizations/${org.id}`, { name: orgName('hijack') }, bearer(teacher))).status).toBe(403);
    expect((await api.send('DELETE', `/api/v1/organizations/${org.id}`)).status).toBe(401);
    expect((await api.send('PATCH', `/api/v1/organizations/${org.id}`, { name: 'bad name' }, bearer(org.token))).status).toBe(400);
    expect((await api.send('PATCH', `/api/v1/organizations/${org.id}`, {}, bearer(org.token))).status).toBe(400);
    expect((await api.get(`/api/v1/organizations/${org.id}`)).body.organization.name).toBe(org.name);
  });

  it('changes the admin email and resets the admin password: the new ones log in, the old do not', async () => {
    const org = await createOrganization();
    const email = `new-admin@${org.name.replace(/_/g, '-')}.test`;
    const newPassword = 'a much longer new passphrase';
    // Another organization's admin email is taken, with the same code as at creation.
    const other = await createOrganization();
    const taken = await api.send('PATCH', `/api/v1/organizations/${org.id}`, { admin_email: other.email }, bearer(org.token));
    expect([taken.status, taken.body.code]).toEqual([409, 'admin_email_taken']);
    const res = await api.send('PATCH', `/api/v1/organizations/${org.id}`, { admin_email: email, admin_password: newPassword }, bearer(org.token));
    expect(res.status).toBe(200);
    expect(res.body.organization.admin_email).toBe(email);
    expect((await api.post('/api/v1/auth/admin-login', { email, password: newPassword })).status).toBe(200);
    expect((await api.post('/api/v1/auth/admin-login', { email: org.email, password })).status).toBe(401);
    expect((await api.post('/api/v1/auth/admin-login', { email, password })).status).toBe(401);
    // A reset password revokes the admin's sessions: the old token stops working at the gateway.
    await eventually(async () => (await api.get('/api/v1/auth/me', bearer(org.token))).status === 401, 5_000);
  });

  it('deletes in cascade: login refused, old tokens refused, students and collections gone; deleting again changes nothing', async () => {
    const org = await createOrganization();
    await api.post('/api/v1/users', { username: 'teacher', email: `teacher@${org.name.replace(/_/g, '-')}.test`, password, role: 'user' }, bearer(org.token));
    const teacher = (await api.post('/api/v1/auth/login', { organization: org.id, username: 'teacher', password })).body.accessToken;
    const student = await api.post('/api/v1/students', { name: 'Bart Simpson', age: 10, roll_no: 'R-2', grade: '4' }, bearer(org.token));
    expect(student.status).toBe(201);
    const studentsDb = dbOf(platform.students);
    await eventually(async () => (await studentsDb.collection('students').countDocuments({ org: org.id })) === 1);
    await eventually(async () => (await collections(platform.organizations)).includes(`org_${org.name.toLowerCase()}`));

    const deleted = await api.send('DELETE', `/api/v1/organizations/${org.id}`, undefined, bearer(org.token));
    expect(deleted.status).toBe(200);
    expect(deleted.body.deleted).toMatchObject({ id: org.id, name: org.name, deleted_collection: `org_${org.name.toLowerCase()}` });

    // Tokens: refused at the gateway within a few seconds, without asking auth.
    await eventually(async () => (await api.get('/api/v1/students', bearer(teacher))).status === 401, 5_000);
    expect((await api.get(`/api/v1/students/${student.body.student.id}`, bearer(org.token))).status).toBe(401);
    // Logins refused.
    await eventually(async () => (await api.post('/api/v1/auth/admin-login', { email: org.email, password })).status === 401, 5_000);
    expect((await api.post('/api/v1/auth/login', { organization: org.id, username: 'teacher', password })).status).toBe(401);
    // Students gone from every read model and every query, even with a token the service itself still verifies.
    await eventually(async () => (await studentsDb.collection('students').countDocuments({ org: org.id })) === 0, 5_000);
    const direct = client(platform.students.url);
    expect((await direct.get(`/api/v1/students/${student.body.student.id}`, bearer(org.token))).status).toBe(404);
    expect((await direct.post('/api/v1/students', { name: 'Maggie Simpson', age: 10, roll_no: 'R-3', grade: '1' }, bearer(org.token))).status).toBe(404);
    // The tenant collection is dropped, the master row is a bare tombstone, auth's read model has none of its users.
    await eventually(async () => !(await collections(platform.organizations)).includes(`org_${org.name.toLowerCase()}`), 5_000);
    const tombstone = await dbOf(platform.organizations).collection('organizations').findOne({ _id: org.id as never });
    expect(Object.keys(tombstone ?? {}).sort()).toEqual(['_id', 'deleted', 'is_active', 'version']);
    await eventually(async () => (await dbOf(platform.auth).collection('users').countDocuments({ organizationId: org.id })) === 0, 5_000);
    expect((await api.get(`/api/v1/organizations/${org.id}`)).status).toBe(404);
    // Deleting again (straight at the service: the gateway refuses the dead token) succeeds and changes nothing.
    const again = await client(platform.organizations.url).send('DELETE', `/api/v1/organizations/${org.id}`, undefined, bearer(org.token));
    expect(again.status).toBe(200);
    // The name can be taken by a new organization.
    expect((await api.post('/api/v1/organizations', { name: org.name, admin_email: `re@${org.name.replace(/_/g, '-')}.test`, admin_password: password })).status).toBe(201);
  });
});
