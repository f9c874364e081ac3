import { deciderSpec } from '@sms/shared/testing';
import { studentDecider } from './student.decide';
import type { PendingStudentEvent } from './student.events';

const spec = deciderSpec(studentDecider);
const at = new Date('2026-11-30T10:00:00.000Z');
const later = new Date('2026-12-01T08:30:00.000Z');
const fields = { name: 'John Doe', age: 16, roll_no: 'R-101', grade: '10' };
const created: PendingStudentEvent = {
  type: 'students.student.created.v1',
  data: { id: 1, ...fields, created_at: at.toISOString() },
};
const deleted: PendingStudentEvent = { type: 'students.student.deleted.v1', data: { deleted_at: later.toISOString() } };

describe('student decider', () => {
  describe('when nothing happened yet', () => {
    it('creates the student with the time of the command', () => {
      spec.given([]).when({ kind: 'create', id: 1, fields, at }).then([created]);
    });
    it('has nothing to update or delete', () => {
      spec.given([]).when({ kind: 'update', changes: { age: 17 }, at }).thenThrows('student not found');
      spec.given([]).when({ kind: 'delete', at }).thenThrows('student not found');
    });
  });

  describe('when created', () => {
    it('refuses a second creation with the same id', () => {
      spec.given([created]).when({ kind: 'create', id: 1, fields, at }).thenThrows('already exists');
    });
    it('records only the changed fields, with their previous values', () => {
      spec.given([created]).when({ kind: 'update', changes: { ...fields, age: 17, grade: '11', email: 'john@example.com' }, at: later }).then([
        {
          type: 'students.student.updated.v1',
          data: { changed: { age: 17, grade: '11', email: 'john@example.com' }, previous: { age: 16, grade: '10', email: null }, updated_at: later.toISOString() },
        },
      ]);
    });
    it('an update that changes nothing emits nothing', () => {
      spec.given([created]).when({ kind: 'update', changes: { name: 'John Doe', email: null }, at: later }).then([]);
    });
    it('clears an optional field with null', () => {
      const withEmail: PendingStudentEvent = {
        type: 'students.student.updated.v1',
        data: { changed: { email: 'j@example.com' }, previous: { email: null }, updated_at: at.toISOString() },
      };
      spec.given([created, withEmail]).when({ kind: 'update', changes: { email: null }, at: later }).then([
        { type: 'students.student.updated.v1', data: { changed: { email: null }, previous: { email: 'j@example.com' }, updated_at: later.toISOString() } },
      ]);
    });
    it('deletes', () => {
      spec.given([created]).when({ kind: 'delete', at: later }).then([deleted]);
    });
  });

  describe('when deleted', () => {
    it('cannot be updated, deleted again or re-created under the same id', () => {
      spec.given([created, deleted]).when({ kind: 'update', changes: { age: 18 }, at }).thenThrows('student not found');
      spec.given([created, deleted]).when({ kind: 'delete', at }).thenThrows('student not found');
      spec.given([created, deleted]).when({ kind: 'create', id: 1, fields, at }).thenThrows('already exists');
    });
  });

  describe('evolve', () => {
    it('folds creation and updates into the current record', () => {
      const update: PendingStudentEvent = {
        type: 'students.student.updated.v1',
        data: { changed: { age: 17 }, previous: { age: 16 }, updated_at: later.toISOString() },
      };
      const state = [created, update].reduce(studentDecider.evolve, studentDecider.initialState);
      expect(state).toEqual({ status: 'active', student: { id: 1, ...fields, age: 17, created_at: at.toISOString(), updated_at: later.toISOString() } });
    });
  });
});
