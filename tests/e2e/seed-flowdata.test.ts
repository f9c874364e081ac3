/**
 * The FlowData seed (shared/seeds/000) through the gateway: its routes, bodies, answers, error texts
 * and RBAC matrix, on the platform's /api/v1 services. The seed's sample passwords (`admin123`) are
 * refused by the password policy, so a strong one stands in for them.
 */
import { bearer, client, type Client } from '../support/auth';
import { eventually } from '../support/backbone';
import { startPlatform, type Platform } from '../support/platform';

let platform: Platform;
let api: Client;
const password = 'correct horse battery staple';
let admin: string;
let user: string;

/** PUT and DELETE, which the shared test client lacks. */
async function send(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${api.url}${path}`, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

const epoch = expect.any(Number);
const INVALID_TOKEN = { detail: 'Invalid or expired token' };
const ADMIN_REQUIRED = { detail: 'Access forbidden: Admin privileges required' };

beforeAll(async () => {
  platform = await startPlatform();
  api = client(platform.gateway.url);
});
afterAll(() => platform.stop());

describe('FlowData seed: authentication', () => {
  it('refuses the seed\'s weak sample password with a detail naming the reason', async () => {
    const res = await api.post('/admin-signup', { username: 'admin1', password: 'admin123', email: 'admin@test.com', role: 'admin' });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ detail: expect.stringMatching(/common|password/i) });
  });

  it('admin signup (first admin only) and admin login answer as the seed documents', async () => {
    const signup = await api.post('/admin-signup', { username: 'admin1', password, email: 'admin@test.com', role: 'admin' });
    expect(signup.status).toBe(200);
    expect(signup.body).toEqual({ message: 'Admin registered successfully', username: 'admin1' });

    const login = await api.post('/admin-login', { username: 'admin1', password });
    expect(login.status).toBe(200);
    expect(login.body).toEqual({
      message: 'Login successful',
      access_token: expect.any(String),
      token_type: 'bearer',
      admin: { username: 'admin1', email: 'admin@test.com', role: 'admin', created: epoch, updated: epoch },
    });
    expect(Math.abs(login.body.admin.created - Date.now() / 1000)).toBeLessThan(120);
    admin = login.body.access_token;

    // A second public admin signup is refused (the seed lets anyone in); an admin may add another.
    const second = await api.post('/admin-signup', { username: 'admin2', password, email: 'admin2@test.com', role: 'admin' });
    expect(second.status).toBe(403);
    expect(second.body).toEqual({ detail: expect.any(String) });
    const byAdmin = await api.post('/admin-signup', { username: 'admin2', password, email: 'admin2@test.com' }, bearer(admin));
    expect(byAdmin.status).toBe(200);
    expect(byAdmin.body).toEqual({ message: 'Admin registered successfully', username: 'admin2' });
    const again = await api.post('/admin-signup', { username: 'admin1', password, email: 'other@test.com' }, bearer(admin));
    expect(again.status).toBe(400);
    expect(again.body).toEqual({ detail: 'Admin already exists' });
  });

  it('user signup ignores the role in the body; user login answers as the seed documents', async () => {
    const signup = await api.post('/user-signup', { username: 'user1', password, email: 'user@test.com', role: 'admin' });
    expect(signup.status).toBe(200);
    expect(signup.body).toEqual({ message: 'User registered successfully', username: 'user1' });
    const dup = await api.post('/user-signup', { username: 'user1', password, email: 'user2@test.com', role: 'user' });
    expect(dup.status).toBe(400);
    expect(dup.body).toEqual({ detail: 'User already exists' });

    const login = await api.post('/user-login', { username: 'user1', password });
    expect(login.status).toBe(200);
    expect(login.body).toEqual({
      message: 'Login successful',
      access_token: expect.any(String),
      token_type: 'bearer',
      user: { username: 'user1', email: 'user@test.com', role: 'user', created: null, updated: null },
    });
    user = login.body.access_token;
  });

  it('answers 401 "Invalid credentials" alike for a wrong password, an unknown user and the other kind of account', async () => {
    const invalid = { detail: 'Invalid credentials' };
    for (const [path, body] of [
      ['/admin-login', { username: 'admin1', password: 'wrong password entirely' }],
      ['/admin-login', { username: 'nobody', password }],
      ['/admin-login', { username: 'user1', password }],
      ['/user-login', { username: 'user1', password: 'wrong password entirely' }],
      ['/user-login', { username: 'nobody', password }],
      ['/user-login', { username: 'admin1', password }],
    ] as const) {
      const res = await api.post(path, body);
      expect({ path, status: res.status, body: res.body }).toEqual({ path, status: 401, body: invalid });
    }
  });

  it('answers a malformed or incomplete body with a 4xx {detail}', async () => {
    const broken = await api.post('/admin-login', '{"username": "admin1",', { 'content-type': 'application/json' });
    expect(broken.status).toBe(422);
    expect(broken.body).toEqual({ detail: [expect.objectContaining({ type: 'json_invalid', loc: ['body'] })] });
    const missing = await api.post('/user-signup', { username: 'user9' });
    expect(missing.status).toBe(422);
    expect(missing.body.detail).toEqual(expect.arrayContaining([
      { type: 'missing', loc: ['body', 'password'], msg: 'Field required' },
      { type: 'missing', loc: ['body', 'email'], msg: 'Field required' },
    ]));
    const noBody = await api.post('/admin-login');
    expect(noBody.status).toBe(422);
    expect(noBody.body).toEqual({ detail: [{ type: 'missing', loc: ['body'], msg: 'Field required' }] });
    const wrongType = await api.post('/admin-add-student', { id: 9, name: 'X', age: 'old', roll_no: 9, grade: '9' }, bearer(admin));
    expect(wrongType.status).toBe(422);
    expect(wrongType.body.detail[0].loc).toEqual(['body', 'age']);
    const badEmail = await api.post('/user-signup', { username: 'user9', password, email: 'not-an-email' });
    expect(badEmail.status).toBe(400);
    expect(badEmail.body).toEqual({ detail: expect.any(String) });
    const latin1 = await api.post('/admin-login', JSON.stringify({ username: 'admin1', password }), { 'content-type': 'application/json; charset=latin1' });
    expect(latin1.status).toBe(415);
    expect(latin1.body).toEqual({ detail: expect.stringMatching(/charset/) });
    const utf16 = await api.post('/admin-login', Buffer.from(JSON.stringify({ username: 'admin1', password }), 'utf16le'), { 'content-type': 'application/json; charset=utf-16le' });
    expect(utf16.status).toBe(415);
    expect(utf16.body).toEqual({ detail: expect.stringMatching(/charset/) });
    const wrongMethod = await api.get('/admin-login');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.body).toEqual({ detail: 'Method Not Allowed' });
  });
});

describe('FlowData seed: students', () => {
  it('admin workflow: add, update, read, search, delete, with the seed\'s shapes and messages', async () => {
    const dashboard = await api.get('/admin-dashboard', bearer(admin));
    expect(dashboard.status).toBe(200);
    expect(dashboard.body).toEqual({ message: 'Welcome, admin1! This is your admin dashboard.' });

    const added = await api.post('/admin-add-student', { id: 1, name: 'Alice Johnson', age: 16, roll_no: 201, grade: '10' }, bearer(admin));
    expect(added.status).toBe(200);
    expect(added.body).toEqual({
      message: 'Student added successfully',
      student: { id: 1, name: 'Alice Johnson', age: 16, roll_no: 201, grade: '10', created_at: epoch, updated_at: epoch },
    });
    const dup = await api.post('/admin-add-student', { id: 1, name: 'Alice Again', age: 16, roll_no: 299, grade: '10' }, bearer(admin));
    expect(dup.status).toBe(400);
    expect(dup.body).toEqual({ detail: 'Student already exists' });

    const updated = await send('PUT', '/admin-update-student/1', { id: 1, name: 'Alice Updated', age: 17, roll_no: 201, grade: '11' }, bearer(admin));
    expect(updated.status).toBe(200);
    expect(updated.body).toEqual({
      message: 'Student updated successfully',
      student: { id: 1, name: 'Alice Updated', age: 17, roll_no: 201, grade: '11', created_at: added.body.student.created_at, updated_at: epoch },
    });
    expect(updated.body.student.updated_at).toBeGreaterThanOrEqual(added.body.student.created_at);

    const one = await api.get('/get-student/1', bearer(user));
    expect(one.status).toBe(200);
    expect(one.body).toEqual(updated.body.student);

    await api.post('/admin-add-student', { id: 2, name: 'Jane Smith', age: 15, roll_no: 102, grade: '9' }, bearer(admin));
    const all = await eventually(async () => {
      const res = await api.get('/get-all-students', bearer(user));
      return res.status === 200 && res.body.length === 2 && res.body[0].name === 'Alice Updated' ? res : undefined;
    });
    expect(all.body).toEqual([
      updated.body.student,
      { id: 2, name: 'Jane Smith', age: 15, roll_no: 102, grade: '9', created_at: epoch, updated_at: epoch },
    ]);

    const search = async (query: string) => (await api.get(`/students?${query}`, bearer(user))).body.map((s: { id: number }) => s.id);
    expect(await search('grade=11')).toEqual([1]);
    expect(await search('name=alice')).toEqual([1]);
    expect(await search('roll_no=201')).toEqual([1]);
    expect(await search('grade=11&name=alice')).toEqual([1]);
    expect(await search('grade=9&name=alice')).toEqual([]);
    expect(await search('')).toEqual([1, 2]);
    const badRoll = await api.get('/students?roll_no=abc', bearer(user));
    expect(badRoll.status).toBe(422);
    expect(badRoll.body.detail[0].loc).toEqual(['query', 'roll_no']);

    const deleted = await send('DELETE', '/admin-delete-student/1', undefined, bearer(admin));
    expect(deleted.status).toBe(200);
    expect(deleted.body).toEqual({ message: 'Student deleted successfully' });
    const notFound = { status: 404, body: { detail: 'Student not found' } };
    const pick = ({ status, body }: { status: number; body: unknown }) => ({ status, body });
    expect(pick(await send('DELETE', '/admin-delete-student/1', undefined, bearer(admin)))).toEqual(notFound);
    expect(pick(await api.get('/get-student/1', bearer(user)))).toEqual(notFound);
    expect(pick(await send('PUT', '/admin-update-student/999', { name: 'Nobody', age: 10, roll_no: 999, grade: '5' }, bearer(admin)))).toEqual(notFound);
    const badId = await api.get('/get-student/abc', bearer(user));
    expect(badId.status).toBe(422);
    expect(badId.body.detail[0].loc).toEqual(['path', 'student_id']);
  });

  it('follows the seed\'s RBAC matrix: admin routes 403 for a user and 401 without a token; reads need a token', async () => {
    const student = { id: 50, name: 'Bob', age: 15, roll_no: 202, grade: '9' };
    const adminRoutes: [string, string, unknown?][] = [
      ['GET', '/admin-dashboard'],
      ['POST', '/admin-add-student', student],
      ['PUT', '/admin-update-student/2', { ...student, id: 2 }],
      ['DELETE', '/admin-delete-student/2'],
    ];
    for (const [method, path, body] of adminRoutes) {
      const asUser = await send(method, path, body, bearer(user));
      expect({ method, path, status: asUser.status, body: asUser.body }).toEqual({ method, path, status: 403, body: ADMIN_REQUIRED });
      const anonymous = await send(method, path, body);
      expect({ method, path, status: anonymous.status, body: anonymous.body }).toEqual({ method, path, status: 401, body: INVALID_TOKEN });
      const forged = await send(method, path, body, bearer(`${admin.slice(0, -4)}AAAA`));
      expect({ method, path, status: forged.status }).toEqual({ method, path, status: 401 });
    }
    // ... and 200 for an admin, in an order where each one has something to act on.
    for (const [method, path, body] of [...adminRoutes.slice(0, 1), ...adminRoutes.slice(2), adminRoutes[1]!]) {
      const asAdmin = await send(method, path, body, bearer(admin));
      expect({ method, path, status: asAdmin.status }).toEqual({ method, path, status: 200 });
    }
    for (const path of ['/get-all-students', '/get-student/50', '/students?grade=9']) {
      expect({ path, status: (await api.get(path, bearer(admin))).status }).toEqual({ path, status: 200 });
      expect({ path, status: (await api.get(path, bearer(user))).status }).toEqual({ path, status: 200 });
      const anonymous = await api.get(path);
      expect({ path, status: anonymous.status, body: anonymous.body }).toEqual({ path, status: 401, body: INVALID_TOKEN });
    }
    // The public routes need no token (and a user's token changes nothing).
    expect((await api.post('/user-login', { username: 'user1', password })).status).toBe(200);
    expect((await api.post('/admin-login', { username: 'admin1', password }, bearer(user))).status).toBe(200);
  });

  it('types fields as the seed\'s Pydantic model: a number is no string (422), an integer roll_no answers as one, negative too', async () => {
    const student = { id: 60, name: 'Carl', age: 14, roll_no: 601, grade: '8' };
    for (const field of ['grade', 'name'] as const) {
      const res = await api.post('/admin-add-student', { ...student, [field]: 10 }, bearer(admin));
      expect({ field, status: res.status, body: res.body }).toEqual({ field, status: 422, body: { detail: [{ type: 'string_type', loc: ['body', field], msg: 'Input should be a valid string' }] } });
      const put = await send('PUT', '/admin-update-student/60', { ...student, [field]: 10 }, bearer(admin));
      expect({ field, status: put.status }).toEqual({ field, status: 422 });
    }
    expect((await api.get('/get-student/60', bearer(admin))).status).toBe(404);
    // roll_no is an int in the seed: a numeric string is one (lax), and -5 stays the integer -5.
    const added = await api.post('/admin-add-student', { ...student, roll_no: -5 }, bearer(admin));
    expect(added.status).toBe(200);
    expect(added.body.student).toMatchObject({ roll_no: -5, grade: '8' });
    const updated = await send('PUT', '/admin-update-student/60', { ...student, roll_no: '-6' }, bearer(admin));
    expect(updated.body.student).toMatchObject({ roll_no: -6 });
    expect((await api.get('/get-student/60', bearer(user))).body).toMatchObject({ roll_no: -6 });
  });

  it('refuses a token once its session is logged out, as /api/v1 does', async () => {
    const token = (await api.post('/user-login', { username: 'user1', password })).body.access_token;
    expect((await api.get('/get-all-students', bearer(token))).status).toBe(200);
    expect((await api.post('/api/v1/auth/logout', undefined, bearer(token))).status).toBe(204);
    const refused = await eventually(async () => {
      const res = await api.get('/get-all-students', bearer(token));
      return res.status === 401 ? res : undefined;
    });
    expect(refused.body).toEqual(INVALID_TOKEN);
  });
});
