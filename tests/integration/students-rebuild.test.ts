import { join } from 'node:path';
import type { RunningService } from '@sms/shared/service';
import type { Config as AuthConfig } from '../../services/auth/src/config';
import type { Config as StudentsConfig } from '../../services/students/src/config';
import { studentsCollection } from '../../services/students/src/projections/students';
import { client, startAuth } from '../support/auth';
import { eventually, testEndpoints } from '../support/backbone';
import { repoRoot, runScript, type ScriptRun } from '../support/script';
import { startStudents, studentsClient } from '../support/students';

// `npm run students:rebuild` as an operator runs it: a child process on the database and topic of a
// running students service; the read model afterwards is the one before.
const script = join(repoRoot, 'services', 'students', 'src', 'scripts', 'rebuild.ts');
const password = 'correct horse battery staple';
const COUNT = 40;

let auth: RunningService<AuthConfig>;
let students: RunningService<StudentsConfig>;

beforeAll(async () => {
  auth = await startAuth();
  students = await startStudents({ AUTH_JWKS_URL: `${auth.url}/.well-known/jwks.json` });
});

afterAll(async () => {
  await students?.context.mongo?.db.dropDatabase().catch(() => undefined);
  await auth?.context.mongo?.db.dropDatabase().catch(() => undefined);
  await students?.stop();
  await auth?.stop();
});

function rebuild(env: Record<string, string>): Promise<ScriptRun> {
  return runScript(script, [], { LOG_LEVEL: 'warn', ...env });
}

it('rebuilds the students read model from the topic into the same read model, with a progress bar', async () => {
  const api = client(auth.url);
  expect((await api.post('/api/v1/auth/admin-signup', { username: 'principal', email: 'principal@example.com', password })).status).toBe(201);
  const token = (await api.post('/api/v1/auth/login', { username: 'principal', password })).body.accessToken as string;
  const call = studentsClient(students.url);

  for (let i = 1; i <= COUNT; i++) {
    const made = await call('POST', '/api/v1/students', { token, body: { id: i, name: `Student ${i}`, age: 10 + (i % 8), roll_no: `R-${i}`, grade: String(1 + (i % 12)) } });
    expect(made.status).toBe(201);
  }
  for (let i = 1; i <= 10; i++) {
    expect((await call('PATCH', `/api/v1/students/${i}`, { token, body: { grade: '12', email: `s${i}@example.com` } })).status).toBe(200);
  }
  for (let i = 11; i <= 15; i++) expect((await call('DELETE', `/api/v1/students/${i}`, { token })).status).toBe(204);
  const events = COUNT + 10 + 5;

  const rows = studentsCollection(students.context.mongo!.db);
  // The read model has caught up: every stream at its last version.
  const before = await eventually(async () => {
    const all = await rows.find({}).sort({ _id: 1 }).toArray();
    const versions = all.reduce((sum, r) => sum + r.version, 0);
    return all.length === COUNT && versions === events ? all : undefined;
  }, 30_000, 'the read model to catch up');
  expect(before.filter((r) => r.deleted)).toHaveLength(5);

  const { kafkaBrokers, mongoUrl } = testEndpoints();
  const run = await rebuild({
    MONGO_URL: mongoUrl,
    KAFKA_BROKERS: kafkaBrokers.join(','),
    MONGO_DB: students.context.config.MONGO_DB,
    EVENTS_TOPIC: students.context.config.EVENTS_TOPIC,
  });
  expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
  expect(run.stderr).toMatch(new RegExp(`\\] 100%  ${events}/${events} events  \\d+ events/s`));
  expect(run.stdout).toMatch(new RegExp(`${events} events replayed, ${COUNT} students`));

  const after = await rows.find({}).sort({ _id: 1 }).toArray();
  expect(after).toEqual(before);
  // The service answers from the rebuilt read model.
  const listed = await call('GET', '/api/v1/students?grade=12&limit=100', { token });
  expect(listed.body.items).toHaveLength(10 + before.filter((r) => !r.deleted && r.grade === '12' && r.id > 10).length);
});
