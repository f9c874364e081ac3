import type { AnyBulkWriteOperation, Collection, Db } from 'mongodb';
import { MongoBulkWriteError } from 'mongodb';
import { escapeRegex } from '@sms/shared/mongo';
import type { PendingStudentEvent } from '../domain/student.events';
import {
  absent,
  ALL,
  chunkOf,
  directoryKey,
  gradeTerm,
  isPresent,
  nameTerms,
  postingKey,
  present,
  rollTerm,
  termsOf,
  type IndexedFields,
} from './student-terms';

/**
 * The students search index: posting documents `<org>|<term>|<chunk>` → `{m: {<student id>: stamp}}`
 * (see student-terms.ts), and one chunk directory per organization `<org>|chunks` → `{c: [chunk, ...]}`.
 * Every read and write is by exact `_id`, which every MongoDB server answers from its `_id` index.
 */
export const STUDENT_POSTINGS = 'student_postings';

export interface PostingDocument {
  _id: string;
  /** Posting: student id → stamp. */
  m?: Record<string, number>;
  /** Directory: the chunks the organization has students in. */
  c?: number[];
}

export const postingsCollection = (db: Db): Collection<PostingDocument> => db.collection<PostingDocument>(STUDENT_POSTINGS);

/** What one event does to the index: terms the student has from `version` on, terms it lost then. */
export interface PostingChange {
  version: number;
  present: string[];
  absent: string[];
  /** A new student: its chunk joins the organization's directory. */
  created: boolean;
}

const minus = (a: Set<string>, b: Set<string>) => [...a].filter((t) => !b.has(t));

/**
 * The index change of an event. Created and updated events carry all it needs (an update has the
 * previous values of what it changed); a deletion takes the terms of the row it deletes (`before`).
 */
export function postingChange(event: PendingStudentEvent, version: number, before: IndexedFields | null): PostingChange {
  switch (event.type) {
    case 'students.student.created.v1':
      return { version, present: [...termsOf(event.data)], absent: [], created: true };
    case 'students.student.updated.v1': {
      const { changed, previous } = event.data;
      const gained = new Set<string>();
      const lost = new Set<string>();
      if (changed.name !== undefined) {
        const now = nameTerms(changed.name);
        for (const t of now) gained.add(t);
        if (typeof previous.name === 'string') for (const t of minus(nameTerms(previous.name), now)) lost.add(t);
      }
      for (const [next, prev, term] of [
        [changed.grade, previous.grade, gradeTerm],
        [changed.roll_no, previous.roll_no, rollTerm],
      ] as const) {
        if (next === undefined || next === null) continue;
        gained.add(term(next));
        if (typeof prev === 'string' && term(prev) !== term(next)) lost.add(term(prev));
      }
      return { version, present: [...gained], absent: [...lost], created: false };
    }
    case 'students.student.deleted.v1':
      return { version, present: [], absent: before ? [...termsOf(before)] : [ALL], created: false };
    default:
      return { version, present: [], absent: [], created: false };
  }
}

/** The writes of one change: one `$max` per term, and the directory entry of a new student. */
export function postingWrites(org: string, id: number, change: PostingChange): AnyBulkWriteOperation<PostingDocument>[] {
  const chunk = chunkOf(id);
  const field = `m.${id}`;
  const stamp = (term: string, value: number): AnyBulkWriteOperation<PostingDocument> => ({
    updateOne: { filter: { _id: postingKey(org, term, chunk) }, update: { $max: { [field]: value } }, upsert: true },
  });
  return [
    ...change.present.map((t) => stamp(t, present(change.version))),
    ...change.absent.map((t) => stamp(t, absent(change.version))),
    ...(change.created ? [{ updateOne: { filter: { _id: directoryKey(org) }, update: { $addToSet: { c: chunk } }, upsert: true } }] : []),
  ];
}
const DUPLICATE_KEY = 11000;

/**
 * Applies the writes; all are idempotent, so a retry repeats them safely. Two first writers of the
 * same new posting may collide on its `_id` (an upsert is not atomic across its find and insert):
 * those writes are simply sent again.
 */
export async function writePostings(db: Db, writes: AnyBulkWriteOperation<PostingDocument>[]): Promise<void> {
  let pending = writes;
  for (let attempt = 1; pending.length > 0; attempt++) {
    try {
      await postingsCollection(db).bulkWrite(pending, { ordered: false });
      return;
    } catch (err) {
      const failed = err instanceof MongoBulkWriteError ? [err.writeErrors].flat() : [];
      if (attempt >= 3 || failed.length === 0 || !failed.every((e) => e.code === DUPLICATE_KEY)) throw err;
      pending = failed.map((e) => pending[e.index]!);
    }
  }
}

/** The chunks of an organization that may hold students, ascending. */
export async function chunksOf(db: Db, org: string): Promise<number[]> {
  const directory = await postingsCollection(db).findOne({ _id: directoryKey(org) });
  return [...(directory?.c ?? [])].sort((a, b) => a - b);
}

/** Keys per `find` (`_id: {$in}`): mongo-java-server checks each document against the whole list (n²). */
const KEYS_PER_FIND = 200;

/**
 * The ids (ascending) that hold every one of `terms` in the given chunks: the intersection of the
 * terms' postings, chunk by chunk. The rows still have to be checked: a posting can be ahead of its
 * row (it is written first), and n-grams of a longer name query only narrow it down.
 */
export async function candidates(db: Db, org: string, terms: readonly string[], chunks: readonly number[]): Promise<number[]> {
  const keys = chunks.flatMap((c) => terms.map((t) => postingKey(org, t, c)));
  const postings = new Map<string, Record<string, number>>();
  const finds: Array<Promise<PostingDocument[]>> = [];
  for (let i = 0; i < keys.length; i += KEYS_PER_FIND) finds.push(postingsCollection(db).find({ _id: { $in: keys.slice(i, i + KEYS_PER_FIND) } }).toArray());
  for (const docs of await Promise.all(finds)) for (const d of docs) postings.set(d._id, d.m ?? {});
  const ids: number[] = [];
  for (const chunk of chunks) {
    const maps = terms.map((t) => postings.get(postingKey(org, t, chunk)));
    if (maps.some((m) => m === undefined)) continue;
    const [smallest, ...others] = (maps as Array<Record<string, number>>).sort((a, b) => Object.keys(a).length - Object.keys(b).length);
    for (const [id, stamp] of Object.entries(smallest!)) {
      if (isPresent(stamp) && others.every((m) => isPresent(m[id]))) ids.push(Number(id));
    }
  }
  return ids.sort((a, b) => a - b);
}

/** Everything of an organization in the index (its read-model rows go separately). Idempotent. */
export async function purgePostings(db: Db, org: string): Promise<void> {
  // An anchored prefix on `_id`: an index range on MongoDB, a walk of the `_id` keys on mongo-java-server.
  await postingsCollection(db).deleteMany({ _id: { $regex: `^${escapeRegex(org)}\\|` } });
}
