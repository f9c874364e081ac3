import { bearer, client, type Client } from '../support/auth';
import { eventually } from '../support/backbone';
import { startPlatform, type Platform } from '../support/platform';

let platform: Platform;
let api: Client;
const password = 'correct horse battery staple';
let admin: string;
let user: string;

beforeAll(async () => {
  platform = await startPlatform();
  api = client(platform.gateway.url);
  await api.post('/api/v1/auth/admin-signup', { username: 'principal', email: 'principal@example.com', password });
  admin = (await api.post('/api/v1/auth/login', { username: 'principal', password })).body.accessToken;
  await api.post('/api/v1/auth/signup', { username: 'teacher', email: 'teacher@example.com', password });
  user = (await api.post('/api/v1/auth/login', { username: 'teacher', password })).body.accessToken;
});
afterAll(() => platform.stop());

describe('students through the gateway', () => {
  it('follows the RBAC matrix: admin writes, member reads, user cannot write, no token 401', async () => {
    const created = await api.post('/api/v1/students', { name: 'Lisa Simpson', age: 8, roll_no: 'R-1', grade: '2' }, bearer(admin));
    expect(created.status).toBe(201);
    const id = created.body.student?.id ?? created.body.id;
    expect((await api.post('/api/v1/students', { name: 'Bart Simpson', age: 10, roll_no: 'R-2', grade: '4' }, bearer(user))).status).toBe(403);
    expect((await api.post('/api/v1/students', { name: 'Bart Simpson', age: 10, roll_no: 'R-2', grade: '4' })).status).toBe(401);
    expect((await api.get(`/api/v1/students/${id}`, bearer(user))).status).toBe(200);
    const found = await eventually(async () => {
      const res = await api.get('/api/v1/students?name=lisa', bearer(user));
      return res.status === 200 && JSON.stringify(res.body).includes('Lisa Simpson') ? res : undefined;
    });
    expect(found.status).toBe(200);
    expect((await api.get('/api/v1/students')).status).toBe(401);
  });
});

describe('a known path with a method it does not take', () => {
  const someone = '00000000-0000-4000-8000-000000000000';
  const cases: Array<[string, string, 'students' | 'auth' | 'organizations', string]> = [
    ['PUT', '/api/v1/students', 'students', 'GET, HEAD, POST'],
    ['PATCH', '/api/v1/students', 'students', 'GET, HEAD, POST'],
    ['DELETE', '/api/v1/students/', 'students', 'GET, HEAD, POST'],
    ['POST', '/api/v1/students/1', 'students', 'DELETE, GET, HEAD, PATCH, PUT'],
    ['DELETE', '/api/v1/students/1/history', 'students', 'GET, HEAD'],
    ['PUT', '/api/v1/users', 'auth', 'GET, HEAD, POST'],
    ['POST', `/api/v1/users/${someone}`, 'auth', 'DELETE, GET, HEAD, PATCH'],
    ['DELETE', '/api/v1/organizations', 'organizations', 'GET, HEAD, POST'],
    ['PUT', `/api/v1/organizations/${someone}`, 'organizations', 'DELETE, GET, HEAD, PATCH'],
  ];

  it.each(cases)('%s %s is a 405 problem with the route\'s Allow, from the gateway (any role) and from %s alike', async (method, path, service, allow) => {
    const direct = client(platform[service].url);
    for (const [via, token] of [[api, admin], [api, user], [direct, admin]] as const) {
      const res = await via.send(method, path, { name: 'x' }, bearer(token));
      expect({ status: res.status, type: res.headers.get('content-type'), allow: res.headers.get('allow'), detail: res.body.detail })
        .toEqual({ status: 405, type: 'application/problem+json; charset=utf-8', allow, detail: `${method} is not allowed on ${path}` });
    }
  });

  it('answers OPTIONS with the path\'s Allow, at the gateway and at the service alike', async () => {
    for (const via of [api, client(platform.students.url)]) {
      const res = await via.send('OPTIONS', '/api/v1/students/1', undefined, bearer(admin));
      expect({ status: res.status, allow: res.headers.get('allow') }).toEqual({ status: 200, allow: 'DELETE, GET, HEAD, PATCH, PUT' });
    }
    expect((await api.send('OPTIONS', '/api/v1/students/1/nothing')).status).toBe(404);
  });
});

describe('CSV imports through the gateway', () => {
  const header = 'name,age,roll_no,grade\r\n';
  const rows = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `Pupil ${prefix} ${i},${10 + (i % 5)},${prefix}-${i},${1 + (i % 9)}`).join('\r\n');

  it('streams an upload over the ordinary body limit to students (admins only) and serves its job', async () => {
    const body = header + rows(4_000, 'GW'); // ~130 KB: beyond BODY_LIMIT (100kb), within IMPORT_BODY_LIMIT
    expect(Buffer.byteLength(body)).toBeGreaterThan(100 * 1024);
    const csvHeaders = { 'content-type': 'text/csv' };
    expect((await api.post('/api/v1/students/imports', body, { ...csvHeaders, ...bearer(user) })).status).toBe(403);
    expect((await api.post('/api/v1/students/imports', body, csvHeaders)).status).toBe(401);
    const accepted = await api.post('/api/v1/students/imports', body, { ...csvHeaders, ...bearer(admin) });
    expect(accepted.status).toBe(202);
    const location = accepted.headers.get('location')!;
    expect((await api.get(location, bearer(user))).status).toBe(403);
    const job = await api.get(location, bearer(admin));
    expect(job.status).toBe(200);
    expect(job.body.job.total).toBe(4_000);
  });

  it('lists the organization\'s jobs to its admins (not taken for a student id)', async () => {
    const accepted = await api.post('/api/v1/students/imports', header + rows(2, 'LS'), { 'content-type': 'text/csv', ...bearer(admin) });
    expect(accepted.status).toBe(202);
    expect((await api.get('/api/v1/students/imports', bearer(user))).status).toBe(403);
    expect((await api.get('/api/v1/students/imports')).status).toBe(401);
    const page = await api.get('/api/v1/students/imports?limit=1', bearer(admin));
    expect(page.status).toBe(200);
    expect(page.body.items.map((j: { id: string }) => j.id)).toEqual([accepted.body.job.id]);
    expect(page.body.nextCursor).toEqual(expect.any(String));
    const next = await api.get(`/api/v1/students/imports?limit=1&cursor=${page.body.nextCursor}`, bearer(admin));
    expect(next.status).toBe(200);
    expect(next.body.items).toHaveLength(1);
    expect(next.body.items[0].id).not.toBe(accepted.body.job.id);
    expect((await api.get('/api/v1/students/imports?cursor=eyJ4IjoxfQ', bearer(admin))).status).toBe(400);
  });

  it('refuses a declared upload beyond IMPORT_BODY_LIMIT at the gateway with 413', async () => {
    const res = await fetch(`${platform.gateway.url}/api/v1/students/imports`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv', ...bearer(admin) },
      body: header + 'x'.repeat(6 * 1024 * 1024),
    });
    expect(res.status).toBe(413);
  });
});
