import type { RunningService } from '@sms/shared/service';
import type { Config as AuthConfig } from '../../services/auth/src/config';
import type { Config as StudentsConfig } from '../../services/students/src/config';
import { studentsCollection } from '../../services/students/src/projections/students';
import { startAuth } from '../support/auth';
import { eventually, unique } from '../support/backbone';
import { signUpStudentsUsers, startStudents, studentsClient, type Answer } from '../support/students';

let auth: RunningService<AuthConfig>;
let students: RunningService<StudentsConfig>;
let call: ReturnType<typeof studentsClient>;
let admin: string;
let member: string;
let otherAdmin: string;
const otherOrg = unique('org').replace(/-/g, '_');

const john = { name: 'John Doe', age: 16, roll_no: 'R-101', grade: '10' };

beforeAll(async () => {
  auth = await startAuth();
  students = await startStudents({ AUTH_JWKS_URL: `${auth.url}/.well-known/jwks.json` });
  call = studentsClient(students.url);
  ({ admin, member, otherAdmin } = await signUpStudentsUsers(auth.url, otherOrg));
});

afterAll(async () => {
  await students?.context.mongo?.db.dropDatabase().catch(() => undefined);
  await auth?.context.mongo?.db.dropDatabase().catch(() => undefined);
  await students?.stop();
  await auth?.stop();
});

const create = (body: unknown, token = admin, headers: Record<string, string> = {}) => call('POST', '/api/v1/students', { token, body, headers });
const list = async (query: string, token = admin) => call('GET', `/api/v1/students?${query}`, { token });
const idsOf = (answer: Answer) => (answer.body.items as Array<{ id: number }>).map((s) => s.id).sort((a, b) => a - b);
/** Waits until the read model shows `count` students for `query` (it is eventually consistent). */
const listed = (query: string, count: number, token = admin) =>
  eventually(async () => {
    const answer = await list(query, token);
    return answer.status === 200 && answer.body.items.length === count ? answer : undefined;
  }, 20_000, `${count} students for ${query}`);

describe('create, read, update, delete', () => {
  it('an admin creates a student (201, ETag, Location) that members can read', async () => {
    const created = await create({ id: 1, ...john });
    expect(created.status).toBe(201);
    expect(created.headers.get('etag')).toBe('"1"');
    expect(created.headers.get('location')).toBe('/api/v1/students/1');
    expect(created.body.student).toMatchObject({ id: 1, ...john, version: 1 });
    expect(created.body.student.created_at).toBe(created.body.student.updated_at);

    const read = await call('GET', '/api/v1/students/1', { token: member });
    expect(read.status).toBe(200);
    expect(read.headers.get('etag')).toBe('"1"');
    expect(read.body.student).toMatchObject(john);
  });

  it('assigns an id when the client gives none, above the ids clients chose', async () => {
    const created = await create({ name: 'Jane Smith', age: 15, roll_no: 'R-102', grade: '9', email: 'jane@example.com', date_of_birth: '2011-03-04' });
    expect(created.status).toBe(201);
    expect(created.body.student.id).toBeGreaterThan(1);
    expect(created.body.student).toMatchObject({ email: 'jane@example.com', date_of_birth: '2011-03-04' });
  });

  it('refuses an id that exists (409) and a roll number taken in the organization (409)', async () => {
    expect((await create({ id: 1, ...john, roll_no: 'R-999' })).status).toBe(409);
    const taken = await create({ id: 50, ...john, roll_no: 'r-101' });
    expect(taken.status).toBe(409);
    expect(taken.body.code).toBe('roll_no_taken');
    expect((await call('GET', '/api/v1/students/50', { token: admin })).status).toBe(404);
  });

  it('replaces with PUT and patches with PATCH, checking If-Match', async () => {
    const put = await call('PUT', '/api/v1/students/1', { token: admin, body: { id: 1, ...john, name: 'John Updated', age: 17, grade: '11' }, headers: { 'if-match': '"1"' } });
    expect(put.status).toBe(200);
    expect(put.headers.get('etag')).toBe('"2"');
    expect(put.body.student).toMatchObject({ name: 'John Updated', age: 17, grade: '11', version: 2 });

    const stale = await call('PATCH', '/api/v1/students/1', { token: admin, body: { age: 18 }, headers: { 'if-match': '"1"' } });
    expect(stale.status).toBe(412);
    const patched = await call('PATCH', '/api/v1/students/1', { token: admin, body: { roll_no: 'R-201', email: 'john@example.com' }, headers: { 'if-match': '"2"' } });
    expect(patched.status).toBe(200);
    expect(patched.body.student).toMatchObject({ name: 'John Updated', roll_no: 'R-201', email: 'john@example.com', version: 3 });
    // A list holds when any of its ETags is the current version; a weak ETag never matches (RFC 9110).
    expect((await call('PATCH', '/api/v1/students/1', { token: admin, body: { age: 18 }, headers: { 'if-match': '"1", "2"' } })).status).toBe(412);
    expect((await call('PATCH', '/api/v1/students/1', { token: admin, body: { age: 18 }, headers: { 'if-match': 'W/"3"' } })).status).toBe(412);
    expect((await call('PATCH', '/api/v1/students/1', { token: admin, body: { age: 19 }, headers: { 'if-match': '"2", "3"' } })).body.student).toMatchObject({ age: 19, version: 4 });
    // `If-Match: *`: any current version (RFC 9110), and the student must exist.
    expect((await call('PATCH', '/api/v1/students/1', { token: admin, body: { age: 18 }, headers: { 'if-match': '*' } })).body.student).toMatchObject({ age: 18, version: 5 });
    expect((await call('PATCH', '/api/v1/students/999', { token: admin, body: { age: 18 }, headers: { 'if-match': '*' } })).status).toBe(404);
    // The old roll number is free again.
    expect((await create({ id: 3, ...john, name: 'Another John', roll_no: 'R-101' })).status).toBe(201);
    // PUT clears what it leaves out.
    const replaced = await call('PUT', '/api/v1/students/1', { token: admin, body: { name: 'John Updated', age: 17, roll_no: 'R-201', grade: '11' } });
    expect(replaced.status).toBe(200);
    expect(replaced.body.student.email).toBeUndefined();
  });

  it('deletes (204), then the student is gone (404) and its roll number free', async () => {
    const made = await create({ id: 7, name: 'Short Stay', age: 12, roll_no: 'R-7', grade: '6' });
    expect(made.status).toBe(201);
    expect((await call('DELETE', '/api/v1/students/7', { token: admin })).status).toBe(204);
    expect((await call('GET', '/api/v1/students/7', { token: admin })).status).toBe(404);
    expect((await call('DELETE', '/api/v1/students/7', { token: admin })).status).toBe(404);
    expect((await call('PATCH', '/api/v1/students/7', { token: admin, body: { age: 13 } })).status).toBe(404);
    expect((await create({ id: 8, name: 'Next One', age: 12, roll_no: 'R-7', grade: '6' })).status).toBe(201);
    await eventually(async () => (await list('roll_no=R-7')).body.items.length === 1 && (await list('roll_no=R-7')).body.items[0].id === 8);
  });

  it('shows an admin the history of a student: its events in order, with actor and time', async () => {
    const history = await call('GET', '/api/v1/students/7/history', { token: admin });
    expect(history.status).toBe(200);
    expect(history.body.items.map((e: { type: string; version: number }) => [e.version, e.type])).toEqual([
      [1, 'students.student.created.v1'],
      [2, 'students.student.deleted.v1'],
    ]);
    expect(history.body.items[0]).toMatchObject({ actor: expect.any(String), time: expect.stringMatching(/^\d{4}-/) });
    expect((await call('GET', '/api/v1/students/7/history', { token: member })).status).toBe(403);
    expect((await call('GET', '/api/v1/students/7/history', { token: otherAdmin })).status).toBe(404);
  });
});

describe('access', () => {
  it('members read but never write (403); no token is a 401', async () => {
    expect((await call('GET', '/api/v1/students/1', { token: member })).status).toBe(200);
    expect((await list('', member)).status).toBe(200);
    expect((await create({ id: 90, ...john, roll_no: 'M-1' }, member)).status).toBe(403);
    expect((await call('PATCH', '/api/v1/students/1', { token: member, body: { age: 30 } })).status).toBe(403);
    expect((await call('PUT', '/api/v1/students/1', { token: member, body: john })).status).toBe(403);
    expect((await call('DELETE', '/api/v1/students/1', { token: member })).status).toBe(403);
    expect((await call('GET', '/api/v1/students/1')).status).toBe(401);
    expect((await call('GET', '/api/v1/students')).status).toBe(401);
    expect((await call('POST', '/api/v1/students', { body: john })).status).toBe(401);
    expect((await call('GET', '/api/v1/students/1', { headers: { authorization: 'Bearer not.a.token' } })).status).toBe(401);
    expect((await call('GET', '/api/v1/students/90', { token: admin })).status).toBe(404);
  });

  it('another organization sees none of it: 404 on read, update and delete, absent from lists', async () => {
    expect((await call('GET', '/api/v1/students/1', { token: otherAdmin })).status).toBe(404);
    expect((await call('PATCH', '/api/v1/students/1', { token: otherAdmin, body: { age: 40 } })).status).toBe(404);
    expect((await call('PUT', '/api/v1/students/1', { token: otherAdmin, body: john })).status).toBe(404);
    expect((await call('DELETE', '/api/v1/students/1', { token: otherAdmin })).status).toBe(404);
    // The same id and roll number are free in the other organization, and its lists hold only its own.
    const theirs = await create({ id: 1, ...john, name: 'Rival John' }, otherAdmin);
    expect(theirs.status).toBe(201);
    const mine = await call('GET', '/api/v1/students/1', { token: admin });
    expect(mine.body.student.name).toBe('John Updated');
    const theirList = await listed('name=john', 1, otherAdmin);
    expect(theirList.body.items[0].name).toBe('Rival John');
    expect((await list('limit=100')).body.items.some((s: { name: string }) => s.name === 'Rival John')).toBe(false);
  });
});

describe('concurrency and idempotency', () => {
  it('two PATCHes on the same version: one 200, the other 409 or 412', async () => {
    expect((await create({ id: 20, name: 'Race Car', age: 14, roll_no: 'R-20', grade: '8' })).status).toBe(201);
    const [a, b] = await Promise.all([
      call('PATCH', '/api/v1/students/20', { token: admin, body: { age: 15 }, headers: { 'if-match': '"1"' } }),
      call('PATCH', '/api/v1/students/20', { token: admin, body: { grade: '9' }, headers: { 'if-match': '"1"' } }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 412]);
    const [c, d] = await Promise.all([
      call('PATCH', '/api/v1/students/20', { token: admin, body: { age: 16 } }),
      call('PATCH', '/api/v1/students/20', { token: admin, body: { grade: '10' } }),
    ]);
    expect([c.status, d.status]).toContain(200);
    for (const s of [c.status, d.status]) expect([200, 409]).toContain(s);
    const final = await call('GET', '/api/v1/students/20', { token: admin });
    expect(final.body.student.version).toBe(1 + [a, b, c, d].filter((r) => r.status === 200).length);
  });

  it('the same Idempotency-Key and body answer the same 201 and create nothing twice', async () => {
    const body = { name: 'Retry Ruth', age: 11, roll_no: 'R-300', grade: '5' };
    const key = { 'idempotency-key': 'create-ruth-1' };
    const first = await create(body, admin, key);
    const second = await create(body, admin, key);
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body).toEqual(first.body);
    expect(second.headers.get('location')).toBe(first.headers.get('location'));
    expect((await create({ ...body, age: 12 }, admin, key)).status).toBe(409);
    await listed('roll_no=R-300', 1);
    // Without the key, a second create is a conflict on the roll number, not a duplicate.
    expect((await create(body)).status).toBe(409);
  });
});

describe('search', () => {
  beforeAll(async () => {
    for (const [i, s] of [
      { name: 'Alice Johnson', age: 15, grade: 'G10' },
      { name: 'Bob Johnsen', age: 16, grade: 'G10' },
      { name: 'Carol King', age: 17, grade: 'G11' },
      { name: 'd.*Literal', age: 18, grade: 'G12' },
    ].entries()) {
      expect((await create({ id: 100 + i, roll_no: `S-${i}`, ...s })).status).toBe(201);
    }
    // The read model is eventual: wait until it holds every write made so far, whatever the partition.
    const rows = studentsCollection(students.context.mongo!.db);
    for (const id of [1, 3, 100, 101, 102, 103]) {
      const { version } = (await call('GET', `/api/v1/students/${id}`, { token: admin })).body.student;
      await eventually(async () => (await rows.findOne({ _id: `default:${id}` }))?.version === version, 20_000, `student ${id} projected`);
    }
  });

  it('filters by grade, partial case-insensitive name, exact roll number, combinations and age range', async () => {
    expect(idsOf(await list('grade=G10&limit=100'))).toEqual([100, 101]);
    expect(idsOf(await list('grade=g10'))).toEqual([]);
    expect(idsOf(await list('name=JOHN'))).toEqual(expect.arrayContaining([100, 101, 1, 3]));
    expect(idsOf(await list('name=johns'))).toEqual([100, 101]);
    expect(idsOf(await list('roll_no=s-2'))).toEqual([102]);
    expect(idsOf(await list('grade=G10&name=alice'))).toEqual([100]);
    expect(idsOf(await list('grade=G10&min_age=16'))).toEqual([101]);
    expect(idsOf(await list('min_age=17&max_age=18&name=l'))).toEqual([102, 103]);
  });

  it('takes regex metacharacters literally', async () => {
    expect(idsOf(await list('name=.*'))).toEqual([103]);
    expect(idsOf(await list(`name=${encodeURIComponent('(')}`))).toEqual([]);
  });

  it('sorts and pages with a cursor', async () => {
    const first = await list('name=o&min_age=15&max_age=17&sort=-name&limit=2');
    expect(first.body.items.map((s: { name: string }) => s.name)).toEqual(['John Updated', 'Carol King']);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await list(`name=o&min_age=15&max_age=17&sort=-name&limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body.items.map((s: { name: string }) => s.name)).toEqual(['Bob Johnsen', 'Another John']);
    const third = await list(`name=o&min_age=15&max_age=17&sort=-name&limit=2&cursor=${second.body.nextCursor}`);
    expect(third.body.items.map((s: { name: string }) => s.name)).toEqual(['Alice Johnson']);
    expect(third.body.nextCursor).toBeNull();
    expect((await list(`name=o&sort=age&cursor=${first.body.nextCursor}`)).status).toBe(400);
  });
});

describe('bad input', () => {
  it('answers 400 with a clear message and writes nothing', async () => {
    const before = await studentsCollection(students.context.mongo!.db).countDocuments();
    const bad = [
      { id: 60, ...john, roll_no: 'B-1', age: 'abc' },
      { id: 61, ...john, roll_no: 'B-2', age: -4 },
      { id: 62, ...john, roll_no: 'B-3', nickname: 'JD' },
      { id: 63, ...john, roll_no: 'B-4', name: 'bad\u0000name' },
      { id: -1, ...john, roll_no: 'B-5' },
      { id: 64, name: 'No Grade', age: 10, roll_no: 'B-6' },
      { id: 65, ...john, roll_no: 'B 7 with spaces' },
      { id: 66, ...john, roll_no: 'B-8', grade: 10 },
      { id: 67, ...john, roll_no: 'B-9', name: 'ab\ud800cd' },
      { id: 68, ...john, roll_no: 'B-10', name: 'evil\u202Eman' },
    ];
    for (const body of bad) {
      const answer = await create(body);
      expect(answer.status).toBe(400);
      expect(answer.headers.get('content-type')).toMatch(/application\/problem\+json/);
    }
    expect((await call('PATCH', '/api/v1/students/1', { token: admin, body: { age: 'abc' } })).status).toBe(400);
    expect((await call('PATCH', '/api/v1/students/1', { token: admin, body: {} })).status).toBe(400);
    expect((await call('PATCH', '/api/v1/students/1', { token: admin, body: { age: 20 }, headers: { 'if-match': 'soon' } })).status).toBe(400);
    expect((await call('PUT', '/api/v1/students/1', { token: admin, body: { ...john, id: 2 } })).status).toBe(400);
    for (const query of ['limit=1000', 'limit=0', 'name[$ne]=x', 'name=a&name=b', 'min_age=abc', 'min_age=20&max_age=10', 'sort=password', 'cursor=abc']) {
      expect([query, (await list(query)).status]).toEqual([query, 400]);
    }
    // Forged cursors: well-formed base64url, but not a keyset this API made. Each a 400, never an empty page.
    const forged = (json: string) => Buffer.from(json).toString('base64url');
    for (const [sort, json] of [
      ['id', '{"s":"id","v":1,"id":1e400}'], ['id', '{"s":"id","v":1,"id":1.5}'], ['id', '{"s":"id","v":1,"id":-4}'],
      ['name', '{"s":"name","v":{"$gt":""},"id":1}'], ['name', '{"s":"name","v":7,"id":1}'], ['id', '"just a string"'], ['id', 'null'],
    ]) {
      const answer = await list(`sort=${sort}&cursor=${forged(json!)}`);
      expect([json, answer.status, answer.body.detail]).toEqual([json, 400, 'invalid cursor']);
    }
    for (const id of ['abc', '1.5', '0', '-3', '99999999999999999999']) {
      const answer = await call('GET', `/api/v1/students/${id}`, { token: admin });
      expect([id, answer.status]).toEqual([id, 404]);
    }
    for (const id of [60, 61, 62, 63, 64, 65, 66]) expect((await call('GET', `/api/v1/students/${id}`, { token: admin })).status).toBe(404);
    expect(await studentsCollection(students.context.mongo!.db).countDocuments()).toBe(before);
    expect((await call('GET', '/api/v1/students/1', { token: admin })).body.student.age).toBe(17);
  });
});
