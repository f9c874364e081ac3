import type { Db, Filter, Sort as MongoSort } from 'mongodb';
import { z } from 'zod';
import { decodeCursor, encodeCursor } from '@sms/shared/http';
import { escapeRegex } from '@sms/shared/mongo';
import type { ListStudentsQuery, Sort } from '../http/schemas';
import { candidates, chunksOf } from './student-postings';
import { ALL, CHUNK_IDS, chunkOf, compareStrings, gradeTerm, nameQueryTerms, rollTerm, rowKey, searchable, wellFormed } from './student-terms';
import { studentsCollection, type StudentRow } from './students';

const SORT_FIELDS = { id: 'id', name: 'nameLower', age: 'age', roll_no: 'rollLower', created_at: 'created_at' } as const;
type SortKey = (typeof SORT_FIELDS)[keyof typeof SORT_FIELDS];
type Cursor = { s: Sort; v: string | number; id: number };
export interface Page {
  rows: StudentRow[];
  nextCursor: string | null;
}

export interface SearchLimits {
  /** Ids spread thinner than this many chunks (clients choose ids): postings would cost more than the plain query. */
  maxChunks: number;
  /** A search sorted by another key than the id reads all its candidate rows; beyond this many, the plain query does better. */
  maxSortedCandidates: number;
  /**
   * Rows a walk in id order may check without filling its page before it leaves the search to the
   * plain query: a filter the postings cannot narrow (an age range, a 1-character name) that few rows pass.
   */
  maxCheckedRows: number;
}
export const SEARCH_LIMITS: SearchLimits = { maxChunks: 4_096, maxSortedCandidates: 10_000, maxCheckedRows: 5_000 };
/** Rows per `find` by `_id`: mongo-java-server checks each row against the whole `$in` list, so long lists cost n². */
const ROWS_PER_FIND = 100;
/** Chunks read first when walking in id order; later batches are sized from what the first ones held. */
const FIRST_CHUNKS = 8;
/** Chunks per batch at most (times the terms: the posting documents read in one go). */
const MAX_BATCH_KEYS = 2_000;

const sortKeyOf = (sort: Sort): SortKey => SORT_FIELDS[sort.replace('-', '') as keyof typeof SORT_FIELDS];

/** A cursor of this sort: its last row's sort value (a number for id and age, else a string) and id. */
const cursorOf = (sort: Sort) => {
  const key = sortKeyOf(sort);
  const value = key === 'id' || key === 'age' ? z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER) : z.string().max(1_000);
  return z.object({ s: z.literal(sort), v: value, id: z.number().int().positive().max(Number.MAX_SAFE_INTEGER) }).strict();
};
const decodeCursorOf = (raw: string, sort: Sort): Cursor => decodeCursor(raw, cursorOf(sort), 'use the nextCursor of the previous page, with the same sort');

/** MongoDB's order between two values of a sort key (numbers before strings, strings by code point). */
function compareValues(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a === b ? 0 : a < b ? -1 : 1;
  if (typeof a === 'string' && typeof b === 'string') return compareStrings(a, b);
  return (typeof a === 'number' ? 0 : 1) - (typeof b === 'number' ? 0 : 1);
}

/** The search as posting terms (all must hold) and the exact test every returned row passes. */
interface Plan {
  terms: string[];
  /** The query's own semantics, on a row: what the plain query's filter says. */
  matches(row: StudentRow): boolean;
}

function planOf(org: string, query: ListStudentsQuery): Plan {
  const grade = query.grade === undefined ? undefined : wellFormed(query.grade);
  const roll = query.roll_no?.toLowerCase();
  const name = query.name === undefined ? undefined : searchable(query.name);
  const terms = [
    ...(grade !== undefined ? [gradeTerm(grade)] : []),
    ...(roll !== undefined ? [rollTerm(roll)] : []),
    ...(name !== undefined ? nameQueryTerms(name) : []),
  ];
  const { min_age: min, max_age: max } = query;
  return {
    terms: terms.length > 0 ? terms : [ALL],
    matches: (r) =>
      r.org === org &&
      r.deleted === false &&
      (grade === undefined || r.grade === grade) &&
      (roll === undefined || r.rollLower === roll) &&
      (name === undefined || r.nameLower.includes(name)) &&
      (min === undefined || r.age >= min) &&
      (max === undefined || r.age <= max),
  };
}

/**
 * A page of one organization's students, keyset-paginated on (sort key, id).
 *
 * Served from the search index: the organization's chunk directory, then the postings of the query's
 * terms chunk by chunk (every read an exact `_id`), then the candidate rows by `_id`, each checked
 * against the query itself. Sorted by id, it walks the chunks in order and stops once the page is
 * full; sorted otherwise, it sorts all candidates, or leaves it to the plain indexed query when there
 * are more than `maxSortedCandidates`. See the README, "Read model and search".
 */
export async function searchStudents(db: Db, org: string, query: ListStudentsQuery, limits: SearchLimits = SEARCH_LIMITS): Promise<Page> {
  const cursor = query.cursor === undefined ? undefined : decodeCursorOf(query.cursor, query.sort);
  const plan = planOf(org, query);
  const chunks = await chunksOf(db, org);
  if (chunks.length > limits.maxChunks) return plainSearch(db, org, query);
  if (sortKeyOf(query.sort) === 'id') return (await pageInIdOrder(db, org, query, plan, chunks, cursor, limits.maxCheckedRows)) ?? plainSearch(db, org, query);
  return (await sortedCandidates(db, org, query, plan, chunks, cursor, limits.maxSortedCandidates)) ?? plainSearch(db, org, query);
}

/** What `Plan.matches` and the sorting read of a row: the rest of it is fetched for the page only. */
const CHECKED_FIELDS = { id: 1, org: 1, deleted: 1, grade: 1, rollLower: 1, nameLower: 1, age: 1, created_at: 1 } as const;

async function rowsById(db: Db, org: string, ids: readonly number[], fields?: typeof CHECKED_FIELDS): Promise<Map<number, StudentRow>> {
  const rows = new Map<number, StudentRow>();
  const finds: Array<Promise<StudentRow[]>> = [];
  for (let i = 0; i < ids.length; i += ROWS_PER_FIND) {
    // `_id` alone: any other field in the filter would keep mongo-java-server off its `_id` index.
    const filter = { _id: { $in: ids.slice(i, i + ROWS_PER_FIND).map((id) => rowKey(org, id)) } };
    finds.push(studentsCollection(db).find(filter, fields ? { projection: fields } : {}).toArray());
  }
  for (const found of await Promise.all(finds)) for (const row of found) rows.set(row.id, row);
  return rows;
}

function pageOf(rows: StudentRow[], query: ListStudentsQuery): Page {
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  const key = sortKeyOf(query.sort);
  return { rows: page, nextCursor: rows.length > query.limit && last ? encodeCursor({ s: query.sort, v: last[key], id: last.id }) : null };
}

/**
 * Sorted by id: chunk after chunk in id order, until the page (and one more row) is found. Undefined
 * once more than `maxChecked` rows were checked without filling it.
 */
async function pageInIdOrder(
  db: Db,
  org: string,
  query: ListStudentsQuery,
  plan: Plan,
  chunks: number[],
  cursor: Cursor | undefined,
  maxChecked: number,
): Promise<Page | undefined> {
  const descending = query.sort.startsWith('-');
  const after = (id: number) => cursor === undefined || (descending ? id < cursor.id : id > cursor.id);
  let order = descending ? [...chunks].reverse() : chunks;
  if (cursor !== undefined) order = order.filter((c) => (descending ? c <= chunkOf(cursor.id) : c >= chunkOf(cursor.id)));
  const want = query.limit + 1;
  const maxBatch = Math.max(1, Math.floor(MAX_BATCH_KEYS / plan.terms.length));
  // A roll number is (nearly) unique: its postings are tiny, read them all at once.
  let batch = plan.terms.some((t) => t.startsWith('r:')) ? maxBatch : FIRST_CHUNKS;
  const rows: StudentRow[] = [];
  let walked = 0;
  let checked = 0;
  while (walked < order.length && rows.length < want) {
    const slice = order.slice(walked, walked + batch);
    walked += slice.length;
    const ids = (await candidates(db, org, plan.terms, slice)).filter(after);
    if (descending) ids.reverse();
    for (let i = 0; i < ids.length && rows.length < want; ) {
      if (checked > maxChecked) return undefined;
      const some = ids.slice(i, i + Math.max(want - rows.length, 32));
      i += some.length;
      checked += some.length;
      const found = await rowsById(db, org, some);
      for (const id of some) {
        const row = found.get(id);
        if (row && plan.matches(row) && rows.length < want) rows.push(row);
      }
    }
    // Size the next batch from the rows per chunk seen so far (half again as many, for luck).
    const perChunk = rows.length / walked;
    batch = perChunk > 0 ? Math.ceil(((want - rows.length) / perChunk) * 1.5) : batch * 8;
    batch = Math.min(Math.max(batch, 1), maxBatch);
  }
  return pageOf(rows, query);
}

/**
 * Sorted by another key: every candidate row, sorted here as MongoDB would. Undefined when there are
 * more candidates than `maxCandidates` (counted as the postings come in, so a broad search gives
 * up after its first batch).
 */
async function sortedCandidates(
  db: Db,
  org: string,
  query: ListStudentsQuery,
  plan: Plan,
  chunks: number[],
  cursor: Cursor | undefined,
  maxCandidates: number,
): Promise<Page | undefined> {
  const step = Math.max(1, Math.min(Math.ceil(maxCandidates / CHUNK_IDS), Math.floor(MAX_BATCH_KEYS / plan.terms.length)));
  const ids: number[] = [];
  for (let i = 0; i < chunks.length; i += step) {
    ids.push(...(await candidates(db, org, plan.terms, chunks.slice(i, i + step))));
    if (ids.length > maxCandidates) return undefined;
  }
  const key = sortKeyOf(query.sort);
  const direction = query.sort.startsWith('-') ? -1 : 1;
  const compare = (a: StudentRow, b: StudentRow) => direction * (compareValues(a[key], b[key]) || compareValues(a.id, b.id));
  let checked = [...(await rowsById(db, org, ids, CHECKED_FIELDS)).values()].filter(plan.matches);
  if (cursor !== undefined) {
    checked = checked.filter((r) => {
      const order = direction * compareValues(r[key], cursor.v);
      return order > 0 || (order === 0 && direction * compareValues(r.id, cursor.id) > 0);
    });
  }
  // The page and its cursor as checked; then its whole rows (one deleted in between is left out).
  const { rows: page, nextCursor } = pageOf(checked.sort(compare).slice(0, query.limit + 1), query);
  const full = await rowsById(db, org, page.map((r) => r.id));
  return { rows: page.flatMap((r) => (full.has(r.id) && plan.matches(full.get(r.id)!) ? [full.get(r.id)!] : [])), nextCursor };
}

/**
 * The plain query on the rows, led by the organization and the tombstone flag: MongoDB serves it from
 * the read model's indexes; mongo-java-server scans the collection.
 */
export async function plainSearch(db: Db, org: string, query: ListStudentsQuery): Promise<Page> {
  const cursor = query.cursor === undefined ? undefined : decodeCursorOf(query.cursor, query.sort);
  const and: Array<Filter<StudentRow>> = [{ org, deleted: false }];
  if (query.grade !== undefined) and.push({ grade: query.grade });
  if (query.roll_no !== undefined) and.push({ rollLower: query.roll_no.toLowerCase() });
  if (query.name !== undefined) and.push({ nameLower: { $regex: escapeRegex(query.name.toLowerCase()) } });
  if (query.min_age !== undefined) and.push({ age: { $gte: query.min_age } });
  if (query.max_age !== undefined) and.push({ age: { $lte: query.max_age } });

  const descending = query.sort.startsWith('-');
  const key = sortKeyOf(query.sort);
  const op = descending ? '$lt' : '$gt';
  if (cursor !== undefined) {
    and.push(key === 'id' ? { id: { [op]: cursor.id } } : ({ $or: [{ [key]: { [op]: cursor.v } }, { [key]: cursor.v, id: { [op]: cursor.id } }] } as Filter<StudentRow>));
  }
  const direction = descending ? -1 : 1;
  const sort: MongoSort = key === 'id' ? { id: direction } : { [key]: direction, id: direction };
  const filter: Filter<StudentRow> = and.length === 1 ? and[0]! : { $and: and };
  return pageOf(await studentsCollection(db).find(filter).sort(sort).limit(query.limit + 1).toArray(), query);
}
