import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { RunningService } from '@sms/shared/service';
import type { Config as AuthConfig } from '../../services/auth/src/config';
import type { Config as StudentsConfig } from '../../services/students/src/config';
import { startAuth } from '../support/auth';
import { eventually, serviceTestEnv, unique } from '../support/backbone';
import { csv, finishedJob, getJob, uploadCsv, uploadStreamed, type Cell } from '../support/csv';
import { repoRoot } from '../support/script';
import { signUpStudentsUsers, startStudents, studentsClient } from '../support/students';

// The students CSV import against the real servers: uploads checked before anything is written,
// rows created in the background as ordinary creates, the same file never imported twice, a
// 10,000-row file with bad rows, and a job resumed after its process was killed.

const LIMIT = 1024 * 1024;
const HEADER = ['name', 'age', 'roll_no', 'grade', 'email', 'date_of_birth'];

let auth: RunningService<AuthConfig>;
let students: RunningService<StudentsConfig>;
let call: ReturnType<typeof studentsClient>;
let admin: string;
let member: string;
let otherAdmin: string;
let org: string;
const otherOrg = unique('org').replace(/-/g, '_');

const db = () => students.context.mongo!.db;
/** Students of the organization in the event store (one first commit per student). */
const storedStudents = (tenant = org) => db().collection('event_commits').countDocuments({ tenant, fromVersion: 1 });

beforeAll(async () => {
  auth = await startAuth();
  students = await startStudents({ AUTH_JWKS_URL: `${auth.url}/.well-known/jwks.json`, IMPORT_MAX_BYTES: String(LIMIT) });
  call = studentsClient(students.url);
  ({ admin, member, otherAdmin } = await signUpStudentsUsers(auth.url, otherOrg));
  org = JSON.parse(Buffer.from(admin.split('.')[1]!, 'base64url').toString()).org;
});

afterAll(async () => {
  await students?.context.mongo?.db.dropDatabase().catch(() => undefined);
  await auth?.context.mongo?.db.dropDatabase().catch(() => undefined);
  await students?.stop();
  await auth?.stop();
});

describe('an upload that cannot be imported', () => {
  const good = csv(HEADER, [['Ann Lee', 9, 'R-1', '3', undefined, undefined]]);

  it('is refused without a token (401), to a member (403), or when it is not CSV (415)', async () => {
    expect((await uploadCsv(students.url, undefined, good)).status).toBe(401);
    expect((await uploadCsv(students.url, member, good)).status).toBe(403);
    const json = await uploadCsv(students.url, admin, '{"name":"Ann"}', { 'content-type': 'application/json' });
    expect(json.status).toBe(415);
    expect(json.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(json.body.detail).toMatch(/text\/csv/);
    expect((await uploadCsv(students.url, admin, good, { 'content-type': 'multipart/form-data; boundary=x' })).status).toBe(415);
    expect((await uploadCsv(students.url, admin, good, { 'content-type': 'text/csv; charset=windows-1252' })).status).toBe(415);
  });

  it('is a 400 naming the problem: empty, header only, missing or unknown columns, not UTF-8, broken quoting', async () => {
    const refused = async (body: string | Buffer, detail: RegExp) => {
      const res = await uploadCsv(students.url, admin, body);
      expect(res.status).toBe(400);
      expect(res.body.detail).toMatch(detail);
      return res.body;
    };
    await refused('', /empty/);
    await refused('name,age,roll_no,grade\r\n', /no rows/);
    const columns = await refused('name,nickname,grade\r\nAnn,Annie,3\r\n', /missing required column\(s\): age, roll_no; unknown column\(s\): nickname/);
    expect(columns.errors).toEqual(expect.arrayContaining([{ path: 'nickname', message: 'unknown column' }, { path: 'age', message: 'required column missing' }]));
    await refused(Buffer.concat([Buffer.from('name,age,roll_no,grade\r\n'), Buffer.from('Ren\xe9e,9,R-1,3\r\n', 'latin1')]), /not UTF-8/);
    await refused('name,age,roll_no,grade\r\n"Ann,9,R-1,3\r\n', /not valid CSV/);
  });

  it('is a 413 beyond the limit, declared or streamed, without reading 10x the limit into memory', async () => {
    const declared = await uploadCsv(students.url, admin, Buffer.alloc(10 * LIMIT, 'a'));
    expect(declared.status).toBe(413);
    expect(declared.body.detail).toMatch(/larger than the import limit/);
    const streamed = await uploadStreamed(students.url, admin, 10 * LIMIT);
    expect(streamed.status).toBe(413);
    // The connection still serves the next request.
    expect((await call('GET', '/api/v1/students?limit=1', { token: admin })).status).toBe(200);
  });

  it('writes nothing at all', async () => {
    expect(await db().collection('student_imports').countDocuments({})).toBe(0);
    expect(await db().collection('student_import_sources').countDocuments({})).toBe(0);
    expect(await storedStudents()).toBe(0);
  });
});

describe('a small file with bad rows', () => {
  const rows: Cell[][] = [
    ['Ann Lee', 9, 'S-1', '3', 'ann@example.com', '2016-05-01'],
    ['Bob Stone', 'nine', 'S-2', '3', undefined, undefined],
    ['Cy "the kid" Young', 10, 'S-3', '4', undefined, undefined],
    ['Dee Dupe', 11, 's-1', '5', undefined, undefined],
    ['Eve Early', 2, 'S-5', '', 'not-an-email', undefined],
  ];
  const file = csv(HEADER, rows);
  let jobId: string;

  it('is accepted at once: 202, Location and the queued job', async () => {
    const res = await uploadCsv(students.url, admin, file);
    expect(res.status).toBe(202);
    jobId = res.body.job.id;
    expect(res.headers.get('location')).toBe(`/api/v1/students/imports/${jobId}`);
    expect(res.body.job).toMatchObject({ status: 'queued', total: 5, processed: 0, created: 0, failed: 0, bytes: Buffer.byteLength(file), columns: HEADER });
  });

  it('creates the good rows and reports every bad one with its row, line, column and reason', async () => {
    const job = await finishedJob(students.url, admin, jobId);
    expect(job).toMatchObject({ status: 'completed_with_errors', total: 5, processed: 5, created: 2, failed: 3, error_count: 5 });
    expect(job.errors).toEqual([
      { row: 2, line: 3, column: 'age', code: 'invalid_field', message: 'must be a whole number' },
      { row: 4, line: 5, column: 'roll_no', code: 'roll_no_taken', message: 'roll number s-1 is already taken in this organization' },
      { row: 5, line: 6, column: 'age', code: 'invalid_field', message: 'must be at least 3' },
      { row: 5, line: 6, column: 'grade', code: 'invalid_field', message: 'is required' },
      { row: 5, line: 6, column: 'email', code: 'invalid_field', message: expect.stringMatching(/email/i) },
    ]);
    expect(job.finished_at).toEqual(expect.any(String));
    expect(await storedStudents()).toBe(2);
    const listed = await eventually(async () => {
      const res = await call('GET', '/api/v1/students?sort=roll_no', { token: member });
      return res.body.items.length === 2 ? res.body.items : undefined;
    });
    expect(listed).toMatchObject([
      { name: 'Ann Lee', age: 9, roll_no: 'S-1', grade: '3', email: 'ann@example.com', date_of_birth: '2016-05-01' },
      { name: 'Cy "the kid" Young', age: 10, roll_no: 'S-3', grade: '4' },
    ]);
    // An ordinary create: its history names the admin and the import.
    const history = await call('GET', `/api/v1/students/${listed[0].id}/history`, { token: admin });
    expect(history.body.items[0]).toMatchObject({ type: 'students.student.created.v1', correlationId: `import:${jobId}` });
  });

  it('uploaded again is the same job (200), and nothing is created twice', async () => {
    const again = await uploadCsv(students.url, admin, file);
    expect(again.status).toBe(200);
    expect(again.headers.get('location')).toBe(`/api/v1/students/imports/${jobId}`);
    expect(again.body.job).toMatchObject({ id: jobId, status: 'completed_with_errors', created: 2 });
    expect(await storedStudents()).toBe(2);
    expect(await db().collection('student_imports').countDocuments({})).toBe(1);
  });

  it('is visible to admins of its organization only', async () => {
    expect((await getJob(students.url, member, jobId)).status).toBe(403);
    expect((await getJob(students.url, otherAdmin, jobId)).status).toBe(404);
    expect((await getJob(students.url, admin, 'not-a-job')).status).toBe(404);
    expect((await getJob(students.url, admin, '0'.repeat(32))).status).toBe(404);
  });

  it('is another job in another organization, with its students there', async () => {
    const res = await uploadCsv(students.url, otherAdmin, file);
    expect(res.status).toBe(202);
    expect(res.body.job.id).not.toBe(jobId);
    expect(await finishedJob(students.url, otherAdmin, res.body.job.id)).toMatchObject({ created: 2, failed: 3 });
    expect(await storedStudents(otherOrg)).toBe(2);
    expect(await storedStudents()).toBe(2);
  });
});

describe('the list of an organization\'s imports', () => {
  const list = (token: string | undefined, query = '') => call('GET', `/api/v1/students/imports${query}`, token ? { token } : {});
  const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  /** Jobs uploaded here, oldest first (after the small file's job of the describe above). */
  const uploaded: string[] = [];

  beforeAll(async () => {
    // One after the other, each finished before the next test: no background work outlives this block.
    for (const n of [1, 2, 3]) {
      const res = await uploadCsv(students.url, admin, csv(HEADER, [[`Listed ${n}`, 9, `L-${n}`, '2', undefined, undefined]]));
      expect(res.status).toBe(202);
      uploaded.push(res.body.job.id);
    }
    for (const id of uploaded) await finishedJob(students.url, admin, id);
  });

  it('is answered by the list route (not taken for a student id), admins only', async () => {
    expect((await list(undefined)).status).toBe(401);
    const refused = await list(member);
    expect(refused.status).toBe(403);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect((await list(admin)).status).toBe(200);
  });

  it('holds the organization\'s jobs only, newest first, each as GET /imports/:id answers it', async () => {
    const res = await list(admin);
    expect(res.body.nextCursor).toBeNull();
    const ids = res.body.items.map((j: { id: string }) => j.id);
    expect(ids).toHaveLength(uploaded.length + 1);
    expect(ids.slice(0, uploaded.length)).toEqual([...uploaded].reverse());
    const times = res.body.items.map((j: { created_at: string }) => Date.parse(j.created_at));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    for (const job of res.body.items) expect(job).toEqual((await getJob(students.url, admin, job.id)).body.job);

    const other = await list(otherAdmin);
    expect(other.status).toBe(200);
    expect(other.body.items).toHaveLength(1);
    expect(ids).not.toContain(other.body.items[0].id);
  });

  it('comes in pages of `limit`, the next one after `nextCursor`, until it is null', async () => {
    const all = (await list(admin)).body.items.map((j: { id: string }) => j.id);
    const seen: string[] = [];
    let query = '?limit=3';
    for (let pages = 0; ; pages++) {
      expect(pages).toBeLessThan(all.length);
      const res = await list(admin, query);
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(3);
      seen.push(...res.body.items.map((j: { id: string }) => j.id));
      if (res.body.nextCursor === null) break;
      expect(res.body.nextCursor).toEqual(expect.any(String));
      query = `?limit=3&cursor=${res.body.nextCursor}`;
    }
    expect(seen).toEqual(all);
    const first = await list(admin, '?limit=1');
    expect(first.body.items).toHaveLength(1);
    expect(first.body.nextCursor).toEqual(expect.any(String));
  });

  it('refuses a forged cursor, a bad limit or an unknown parameter with a 400', async () => {
    const refused = async (query: string, detail?: RegExp) => {
      const res = await list(admin, query);
      expect([query, res.status]).toEqual([query, 400]);
      if (detail) expect(res.body.detail).toMatch(detail);
    };
    await refused(`?cursor=${cursorOf({ t: Date.now(), id: 'not-a-job' })}`, /invalid cursor/);
    await refused(`?cursor=${cursorOf({ s: 'id', v: 1, id: 1 })}`, /invalid cursor/); // a cursor of the student list
    await refused(`?cursor=${cursorOf({ t: '2020-01-01', id: '0'.repeat(32) })}`, /invalid cursor/);
    await refused(`?cursor=${Buffer.from('not json').toString('base64url')}`, /invalid cursor/);
    await refused('?cursor=%24%7B%7D');
    await refused('?limit=0');
    await refused('?limit=101');
    await refused('?limit=ten');
    await refused('?sort=id');
    await refused('?limit=1&limit=2');
  });

  it('skips nothing and repeats nothing when jobs share a creation time', async () => {
    // Two of them at the same instant: the id breaks the tie, so the cursor still lands between them.
    const at = new Date();
    await db().collection('student_imports').updateMany({ _id: { $in: uploaded.slice(0, 2) } as never }, { $set: { createdAt: at } });
    const all = (await list(admin)).body.items.map((j: { id: string }) => j.id);
    const seen: string[] = [];
    let query = '?limit=1';
    for (;;) {
      const res = await list(admin, query);
      seen.push(...res.body.items.map((j: { id: string }) => j.id));
      if (res.body.nextCursor === null) break;
      query = `?limit=1&cursor=${res.body.nextCursor}`;
    }
    expect(seen).toEqual(all);
    expect(new Set(seen)).toEqual(new Set([...uploaded, ...all]));
  });
});

describe('a 10,000-row file with some bad rows', () => {
  const ROWS = 10_000;
  const header = ['id', ...HEADER];
  /** Row n (1-based) of the file, and what should go wrong with it, if anything. */
  const bad = new Map<number, { column?: string; code: string }>();
  const rows: Cell[][] = [];
  for (let n = 1; n <= ROWS; n++) {
    const row: Cell[] = [undefined, `Student ${n}`, 5 + (n % 13), `B-${n}`, String(1 + (n % 12)), n % 10 === 0 ? `s${n}@example.com` : undefined, undefined];
    if (n % 997 === 0) {
      row[2] = 200;
      bad.set(n, { column: 'age', code: 'invalid_field' });
    } else if (n % 1999 === 0) {
      row[3] = `B-${n - 1}`; // the roll number of the row above
      bad.set(n, { column: 'roll_no', code: 'roll_no_taken' });
    } else if (n % 2503 === 0) {
      row.pop();
      bad.set(n, { code: 'field_count' });
    } else if (n === 4000 || n === 4001) {
      row[0] = 900_000; // a chosen id, given twice
      if (n === 4001) bad.set(n, { column: 'id', code: 'student_exists' });
    } else if (n === 7777) {
      row[6] = '2010-02-30';
      bad.set(n, { column: 'date_of_birth', code: 'invalid_field' });
    }
    rows.push(row);
  }
  const file = csv(header, rows);

  it('is imported in the background while the service keeps answering, each bad row reported', async () => {
    const probe = await call('POST', '/api/v1/students', { token: admin, body: { name: 'Probe', age: 9, roll_no: 'P-1', grade: '1' } });
    expect(probe.status).toBe(201);
    const before = await storedStudents();
    const res = await uploadCsv(students.url, admin, file);
    expect(res.status).toBe(202);
    expect(res.body.job.total).toBe(ROWS);
    const id = res.body.job.id as string;

    // Requests are served while the job runs, and the job shows its progress.
    let servedWhileRunning = 0;
    let progressSeen = false;
    const job = await eventually(
      async () => {
        const { body } = await getJob(students.url, admin, id);
        if (!['queued', 'running'].includes(body.job.status)) return body.job;
        if (body.job.status === 'running' && body.job.processed > 0) progressSeen = true;
        const read = await call('GET', `/api/v1/students/${probe.body.student.id}`, { token: member });
        expect(read.status).toBe(200);
        if ((await getJob(students.url, admin, id)).body.job.status === 'running') servedWhileRunning++;
        return undefined;
      },
      240_000,
      'the 10,000-row import',
    );
    expect(servedWhileRunning).toBeGreaterThan(0);
    expect(progressSeen).toBe(true);

    expect(job).toMatchObject({ status: 'completed_with_errors', total: ROWS, processed: ROWS, created: ROWS - bad.size, failed: bad.size, error_count: bad.size });
    expect(job.errors.map((e: { row: number; column?: string; code: string }) => [e.row, e.column, e.code])).toEqual(
      [...bad].sort(([a], [b]) => a - b).map(([row, e]) => [row, e.column, e.code]),
    );
    expect(job.errors.every((e: { line: number; row: number }) => e.line === e.row + 1)).toBe(true);
    expect(await storedStudents()).toBe(before + ROWS - bad.size);
    const chosen = await call('GET', '/api/v1/students/900000', { token: admin });
    expect(chosen.body.student).toMatchObject({ name: 'Student 4000', roll_no: 'B-4000' });
    // The file is dropped once the job is done; the job stays.
    expect(await db().collection('student_import_sources').countDocuments({})).toBe(0);
  }, 300_000);
});

describe('a job whose process was killed mid-import', () => {
  const ROWS = 600;
  const file = csv(HEADER, Array.from({ length: ROWS }, (_, i) => [`Crash ${i + 1}`, 9, `C-${i + 1}`, '4', undefined, undefined]));
  const env = () =>
    serviceTestEnv('students', { AUTH_JWKS_URL: `${auth.url}/.well-known/jwks.json`, IMPORT_MAX_BYTES: String(LIMIT), LOG_LEVEL: 'info' });

  it('is resumed by the next process to start, and no row is created twice', async () => {
    // A real students process, killed with SIGKILL once it is half-way through a chunk.
    const childEnv = env();
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'services/students/src/main.ts'], {
      cwd: repoRoot,
      env: { ...process.env, ...childEnv },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = once(child, 'exit');
    let restarted: RunningService<StudentsConfig> | undefined;
    try {
      let url: string | undefined;
      for await (const line of createInterface({ input: child.stdout! })) {
        url = /"msg":"students listening"/.test(line) ? (JSON.parse(line).url as string) : undefined;
        if (url) break;
      }
      if (!url) throw new Error('the students process did not start');
      child.stdout!.resume();
      const res = await uploadCsv(url, admin, file);
      expect(res.status).toBe(202);
      const id = res.body.job.id as string;

      const crashDb = students.context.mongo!.client.db(childEnv.MONGO_DB);
      const jobs = crashDb.collection<{ _id: string; processed: number; created: number; leaseUntil: Date }>('student_imports');
      const commits = crashDb.collection('event_commits');
      // Killed when students exist that the job has not counted yet: a chunk is under way.
      await eventually(async () => {
        const job = await jobs.findOne({ _id: id });
        return job !== null && job.processed > 0 && (await commits.countDocuments({ tenant: org })) > job.created;
      }, 120_000, 'the child to be half-way through a chunk');
      child.kill('SIGKILL');
      await exited;
      const left = await jobs.findOne({ _id: id });
      expect(left).toMatchObject({ status: 'running' });
      expect(left!.processed).toBeLessThan(ROWS);

      // Its lease runs out (60 s; set here rather than waited for), then a starting process takes the job over.
      await jobs.updateOne({ _id: id }, { $set: { leaseUntil: new Date(0) } });
      restarted = await startStudents({ ...childEnv, AUTH_JWKS_URL: `${auth.url}/.well-known/jwks.json`, LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent' });
      const job = await finishedJob(restarted.url, admin, id, 120_000);
      expect(job).toMatchObject({ status: 'succeeded', total: ROWS, processed: ROWS, created: ROWS, failed: 0, errors: [] });
      expect(await commits.countDocuments({ tenant: org, fromVersion: 1 })).toBe(ROWS);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await restarted?.stop();
      await students.context.mongo!.client.db(childEnv.MONGO_DB).dropDatabase().catch(() => undefined);
    }
  }, 300_000);
});
