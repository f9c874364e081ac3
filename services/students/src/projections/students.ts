import type { Collection, Db } from 'mongodb';
import type { EventEnvelope } from '@sms/shared/events';
import { deletedOrganizationsOf } from '@sms/shared/tenancy';
import { applyVersioned, ensureVersionIndex, type Projection } from '@sms/shared/projection';
import type { PendingStudentEvent } from '../domain/student.events';

/** The students read model: what lists and searches read. `_id` = stream id; deletions are tombstones. */
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

function changes(event: PendingStudentEvent): Partial<StudentRow> {
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
    // Led by the organization (every query is tenant-scoped), then the filter or sort key.
    await students.createIndex({ org: 1, deleted: 1, id: 1 });
    await students.createIndex({ org: 1, deleted: 1, grade: 1, id: 1 });
    await students.createIndex({ org: 1, deleted: 1, rollLower: 1 });
    await students.createIndex({ org: 1, deleted: 1, nameLower: 1, id: 1 });
    await students.createIndex({ org: 1, deleted: 1, age: 1, id: 1 });
  },
  async reset(db) {
    await studentsCollection(db).drop().catch(() => undefined);
  },
  async apply(event: EventEnvelope, db) {
    if (!event.type.startsWith('students.student.')) return;
    // A deleted organization's rows were removed with it; its late or replayed events must not bring them back.
    if (await deletedOrganizationsOf(db).isDeleted(event.tenant)) return;
    await applyVersioned(studentsCollection(db), event.subject, event.version, {
      $set: { ...changes(event as unknown as PendingStudentEvent), org: event.tenant },
    });
  },
};
