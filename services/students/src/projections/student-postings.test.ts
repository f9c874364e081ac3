import type { PendingStudentEvent } from '../domain/student.events';
import { postingChange, postingWrites } from './student-postings';
import { absent, ALL, CHUNK_IDS, nameTerms, present } from './student-terms';

const lisa = { id: 5, name: 'Lisa', age: 8, roll_no: 'R-1', grade: '2', created_at: '2026-01-01T00:00:00.000Z' };
const created: PendingStudentEvent = { type: 'students.student.created.v1', data: lisa };
const updated = (changed: Record<string, unknown>, previous: Record<string, unknown>): PendingStudentEvent => ({
  type: 'students.student.updated.v1',
  data: { changed, previous, updated_at: '2026-01-02T00:00:00.000Z' },
});

describe('postingChange', () => {
  it('when created: every term of the student, and its chunk joins the directory', () => {
    const change = postingChange(created, 1, null);
    expect(change).toMatchObject({ version: 1, absent: [], created: true });
    expect(change.present.sort()).toEqual([ALL, 'g:2', 'r:r-1', ...nameTerms('Lisa')].sort());
  });

  it('when renamed: the new name’s terms, and the old name’s terms the new one lacks', () => {
    const change = postingChange(updated({ name: 'Lise' }, { name: 'Lisa' }), 2, null);
    expect(change.present.sort()).toEqual([...nameTerms('Lise')].sort());
    expect(change.absent.sort()).toEqual(['n:isa', 'n:sa']);
    expect(change.created).toBe(false);
  });

  it('when the grade or roll number changes: the new term, and the old one unless only its case changed', () => {
    expect(postingChange(updated({ grade: '3' }, { grade: '2' }), 2, null)).toMatchObject({ present: ['g:3'], absent: ['g:2'] });
    expect(postingChange(updated({ roll_no: 'r-1' }, { roll_no: 'R-1' }), 2, null)).toMatchObject({ present: ['r:r-1'], absent: [] });
  });

  it('when only unindexed fields change: nothing', () => {
    expect(postingChange(updated({ age: 9, email: null }, { age: 8, email: 'a@b.c' }), 2, null)).toMatchObject({ present: [], absent: [] });
  });

  it('when deleted: every term of the row it deletes (only "every student" when the row is unknown)', () => {
    const deleted: PendingStudentEvent = { type: 'students.student.deleted.v1', data: { deleted_at: '2026-01-03T00:00:00.000Z' } };
    expect(postingChange(deleted, 3, lisa).absent.sort()).toEqual([ALL, 'g:2', 'r:r-1', ...nameTerms('Lisa')].sort());
    expect(postingChange(deleted, 3, null).absent).toEqual([ALL]);
  });
});

describe('postingWrites', () => {
  it('one $max per term on the student’s field of the posting of its chunk, upserted', () => {
    const id = 2 * CHUNK_IDS + 2;
    const writes = postingWrites('default', id, { version: 4, present: ['g:2'], absent: ['g:1'], created: false });
    expect(writes).toEqual([
      { updateOne: { filter: { _id: 'default|g:2|2' }, update: { $max: { [`m.${id}`]: present(4) } }, upsert: true } },
      { updateOne: { filter: { _id: 'default|g:1|2' }, update: { $max: { [`m.${id}`]: absent(4) } }, upsert: true } },
    ]);
  });

  it('a new student adds its chunk to the organization’s directory', () => {
    const writes = postingWrites('default', 7, { version: 1, present: [ALL], absent: [], created: true });
    expect(writes.at(-1)).toEqual({ updateOne: { filter: { _id: 'default|chunks' }, update: { $addToSet: { c: 0 } }, upsert: true } });
  });
});
