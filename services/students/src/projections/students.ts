import type { Collection, Db } from 'mongodb';
import type { EventEnvelope } from '@sms/shared/events';
import { deletedOrganizationsOf } from '@sms/shared/tenancy';
import { applyVersioned, ensureVersionIndex, type Projection } from '@sms/shared/projection';
import type { PendingStudentEvent } from '../domain/student.events';
import { postingChange, postingsCollection, postingWrites, purgePostings, writePostings } from './student-postings';
import { idOfStream } from './student-terms';

/**
 * The students read model: what lists and searches read. `_id` = stream id; deletions are tombstones.
 * Beside it, the search index (student-postings.ts), written by the same projection.
 */
export interface StudentRow {
  _id: string;
  version: number;
  org: string;
  id: number;
  name: string;
  nameLower: string;
  age: number;
  roll_no: string;
  rollLower: string;
  grade: string;
  email: string | null;
  date_of_birth: string | null;
  created_at: string;
  updated_at: string;
  deleted: boolean;
}

export const STUDENTS = 'students';
export const studentsCollection = (db: Db): Collection<StudentRow> => db.collection<StudentRow>(STUDENTS);

/** The row fields an event sets (the bench builds its rows with it, as the projector does). */
export function rowChanges(event: PendingStudentEvent): Partial<StudentRow> {
  switch (event.type) {
    case 'students.student.created.v1': {
      const d = event.data;
      return {
        id: d.id, name: d.name, nameLower: d.name.toLowerCase(), age: d.age, roll_no: d.roll_no, rollLower: d.roll_no.toLowerCase(), grade: d.grade,
        email: d.email ?? null, date_of_birth: d.date_of_birth ?? null, created_at: d.created_at, updated_at: d.created_at, deleted: false,
      };
    }
    case 'students.student.updated.v1': {
      const c = event.data.changed;
      return {
        ...(c.name !== undefined ? { name: c.name, nameLower: c.name.toLowerCase() } : {}),
        ...(c.roll_no !== undefined ? { roll_no: c.roll_no, rollLower: c.roll_no.toLowerCase() } : {}),
        ...(c.age !== undefined ? { age: c.age } : {}),
        ...(c.grade !== undefined ? { grade: c.grade } : {}),
        ...(c.email !== undefined ? { email: c.email } : {}),
        ...(c.date_of_birth !== undefined ? { date_of_birth: c.date_of_birth } : {}),
        updated_at: event.data.updated_at,
      };
    }
    case 'students.student.deleted.v1':
      return { deleted: true, updated_at: event.data.deleted_at };
    default:
      return {};
  }
}

export const studentsProjection: Projection = {
  name: STUDENTS,
  async setup(db) {
    const students = studentsCollection(db);
    await ensureVersionIndex(students as unknown as Collection<{ _id: string; version: number }>);
    // For the searches the postings do not serve (student-search.ts): led by the organization, then a
    // sort key (and the id that breaks its ties), or the grade. mongo-java-server ignores them (it uses
    // unique indexes only); the postings are what keeps searches off a collection scan there.
    await students.createIndex({ org: 1, deleted: 1, id: 1 });
    await students.createIndex({ org: 1, deleted: 1, grade: 1, id: 1 });
    await students.createIndex({ org: 1, deleted: 1, rollLower: 1, id: 1 });
    await students.createIndex({ org: 1, deleted: 1, nameLower: 1, id: 1 });
    await students.createIndex({ org: 1, deleted: 1, age: 1, id: 1 });
    await students.createIndex({ org: 1, deleted: 1, created_at: 1, id: 1 });
    // The search index needs only its `_id` index: every read and write of it is by exact `_id`.
  },
  async reset(db) {
    await studentsCollection(db).drop().catch(() => undefined);
    await postingsCollection(db).drop().catch(() => undefined);
  },
  async apply(event: EventEnvelope, db) {
    if (!event.type.startsWith('students.student.')) return;
    // A deleted organization's rows were removed with it; its late or replayed events must not bring them back.
    if (await deletedOrganizationsOf(db).isDeleted(event.tenant)) return;
    const studentEvent = event as unknown as PendingStudentEvent;
    const id = idOfStream(event.tenant, event.subject);
    if (id !== undefined) {
      // The search index first (idempotent, order-free), then the row: once a search can return the
      // row at this version, the index holds this version too.
      const before = studentEvent.type === 'students.student.deleted.v1' ? await studentsCollection(db).findOne({ _id: event.subject }) : null;
      const change = postingChange(studentEvent, event.version, before && before.name !== undefined ? before : null);
      await writePostings(db, postingWrites(event.tenant, id, change));
    }
    await applyVersioned(studentsCollection(db), event.subject, event.version, {
      $set: { ...rowChanges(studentEvent), org: event.tenant },
    });
  },
};

/** A deleted organization's read model: its rows and its search index. Idempotent. */
export async function purgeStudentsReadModel(db: Db, org: string): Promise<void> {
  await studentsCollection(db).deleteMany({ org });
  await purgePostings(db, org);
}
