/**
 * The JWT-with-MongoDB seed (shared/seeds/004) through the gateway: OAuth2-style `/auth/login` (form
 * or JSON), `/auth/logout` that really invalidates the token, and the admin-only `/users` CRUD.
 * The first admin comes from the open first-admin signup (the seed's create-user script is
 * `npm run create-user`).
 */
import { bearer, client, type Client } from '../support/auth';
import { eventually } from '../support/backbone';
import { startPlatform, type Platform } from '../support/platform';

let platform: Platform;
let api: Client;
const password = 'correct horse battery staple';
let admin: string;
let userToken: string;
let userId: string;

async function send(method: string, path: string, opts: { json?: unknown; form?: Record<string, string>; raw?: string; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...opts.headers };
  let body: string | undefined;
  if (opts.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(opts.form).toString();
  } else if (opts.json !== undefined || opts.raw !== undefined) {
    headers['content-type'] = 'application/json';
    body = opts.raw ?? JSON.stringify(opts.json);
  }
  const res = await fetch(`${api.url}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}
const pick = ({ status, body }: { status: number; body: unknown }) => ({ status, body });

const NOT_AUTHENTICATED = { detail: 'Not authenticated' };
const INVALID = { detail: 'Could not validate credentials' };
const FORBIDDEN = { detail: 'Not enough permissions' };
const seedUser = (username: string, email: string, role = 'user') => ({ id: expect.any(String), username, email, role });

beforeAll(async () => {
  platform = await startPlatform();
  api = client(platform.gateway.url);
  expect((await api.post('/api/v1/auth/admin-signup', { username: 'admin1', email: 'admin@example.com', password })).status).toBe(201);
});
afterAll(() => platform.stop());

describe('JWT seed: /auth/login', () => {
  it('answers the OAuth2 password form, JSON, and an email as username with {access_token, token_type}', async () => {
    const form = await send('POST', '/auth/login', { form: { username: 'admin1', password } });
    expect(form.status).toBe(200);
    expect(form.body).toEqual({ access_token: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/), token_type: 'bearer' });
    expect(form.headers.get('cache-control')).toBe('no-store');
    admin = form.body.access_token;
    const json = await send('POST', '/auth/login', { json: { username: 'admin1', password } });
    expect(json.status).toBe(200);
    const byEmail = await send('POST', '/auth/login', { form: { username: 'admin@example.com', password } });
    expect(byEmail.status).toBe(200);
  });

  it('answers 401 "Incorrect username or password" alike for a wrong password and an unknown user', async () => {
    for (const form of [{ username: 'admin1', password: 'not the password at all' }, { username: 'nobody', password }]) {
      const res = await send('POST', '/auth/login', { form });
      expect({ status: res.status, body: res.body, challenge: res.headers.get('www-authenticate') })
        .toEqual({ status: 401, body: { detail: 'Incorrect username or password' }, challenge: 'Bearer' });
    }
  });

  it('answers a malformed or incomplete body with a 422 detail list, and another method with 405', async () => {
    const missing = await send('POST', '/auth/login', { form: { username: 'admin1' } });
    expect(pick(missing)).toEqual({ status: 422, body: { detail: [{ type: 'missing', loc: ['body', 'password'], msg: 'Field required' }] } });
    const broken = await send('POST', '/auth/login', { raw: '{"username": ' });
    expect(broken.status).toBe(422);
    expect(broken.body.detail[0]).toMatchObject({ type: 'json_invalid', loc: ['body'] });
    const none = await send('POST', '/auth/login');
    expect(pick(none)).toEqual({ status: 422, body: { detail: [{ type: 'missing', loc: ['body'], msg: 'Field required' }] } });
    const wrongMethod = await send('GET', '/auth/login');
    expect({ ...pick(wrongMethod), allow: wrongMethod.headers.get('allow') }).toEqual({ status: 405, body: { detail: 'Method Not Allowed' }, allow: 'POST' });
  });
});

describe('JWT seed: /users (admin only)', () => {
  it('creates, lists, reads, updates and deletes users with the seed\'s shapes', async () => {
    const created = await send('POST', '/users/', { json: { username: 'user1', email: 'user1@example.com', password, role: 'user' }, headers: bearer(admin) });
    expect(pick(created)).toEqual({ status: 201, body: seedUser('user1', 'user1@example.com') });
    userId = created.body.id;
    const defaultRole = await send('POST', '/users', { json: { username: 'user2', email: 'user2@example.com', password }, headers: bearer(admin) });
    expect(pick(defaultRole)).toEqual({ status: 201, body: seedUser('user2', 'user2@example.com') });
    const dup = await send('POST', '/users/', { json: { username: 'user1', email: 'other@example.com', password }, headers: bearer(admin) });
    expect(pick(dup)).toEqual({ status: 400, body: { detail: 'User already exists' } });

    const listed = await eventually(async () => {
      const res = await send('GET', '/users/', { headers: bearer(admin) });
      return res.status === 200 && res.body.length === 3 ? res : undefined;
    });
    expect(listed.body).toEqual([seedUser('admin1', 'admin@example.com', 'admin'), seedUser('user1', 'user1@example.com'), seedUser('user2', 'user2@example.com')]);
    expect((await send('GET', '/users', { headers: bearer(admin) })).body).toEqual(listed.body);

    expect(pick(await send('GET', `/users/${userId}`, { headers: bearer(admin) }))).toEqual({ status: 200, body: { ...seedUser('user1', 'user1@example.com'), id: userId } });
    const updated = await send('PUT', `/users/${userId}`, { json: { email: 'user1.new@example.com' }, headers: bearer(admin) });
    expect(pick(updated)).toEqual({ status: 200, body: { id: userId, username: 'user1', email: 'user1.new@example.com', role: 'user' } });
    const unchanged = await send('PUT', `/users/${userId}`, { json: {}, headers: bearer(admin) });
    expect(pick(unchanged)).toEqual(pick(updated));
    const taken = await send('PUT', `/users/${userId}`, { json: { username: 'user2' }, headers: bearer(admin) });
    expect(pick(taken)).toEqual({ status: 400, body: { detail: 'User already exists' } });

    const user2 = defaultRole.body.id as string;
    expect(pick(await send('DELETE', `/users/${user2}`, { headers: bearer(admin) }))).toEqual({ status: 200, body: { message: 'User deleted successfully' } });
    const notFound = { status: 404, body: { detail: 'User not found' } };
    expect(pick(await send('DELETE', `/users/${user2}`, { headers: bearer(admin) }))).toEqual(notFound);
    expect(pick(await send('GET', `/users/${user2}`, { headers: bearer(admin) }))).toEqual(notFound);
    expect(pick(await send('PUT', `/users/${user2}`, { json: { email: 'x@example.com' }, headers: bearer(admin) }))).toEqual(notFound);
    expect(pick(await send('GET', '/users/not-an-id', { headers: bearer(admin) }))).toEqual(notFound);
  });

  it('refuses bad bodies with a clear 4xx', async () => {
    const badRole = await send('POST', '/users/', { json: { username: 'user3', email: 'user3@example.com', password, role: 'root' }, headers: bearer(admin) });
    expect(badRole.status).toBe(422);
    expect(badRole.body.detail[0].loc).toEqual(['body', 'role']);
    const missing = await send('POST', '/users/', { json: { username: 'user3' }, headers: bearer(admin) });
    expect(missing.status).toBe(422);
    expect(missing.body.detail.map((d: { loc: unknown[] }) => d.loc)).toEqual(expect.arrayContaining([['body', 'email'], ['body', 'password']]));
    const weak = await send('POST', '/users/', { json: { username: 'user3', email: 'user3@example.com', password: 'password123' }, headers: bearer(admin) });
    expect(weak.status).toBe(400);
    expect(weak.body).toEqual({ detail: expect.stringMatching(/common|password/i) });
    const badEmail = await send('PUT', `/users/${userId}`, { json: { email: 'not-an-email' }, headers: bearer(admin) });
    expect(badEmail.status).toBe(400);
    expect(badEmail.body).toEqual({ detail: expect.any(String) });
    const weakReset = await send('PUT', `/users/${userId}`, { json: { password: 'password123' }, headers: bearer(admin) });
    expect(pick(weakReset)).toEqual({ status: 400, body: { detail: expect.stringMatching(/common|password/i) } });
    const broken = await send('PUT', `/users/${userId}`, { raw: '[', headers: bearer(admin) });
    expect(broken.status).toBe(422);
  });

  it('sets a user\'s password from PUT: the old one stops working, the user\'s tokens are revoked', async () => {
    const created = await send('POST', '/users/', { json: { username: 'user5', email: 'user5@example.com', password }, headers: bearer(admin) });
    const id = created.body.id as string;
    const before = (await send('POST', '/auth/login', { form: { username: 'user5', password } })).body.access_token as string;
    const reset = await send('PUT', `/users/${id}`, { json: { password: 'a brand new passphrase', role: 'user' }, headers: bearer(admin) });
    expect(pick(reset)).toEqual({ status: 200, body: { id, username: 'user5', email: 'user5@example.com', role: 'user' } });
    expect((await send('POST', '/auth/login', { form: { username: 'user5', password } })).status).toBe(401);
    expect((await send('POST', '/auth/login', { form: { username: 'user5', password: 'a brand new passphrase' } })).status).toBe(200);
    await eventually(async () => ((await send('GET', '/users/', { headers: bearer(before) })).status === 401 ? true : undefined));
    expect(pick(await send('GET', '/users/', { headers: bearer(before) }))).toEqual({ status: 401, body: INVALID });
  });

  it('is admin-only: 200 for an admin, 403 for a user, 401 without or with a forged token', async () => {
    userToken = (await send('POST', '/auth/login', { form: { username: 'user1', password } })).body.access_token;
    const routes: [string, string, unknown?][] = [
      ['GET', '/users/'],
      ['POST', '/users/', { username: 'user4', email: 'user4@example.com', password }],
      ['GET', `/users/${userId}`],
      ['PUT', `/users/${userId}`, { email: 'user1.again@example.com' }],
      ['DELETE', `/users/${userId}`],
    ];
    for (const [method, path, json] of routes) {
      const opts = json === undefined ? {} : { json };
      expect({ method, path, ...pick(await send(method, path, { ...opts, headers: bearer(userToken) })) }).toEqual({ method, path, status: 403, body: FORBIDDEN });
      const anonymous = await send(method, path, opts);
      expect({ method, path, ...pick(anonymous), challenge: anonymous.headers.get('www-authenticate') })
        .toEqual({ method, path, status: 401, body: NOT_AUTHENTICATED, challenge: 'Bearer' });
      expect({ method, path, ...pick(await send(method, path, { ...opts, headers: bearer(`${admin.slice(0, -4)}AAAA`) })) })
        .toEqual({ method, path, status: 401, body: INVALID });
    }
    for (const [method, path, json] of routes) {
      const res = await send(method, path, { ...(json === undefined ? {} : { json }), headers: bearer(admin) });
      expect({ method, path, status: res.status }).toEqual({ method, path, status: method === 'POST' ? 201 : 200 });
    }
  });
});

describe('JWT seed: /auth/logout', () => {
  it('needs a token', async () => {
    expect(pick(await send('POST', '/auth/logout'))).toEqual({ status: 401, body: NOT_AUTHENTICATED });
    expect(pick(await send('POST', '/auth/logout', { headers: bearer('not.a.token') }))).toEqual({ status: 401, body: INVALID });
  });

  it('invalidates the token: the same token is refused afterwards, other sessions go on', async () => {
    const token = (await send('POST', '/auth/login', { json: { username: 'admin1', password } })).body.access_token as string;
    expect((await send('GET', '/users/', { headers: bearer(token) })).status).toBe(200);
    expect(pick(await send('POST', '/auth/logout', { headers: bearer(token) }))).toEqual({ status: 200, body: { message: 'Successfully logged out' } });
    // auth refuses the closed session at once; the gateway itself within about a second.
    expect(pick(await send('GET', '/users/', { headers: bearer(token) }))).toEqual({ status: 401, body: INVALID });
    await eventually(async () => (await send('POST', '/auth/logout', { headers: bearer(token) })).status === 401);
    expect(pick(await send('GET', `/users/${userId}`, { headers: bearer(token) }))).toEqual({ status: 401, body: INVALID });
    expect((await send('GET', '/users/', { headers: bearer(admin) })).status).toBe(200);
  });
});
