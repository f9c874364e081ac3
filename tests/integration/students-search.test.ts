import type { Db, MongoClient } from 'mongodb';
import { stampEvents, type EventEnvelope } from '@sms/shared/events';
import { connectMongo } from '@sms/shared/mongo';
import { studentDecider, type StudentCommand, type StudentState } from '../../services/students/src/domain/student.decide';
import type { PendingStudentEvent } from '../../services/students/src/domain/student.events';
import { ListStudentsQuery, SORTS } from '../../services/students/src/http/schemas';
import { candidates, postingChange, postingsCollection, postingWrites, writePostings } from '../../services/students/src/projections/student-postings';
import { plainSearch, searchStudents, type Page, type SearchLimits } from '../../services/students/src/projections/student-search';
import { purgeStudentsReadModel, studentsCollection, studentsProjection } from '../../services/students/src/projections/students';
import { testEndpoints, unique } from '../support/backbone';
import { seededRandom } from '../support/random';

// The search index against the real MongoDB server: whatever the history and however often or
// concurrently it is applied, a search answers exactly what the plain query on the rows answers.

let mongo: MongoClient;
let db: Db;
const orgA = unique('org-a');
const orgB = unique('org-b');

const random = seededRandom;
const rnd = random(20261130);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
const SYLLABLES = ['an', 'na', 'Li', 'wu', 'Mar', 'tin', 'ez', 'Jo', 'hn', 'son', 'ë', 'Ö', '😀', '.*', '(', ' ', '-', 'İ', 'ß', 'x'];
const randomName = () => Array.from({ length: 1 + Math.floor(rnd() * 5) }, () => pick(SYLLABLES)).join('').trim() || 'Solo';
const GRADES = ['1', '2', '3', 'G1', 'g1'];

/** A tiny command side: the decider's events for each student, stamped as the event store would. */
class History {
  readonly events = new Map<string, EventEnvelope[]>();
  private readonly states = new Map<string, { state: StudentState; version: number }>();

  constructor(private readonly org: string) {}

  run(id: number, command: StudentCommand): void {
    const stream = `${this.org}:${id}`;
    const { state, version } = this.states.get(stream) ?? { state: studentDecider.initialState, version: 0 };
    const pending = studentDecider.decide(command, state);
    const stamped = stampEvents('students', stream, version + 1, pending, { tenant: this.org, actor: 'test' });
    this.events.set(stream, [...(this.events.get(stream) ?? []), ...stamped]);
    this.states.set(stream, { state: pending.reduce<StudentState>((s, e) => studentDecider.evolve(s, e), state), version: version + pending.length });
  }

  active(): number[] {
    return [...this.states].filter(([, s]) => s.state.status === 'active').map(([stream]) => Number(stream.split(':')[1]));
  }
}

/** Like the projector: aggregates side by side, each one's events in order. */
async function project(histories: History[], parallel = 16): Promise<void> {
  const streams = histories.flatMap((h) => [...h.events.values()]);
  for (let i = 0; i < streams.length; i += parallel) {
    await Promise.all(streams.slice(i, i + parallel).map(async (events) => {
      for (const e of events) await studentsProjection.apply(e, db);
    }));
  }
}

function history(org: string): History {
  const h = new History(org);
  const at = new Date('2026-11-30T10:00:00.000Z');
  // Ids over many chunks (server-assigned ones are dense; clients may leave gaps).
  const ids = Array.from({ length: 260 }, (_, i) => (i < 200 ? i + 1 : 1000 + Math.floor(rnd() * 5200)));
  for (const id of new Set(ids)) {
    h.run(id, { kind: 'create', id, at, fields: { name: randomName(), age: 3 + Math.floor(rnd() * 20), roll_no: `R-${id}`, grade: pick(GRADES) } });
  }
  for (let step = 0; step < 160; step++) {
    const id = pick(h.active());
    const change = rnd();
    if (change < 0.35) h.run(id, { kind: 'update', at, changes: { name: randomName() } });
    else if (change < 0.5) h.run(id, { kind: 'update', at, changes: { grade: pick(GRADES), age: 3 + Math.floor(rnd() * 20) } });
    else if (change < 0.6) h.run(id, { kind: 'update', at, changes: { roll_no: rnd() < 0.5 ? `r-${id}` : `X-${id}` } });
    else if (change < 0.8) h.run(id, { kind: 'delete', at });
  }
  return h;
}

let a: History;
let b: History;

beforeAll(async () => {
  mongo = await connectMongo(testEndpoints().mongoUrl, 'students-search-test');
  db = mongo.db(unique('students_search').replace(/-/g, '_'));
  await studentsProjection.setup(db);
  a = history(orgA);
  b = history(orgB);
  await project([a, b]);
  // Redelivered, then applied by two writers at once (a rebuild beside the live projector): no change.
  await project([a, b]);
  await Promise.all([project([a]), project([a], 7), project([b])]);
});

afterAll(async () => {
  await db?.dropDatabase().catch(() => undefined);
  await mongo?.close();
});

const query = (q: Record<string, string>) => ListStudentsQuery.parse(q);

/** Every page of a search, by one engine, as the ids and cursors it answered. */
async function allPages(search: (q: ListStudentsQuery) => Promise<Page>, q: Record<string, string>): Promise<Array<{ ids: number[]; next: string | null }>> {
  const pages: Array<{ ids: number[]; next: string | null }> = [];
  let cursor: string | null = null;
  do {
    const page: Page = await search(query({ ...q, ...(cursor ? { cursor } : {}) }));
    pages.push({ ids: page.rows.map((r) => r.id), next: page.nextCursor });
    cursor = page.nextCursor;
  } while (cursor !== null && pages.length < 200);
  return pages;
}

const nameQueries = () => {
  const names = ['x', 'a', 'an', 'ANN', 'anna', 'li wu', '.*', '(', '😀', 'ë', 'ö', 'i̇', 'ss', 'zz', 'son j'];
  // Substrings of names that exist, of every length.
  for (let i = 0; i < 12; i++) {
    const name = randomName();
    const start = Math.floor(rnd() * name.length);
    const part = name.slice(start, start + 1 + Math.floor(rnd() * 6)).trim();
    if (part) names.push(part);
  }
  return names;
};

describe('searching the index', () => {
  it('answers every search as the plain query on the rows does, page by page, in every sort', async () => {
    const filters: Array<Record<string, string>> = [
      {},
      { grade: '1' },
      { grade: 'g1' },
      { roll_no: 'r-5' },
      { roll_no: 'X-7' },
      { min_age: '10', max_age: '12' },
      ...nameQueries().map((name) => ({ name })),
      { grade: '2', name: 'an' },
      { grade: 'G1', name: 'Mart', min_age: '8' },
      { name: 'x', max_age: '15' },
    ];
    let compared = 0;
    for (const filter of filters) {
      for (const sort of SORTS) {
        const q = { ...filter, sort, limit: Object.keys(filter).length === 0 ? '60' : '7' };
        const expected = await allPages((x) => plainSearch(db, orgA, x), q);
        const actual = await allPages((x) => searchStudents(db, orgA, x), q);
        expect([q, actual]).toEqual([q, expected]);
        compared += expected.length;
      }
    }
    expect(compared).toBeGreaterThan(300);
  });

  it('finds a renamed student under its new name only, and a deleted one not at all', async () => {
    const h = new History(unique('org-c'));
    const at = new Date();
    h.run(1, { kind: 'create', id: 1, at, fields: { name: 'Bob Stone', age: 9, roll_no: 'R-1', grade: '3' } });
    h.run(1, { kind: 'update', at, changes: { name: 'Rob Stone', roll_no: 'R-2', grade: '4' } });
    h.run(2, { kind: 'create', id: 2, at, fields: { name: 'Gone Soon', age: 9, roll_no: 'R-9', grade: '3' } });
    h.run(2, { kind: 'delete', at });
    await project([h]);
    const org = [...h.events.keys()][0]!.split(':')[0]!;
    const ids = async (q: Record<string, string>) => (await searchStudents(db, org, query(q))).rows.map((r) => r.id);
    expect(await ids({ name: 'rob' })).toEqual([1]);
    expect(await ids({ name: 'bob' })).toEqual([]);
    expect(await ids({ roll_no: 'r-1' })).toEqual([]);
    expect(await ids({ roll_no: 'r-2', grade: '4' })).toEqual([1]);
    expect(await ids({ name: 'soon' })).toEqual([]);
    expect(await ids({})).toEqual([1]);
  });

  it('never answers with another organization’s students', async () => {
    const rows = (await searchStudents(db, orgA, query({ limit: '100' }))).rows;
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.org === orgA)).toBe(true);
    expect((await searchStudents(db, unique('nobody'), query({}))).rows).toEqual([]);
  });

  it('leaves searches the postings cannot serve cheaply to the plain query, with the same answers', async () => {
    const thin: SearchLimits = { maxChunks: 2, maxSortedCandidates: 1_000_000, maxCheckedRows: 1_000_000 };
    const few: SearchLimits = { maxChunks: 1_000, maxSortedCandidates: 5, maxCheckedRows: 3 };
    const searches: Array<Record<string, string>> = [
      { grade: '1', sort: 'name' },
      { name: 'an', sort: '-age' },
      { sort: 'id' },
      { name: 'x', sort: 'created_at' },
      { name: 'x', min_age: '20', sort: '-id' },
    ];
    for (const q of searches) {
      const expected = await allPages((x) => plainSearch(db, orgA, x), { ...q, limit: '9' });
      expect(await allPages((x) => searchStudents(db, orgA, x, thin), { ...q, limit: '9' })).toEqual(expected);
      expect(await allPages((x) => searchStudents(db, orgA, x, few), { ...q, limit: '9' })).toEqual(expected);
    }
  });

  it('refuses a cursor of another sort or with a value of the wrong type', async () => {
    const first = await searchStudents(db, orgA, query({ sort: 'name', limit: '2' }));
    await expect(searchStudents(db, orgA, query({ sort: 'age', cursor: first.nextCursor! }))).rejects.toThrow(/cursor/);
    const forged = Buffer.from(JSON.stringify({ s: 'age', v: 'old', id: 1 })).toString('base64url');
    await expect(searchStudents(db, orgA, query({ sort: 'age', cursor: forged }))).rejects.toThrow(/cursor/);
  });
});

describe('the postings', () => {
  it('end in the same state whatever order their writes land in (last writer wins per term)', async () => {
    const h = new History(unique('org-d'));
    const at = new Date();
    h.run(3, { kind: 'create', id: 3, at, fields: { name: 'Bob', age: 9, roll_no: 'R-3', grade: '3' } });
    h.run(3, { kind: 'update', at, changes: { name: 'Rob', grade: '4' } });
    h.run(3, { kind: 'update', at, changes: { name: 'Bob', grade: '3' } });
    const [stream, events] = [...h.events][0]!;
    const org = stream.split(':')[0]!;
    // In order (the projector's promise per aggregate), then the writes of the rename to Rob again,
    // late (a redelivery, or a rebuild behind the live projector): they change nothing.
    for (const e of events) await studentsProjection.apply(e, db);
    const late = events[1]!;
    await writePostings(db, postingWrites(org, 3, postingChange(late as unknown as PendingStudentEvent, late.version, null)));
    const ids = async (q: Record<string, string>) => (await searchStudents(db, org, query(q))).rows.map((r) => r.id);
    expect(await ids({ name: 'bob', grade: '3' })).toEqual([3]);
    expect(await ids({ name: 'rob' })).toEqual([]);
    // The postings themselves, not only the checked rows: Rob's terms and grade 4 are gone.
    expect(await candidates(db, org, ['n:rob'], [0])).toEqual([]);
    expect(await candidates(db, org, ['g:4'], [0])).toEqual([]);
    expect(await candidates(db, org, ['n:bob', 'g:3'], [0])).toEqual([3]);
  });

  it('of a deleted organization go with its rows, and no other organization’s do', async () => {
    const before = await postingsCollection(db).countDocuments({ _id: { $regex: `^${orgB}\\|` } });
    expect(before).toBeGreaterThan(0);
    await purgeStudentsReadModel(db, orgB);
    await purgeStudentsReadModel(db, orgB);
    expect(await postingsCollection(db).countDocuments({ _id: { $regex: `^${orgB}\\|` } })).toBe(0);
    expect(await studentsCollection(db).countDocuments({ org: orgB })).toBe(0);
    expect((await searchStudents(db, orgB, query({}))).rows).toEqual([]);
    expect((await searchStudents(db, orgA, query({}))).rows.length).toBeGreaterThan(0);
  });

  it('are dropped with the rows when the read model is reset for a rebuild', async () => {
    await studentsProjection.reset(db);
    expect(await postingsCollection(db).estimatedDocumentCount()).toBe(0);
    expect((await searchStudents(db, orgA, query({}))).rows).toEqual([]);
  });
});
