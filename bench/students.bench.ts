// Students search at scale: the search shapes of the seeds (grade, partial name, roll number, grade +
// name; sort=id, limit=100 as the seed routes page) through the students service's HTTP API, beside the
// same query sent with the raw driver in the same run (the naive query a developer would write, which is
// what the service sent before the search index), on 1,000,000 students of which 100,000 are in the
// measured organization. Then creates through the service: throughput at BENCH_CONCURRENCY, and
// write-to-visible lag (201 → found by a search) at a fixed rate.
//   npm run bench:students                                   (own MongoDB on the bench profile, Kafka of the test stack)
//   BENCH_TOTAL=100000 BENCH_ORG=10000 npm run bench:students  (a quick run)
// Its MongoDB server (mongo-java-server, in memory, 12 GB heap) is the bench profile's, on its own port
// (27217), started for the run and stopped after it; MONGO_URL / KAFKA_BROKERS point it elsewhere.
// The students are loaded as read-model rows and postings built by the projection's own functions and
// bulk-inserted (a million events through Kafka would take the better part of an hour here).
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import jwt from 'jsonwebtoken';
import type { AnyBulkWriteOperation, Collection, Db, Document, Filter, Sort } from 'mongodb';
import { stampEvents, type EventEnvelope } from '@sms/shared/events';
import { createKafka } from '@sms/shared/kafka';
import { connectMongo } from '@sms/shared/mongo';
import { createLogger } from '@sms/shared/logging';
import { applyVersioned } from '@sms/shared/projection';
import { startService } from '@sms/shared/service';
import { readConfig } from '../services/students/src/config';
import type { PendingStudentEvent } from '../services/students/src/domain/student.events';
import { IdCounter } from '../services/students/src/infrastructure/id-counter';
import { postingChange, postingsCollection, postingWrites, type PostingDocument } from '../services/students/src/projections/student-postings';
import { rowKey } from '../services/students/src/projections/student-terms';
import { rowChanges, studentsCollection, studentsProjection, type StudentRow } from '../services/students/src/projections/students';
import { studentsService } from '../services/students/src/service';
import { profileFromEnv, stackDown, stackUp } from '../stack/stack';
import { seededRandom } from '../tests/support/random';

const TOTAL = Number(process.env.BENCH_TOTAL ?? 1_000_000);
const ORG_SIZE = Number(process.env.BENCH_ORG ?? 100_000);
const OTHER_ORGS = Number(process.env.BENCH_ORGS ?? 90);
const SEARCHES = Number(process.env.BENCH_SEARCHES ?? 40);
const CREATES = Number(process.env.BENCH_CREATES ?? 2_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const RATE = Number(process.env.BENCH_RATE ?? 40);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const APPLIES = Number(process.env.BENCH_APPLIES ?? 1_000);
/** Also load the measured organization into a collection of its own, to measure that design too. */
const PER_ORG = process.env.BENCH_PER_ORG !== '0';

const say = (line: string) => process.stderr.write(`bench: ${line}\n`);
const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.max(0, Math.ceil((p / 100) * xs.length) - 1)] ?? NaN;
const ms = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));

// ---------------------------------------------------------------------------------------------
// Data: reproducible students (names from several languages, so substrings repeat as in real schools)

const random = seededRandom;
const FIRST = (
  'James Mary John Patricia Robert Jennifer Michael Linda William Elizabeth David Barbara Richard Susan Joseph Jessica Thomas Sarah ' +
  'Charles Karen Daniel Nancy Matthew Lisa Anthony Betty Mark Sandra Paul Ashley Steven Emily Andrew Donna Joshua Michelle Kevin Carol ' +
  'Brian Amanda George Melissa Edward Deborah Ronald Stephanie Timothy Rebecca Jason Laura Jeffrey Sharon Ryan Cynthia Jacob Kathleen ' +
  'Maria José Ana Luis Carmen Juan Lucía Javier Martina Diego Sofía Mateo Valentina Martín Camila Wei Li Fang Jun Mei Hiroshi Yuki Haruto ' +
  'Sakura Min-jun Seo-yeon Priya Arjun Ananya Rohan Fatima Mohammed Aisha Omar Layla Yusuf Olga Ivan Natalia Dmitri Anastasia Zoë Noah ' +
  'Emma Lucas Léa Hugo Chloé Jonas Anna Lukas Mia Elias Björn Ingrid Søren Astrid Kwame Amara Chidi Zainab Tariq Nia Kofi Ayodele'
).split(' ');
const LAST = (
  'Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez Wilson Anderson Thomas Taylor ' +
  'Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott ' +
  'Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez Phillips Evans Turner Diaz ' +
  'Parker Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook Rogers Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed ' +
  'Kelly Howard Ramos Kim Cox Ward Richardson Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo ' +
  'Sanders Patel Myers Long Ross Foster Jimenez Wang Zhang Chen Liu Yang Huang Zhao Wu Zhou Xu Sun Tanaka Suzuki Takahashi Watanabe ' +
  'Ito Park Choi Jung Kang Singh Kumar Sharma Gupta Khan Ali Hassan Ahmed Ivanov Petrov Smirnov Kowalski Nowak Müller Schmidt ' +
  'Schneider Fischer Weber Meyer Wagner Rossi Russo Ferrari Esposito Bianchi Silva Santos Oliveira Souza Pereira Dubois Lefèvre ' +
  'Moreau Laurent Martins Okafor Mensah Adeyemi Nkosi Haddad Nasser Andersen Nielsen Hansen Johansson Lindqvist'
).split(' ');
const GRADES = Array.from({ length: 12 }, (_, i) => String(i + 1));

type Student = {
  id: number;
  name: string;
  age: number;
  roll_no: string;
  grade: string;
  created_at: string;
};

function student(r: () => number, id: number, at: number): Student {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  return { id, name: `${pick(FIRST)} ${pick(LAST)}`, age: 5 + Math.floor(r() * 14), roll_no: `R-${id}`, grade: pick(GRADES), created_at: new Date(at).toISOString() };
}

// ---------------------------------------------------------------------------------------------
// Loading: each student's events folded by the projection's own functions (rowChanges for the row,
// postingChange + postingWrites for the index), the result bulk-inserted one organization at a time.

/** Folds one posting write into the documents being built (the `$max` / `$addToSet` the projector sends). */
function fold(docs: Map<string, PostingDocument>, op: AnyBulkWriteOperation<PostingDocument>): void {
  if (!('updateOne' in op)) throw new Error('unexpected posting write');
  const { filter, update } = op.updateOne;
  const _id = (filter as { _id: string })._id;
  const doc = docs.get(_id) ?? { _id };
  docs.set(_id, doc);
  const max = (update as { $max?: Record<string, number> }).$max;
  const add = (update as { $addToSet?: { c: number } }).$addToSet;
  for (const [field, stamp] of Object.entries(max ?? {})) {
    const id = field.slice('m.'.length);
    doc.m ??= {};
    doc.m[id] = Math.max(doc.m[id] ?? 0, stamp);
  }
  if (add && !(doc.c ?? []).includes(add.c)) doc.c = [...(doc.c ?? []), add.c];
}

async function insertAll<T extends Document>(collection: Collection<T>, docs: Iterable<T>): Promise<void> {
  let batch: T[] = [];
  const flush = async () => {
    if (batch.length > 0) await collection.insertMany(batch as never, { ordered: false });
    batch = [];
  };
  for (const doc of docs) {
    batch.push(doc);
    if (batch.length === 1_000) await flush();
  }
  await flush();
}

/** One organization: `count` students with ids 1..count, 2% of them deleted afterwards. */
async function loadOrganization(db: Db, org: string, count: number, r: () => number, copyTo?: Collection<StudentRow>): Promise<void> {
  const rows: StudentRow[] = [];
  const postings = new Map<string, PostingDocument>();
  const start = Date.UTC(2026, 0, 1);
  for (let id = 1; id <= count; id++) {
    const s = student(r, id, start + id * 1_000);
    const events: PendingStudentEvent[] = [{ type: 'students.student.created.v1', data: s }];
    if (r() < 0.02) events.push({ type: 'students.student.deleted.v1', data: { deleted_at: new Date(start + id * 1_000 + 60_000).toISOString() } });
    let row = { _id: rowKey(org, id), org } as StudentRow;
    events.forEach((event, i) => {
      const version = i + 1;
      for (const op of postingWrites(org, id, postingChange(event, version, i === 0 ? null : row))) fold(postings, op);
      row = { ...row, ...rowChanges(event), org, version };
    });
    rows.push(row);
  }
  await insertAll(studentsCollection(db), rows);
  await insertAll(postingsCollection(db), postings.values());
  if (copyTo) await insertAll(copyTo, rows);
}

// ---------------------------------------------------------------------------------------------
// Tokens: a key of our own, served as a JWKS, for the service to verify as it verifies auth's.

function tokenIssuer(): { jwksUrl: Promise<string>; server: Server; token: (org: string) => string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const kid = `bench-${randomUUID().slice(0, 8)}`;
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' };
  const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
  const jwksUrl = new Promise<string>((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as { port: number }).port}/jwks.json`)));
  const token = (org: string) =>
    jwt.sign({ org, role: 'admin', sid: randomUUID() }, privateKey, {
      algorithm: 'ES256', keyid: kid, issuer: 'student-platform', audience: 'student-platform-api', subject: 'bench-admin', jwtid: randomUUID(), expiresIn: '2h',
    });
  return { jwksUrl, server, token };
}

// ---------------------------------------------------------------------------------------------
// Searches

interface Shape {
  label: string;
  query: string;
  filter: Filter<StudentRow>;
  sort: Sort;
}

function shapes(org: string, roll: string): Shape[] {
  const live = { org, deleted: false };
  const byId: Sort = { id: 1 };
  const byName: Sort = { nameLower: 1, id: 1 };
  return [
    { label: 'grade', query: 'grade=7&sort=id&limit=100', filter: { ...live, grade: '7' }, sort: byId },
    { label: 'partial name', query: 'name=MARTI&sort=id&limit=100', filter: { ...live, nameLower: { $regex: 'marti' } }, sort: byId },
    { label: 'roll number', query: `roll_no=${roll.toLowerCase()}&sort=id&limit=100`, filter: { ...live, rollLower: roll.toLowerCase() }, sort: byId },
    { label: 'grade + partial name', query: 'grade=7&name=MARTI&sort=id&limit=100', filter: { ...live, grade: '7', nameLower: { $regex: 'marti' } }, sort: byId },
    { label: 'partial name, 2 characters', query: 'name=Li&sort=id&limit=100', filter: { ...live, nameLower: { $regex: 'li' } }, sort: byId },
    { label: 'grade, sorted by name', query: 'grade=7&sort=name&limit=100', filter: { ...live, grade: '7' }, sort: byName },
    { label: 'everyone, sorted by name', query: 'sort=name&limit=100', filter: live, sort: byName },
  ];
}

interface Timings {
  service: number[];
  raw: number[];
  perOrg: number[];
  matches: number;
}

async function measureSearches(url: string, token: string, shapeList: Shape[], rows: Collection<StudentRow>, perOrg: Collection<StudentRow> | undefined): Promise<Map<string, Timings>> {
  const results = new Map<string, Timings>(shapeList.map((s) => [s.label, { service: [], raw: [], perOrg: [], matches: 0 }]));
  const viaService = async (s: Shape) => {
    const res = await fetch(`${url}/api/v1/students?${s.query}`, { headers: { authorization: `Bearer ${token}` } });
    if (res.status !== 200) throw new Error(`${s.query} answered ${res.status}: ${await res.text()}`);
    return ((await res.json()) as { items: Array<{ id: number }> }).items.map((i) => i.id);
  };
  const viaDriver = async (c: Collection<StudentRow>, s: Shape) => (await c.find(s.filter).sort(s.sort).limit(101).toArray()).slice(0, 100).map((r) => r.id);
  const timed = async <T>(f: () => Promise<T>): Promise<[number, T]> => {
    const t0 = performance.now();
    const value = await f();
    return [performance.now() - t0, value];
  };
  for (let round = -2; round < SEARCHES; round++) {
    for (const s of shapeList) {
      const t = results.get(s.label)!;
      // Interleaved, so a slow moment of the machine does not land on one path only.
      const [service, ids] = await timed(() => viaService(s));
      const [raw, expected] = await timed(() => viaDriver(rows, s));
      const [own] = perOrg ? await timed(() => viaDriver(perOrg, s)) : [NaN];
      if (JSON.stringify(ids) !== JSON.stringify(expected)) throw new Error(`${s.label}: the service and the driver disagree`);
      if (round < 0) continue; // warm-up
      t.service.push(service);
      t.raw.push(raw);
      t.perOrg.push(own);
      t.matches = ids.length;
    }
    if (round % 10 === 9) say(`searches: round ${round + 1}/${SEARCHES}`);
  }
  return results;
}

// ---------------------------------------------------------------------------------------------
// Creates

async function createStudent(url: string, token: string, body: Record<string, unknown>): Promise<number> {
  const res = await fetch(`${url}/api/v1/students`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (res.status !== 201) throw new Error(`create answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { student: { id: number } }).student.id;
}

async function visible(url: string, token: string, roll: string): Promise<boolean> {
  const res = await fetch(`${url}/api/v1/students?roll_no=${roll}`, { headers: { authorization: `Bearer ${token}` } });
  return ((await res.json()) as { items: unknown[] }).items.length === 1;
}

async function measureCreates(url: string, token: string, run: string, rows: Collection<StudentRow>, org: string): Promise<{ perSecond: number; allVisibleAfter: number; lags: number[] }> {
  // Students like the loaded ones (names drawn the same way): many share their n-grams, as in a school.
  const r = random(7);
  const body = (i: number, prefix: string) => {
    const { name, age, grade } = student(r, i, 0);
    return { name, age, grade, roll_no: `${prefix}${run}-${i}` };
  };
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < CREATES) await createStudent(url, token, body(next++, 'B'));
  }));
  const perSecond = CREATES / ((performance.now() - t0) / 1000);
  while (!(await visible(url, token, `B${run}-${CREATES - 1}`))) await sleep(20);
  const allVisibleAfter = (performance.now() - t0) / 1000;

  // Lag at a fixed offered rate: 201 → the student is found by a search. Searching every few ms for
  // each create would load the machine more than the creates do: the row is polled by `_id` (the
  // projector writes it after the postings), then a search must find the student (else it goes on).
  const lags: number[] = [];
  const inflight: Array<Promise<void>> = [];
  const started = performance.now();
  for (let i = 0; i < RATE * SECONDS; i++) {
    const wait = started + (i * 1000) / RATE - performance.now();
    if (wait > 1) await sleep(wait);
    inflight.push((async () => {
      const b = body(i, 'L');
      const id = await createStudent(url, token, b);
      const answered = performance.now();
      for (;;) {
        // findOne, not countDocuments: an aggregation, which mongo-java-server answers with a scan.
        if ((await rows.findOne({ _id: rowKey(org, id) }, { projection: { _id: 1 } })) && (await visible(url, token, b.roll_no))) break;
        await sleep(2);
      }
      lags.push(performance.now() - answered);
    })());
  }
  await Promise.all(inflight);
  return { perSecond, allVisibleAfter, lags };
}

/**
 * The projector's cost per create, in this process: the projection as it is (postings, then the row)
 * beside the row alone (what it wrote before the index), one event at a time, alternating blocks.
 */
async function measureApply(db: Db, run: string): Promise<{ withIndex: number[]; rowOnly: number[] }> {
  const r = random(11);
  const envelope = (org: string, id: number): EventEnvelope => ({
    ...stampEvents('students', rowKey(org, id), 1, [{ type: 'students.student.created.v1', data: student(r, id, Date.UTC(2026, 0, 1)) }], { tenant: org, actor: 'bench' })[0]!,
  });
  const withIndex: number[] = [];
  const rowOnly: number[] = [];
  for (let block = 0; block < APPLIES / 100; block++) {
    for (let i = 0; i < 100; i++) {
      const e = envelope(`bench-apply-${run}`, block * 100 + i + 1);
      const t0 = performance.now();
      await studentsProjection.apply(e, db);
      withIndex.push(performance.now() - t0);
    }
    for (let i = 0; i < 100; i++) {
      const e = envelope(`bench-rows-${run}`, block * 100 + i + 1);
      const t0 = performance.now();
      await applyVersioned(studentsCollection(db), e.subject, e.version, { $set: { ...rowChanges(e as unknown as PendingStudentEvent), org: e.tenant } });
      rowOnly.push(performance.now() - t0);
    }
  }
  return { withIndex, rowOnly };
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const bench = profileFromEnv('bench');
  const mongoUp = process.env.MONGO_URL ? { mongoUrl: process.env.MONGO_URL, started: [] as string[] } : await stackUp(bench, (l) => say(`[stack] ${l}`), ['mongo']);
  try {
    await benchmark(mongoUp.mongoUrl);
  } finally {
    // Its 12 GB heap is not left behind, even after a failure.
    if (mongoUp.started.length > 0 && process.env.BENCH_KEEP_MONGO !== '1') await stackDown(bench, mongoUp.started);
  }
}

async function benchmark(mongoUrl: string): Promise<void> {
  const kafkaBrokers = process.env.KAFKA_BROKERS ?? (await stackUp(profileFromEnv('test'), (l) => say(`[stack] ${l}`), ['kafka'])).kafkaBrokers;
  const run = randomUUID().slice(0, 8);
  const dbName = `bench_students_${run}`;
  const org = `bench-measured-${run}`;
  const issuer = tokenIssuer();
  const token = issuer.token(org);

  const service = await startService(studentsService(readConfig({
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'silent', PORT: '0', MONGO_URL: mongoUrl, MONGO_DB: dbName, KAFKA_BROKERS: kafkaBrokers,
    EVENTS_TOPIC: `${dbName}.students.events`, ORGANIZATIONS_EVENTS_TOPIC: `${dbName}.organizations.events`, AUTH_JWKS_URL: await issuer.jwksUrl,
  })));
  const mongo = await connectMongo(mongoUrl, 'bench-raw');
  const db = mongo.db(dbName);
  const rows = studentsCollection(db);
  const perOrg = PER_ORG ? db.collection<StudentRow>('students_of_one_organization') : undefined;

  const others = Math.max(0, TOTAL - ORG_SIZE);
  say(`loading ${TOTAL} students: ${ORG_SIZE} in the measured organization, ${others} over ${OTHER_ORGS} others`);
  const r = random(20261130);
  const t0 = performance.now();
  const perOther = Math.ceil(others / Math.max(1, OTHER_ORGS));
  let loaded = 0;
  for (let i = 0; i < OTHER_ORGS && loaded < others; i++) {
    // The measured organization in the middle: neither first nor last in any collection order.
    if (i === Math.floor(OTHER_ORGS / 2)) await loadOrganization(db, org, ORG_SIZE, r, perOrg);
    const count = Math.min(perOther, others - loaded);
    await loadOrganization(db, `bench-other-${run}-${i}`, count, r);
    loaded += count;
    if (i % 10 === 9) say(`  ${loaded + ORG_SIZE} loaded, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }
  if (OTHER_ORGS === 0 || others === 0) await loadOrganization(db, org, ORG_SIZE, r, perOrg);
  const loadSeconds = (performance.now() - t0) / 1000;
  const postingDocs = await postingsCollection(db).estimatedDocumentCount();
  say(`loaded ${await rows.estimatedDocumentCount()} rows and ${postingDocs} posting documents in ${loadSeconds.toFixed(0)} s`);

  const shapeList = shapes(org, `R-${Math.floor(ORG_SIZE * 0.54321)}`);
  say(`searching: ${SEARCHES} rounds of ${shapeList.length} shapes (service, raw driver${perOrg ? ', raw driver on a per-organization collection' : ''})`);
  const searches = await measureSearches(service.url, token, shapeList, rows, perOrg);
  const stats = (xs: number[]) => ({ p50: percentile(xs, 50), p95: percentile(xs, 95) });
  console.log(`\n${TOTAL.toLocaleString('en')} students, ${ORG_SIZE.toLocaleString('en')} in the measured organization; ${SEARCHES} searches per shape; ms\n`);
  console.log(`| search (limit=100) | matches in page | service p50 | service p95 | raw driver p50 | raw driver p95 | raw/service p50 |${perOrg ? ' per-org collection p50 | per-org p95 |' : ''}`);
  console.log(`|---|---|---|---|---|---|---|${perOrg ? '---|---|' : ''}`);
  for (const s of shapeList) {
    const t = searches.get(s.label)!;
    const sv = stats(t.service);
    const raw = stats(t.raw);
    const own = stats(t.perOrg);
    console.log(`| ${s.label} (\`${s.query}\`) | ${t.matches} | ${ms(sv.p50)} | ${ms(sv.p95)} | ${ms(raw.p50)} | ${ms(raw.p95)} | ${(raw.p50 / sv.p50).toFixed(1)} |${perOrg ? ` ${ms(own.p50)} | ${ms(own.p95)} |` : ''}`);
  }

  // Server-assigned ids continue above the loaded ones, as they would in a real organization.
  await new IdCounter(db).observe(org, ORG_SIZE);
  say(`creating: ${CREATES} at concurrency ${CONCURRENCY}, then ${RATE}/s for ${SECONDS} s`);
  const creates = await measureCreates(service.url, token, run, rows, org);
  console.log(`\ncreates (POST /api/v1/students, ${CREATES} at concurrency ${CONCURRENCY}): ${creates.perSecond.toFixed(0)}/s; the last one found by a search ${creates.allVisibleAfter.toFixed(1)} s after the first was sent`);
  console.log(`write-to-visible lag (201 → found by GET ?roll_no=, ${RATE}/s for ${SECONDS} s, ${creates.lags.length} creates): p50 ${ms(percentile(creates.lags, 50))} ms, p99 ${ms(percentile(creates.lags, 99))} ms`);

  say(`applying ${APPLIES} create events in process, with the index and the row alone`);
  const apply = await measureApply(db, run);
  const applyStats = (xs: number[]) => `p50 ${ms(percentile(xs, 50))} ms, p99 ${ms(percentile(xs, 99))} ms`;
  console.log(`projector, one create event (in process, ${APPLIES} each): postings + row ${applyStats(apply.withIndex)}; row alone (before the index) ${applyStats(apply.rowOnly)}; ratio p50 ${(percentile(apply.withIndex, 50) / percentile(apply.rowOnly, 50)).toFixed(1)}`);
  console.log(`load: ${TOTAL} rows and ${postingDocs} posting documents in ${loadSeconds.toFixed(0)} s`);

  await service.stop();
  const admin = createKafka(kafkaBrokers.split(','), 'bench-students', createLogger('bench', 'silent')).admin();
  await admin.connect();
  const topics = (await admin.listTopics()).filter((t) => t.startsWith(dbName));
  await admin.deleteTopics({ topics }).catch(() => undefined);
  await admin.disconnect();
  await db.dropDatabase();
  await mongo.close();
  issuer.server.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
