import { ConflictError, NotFoundError, ValidationError } from '@sms/shared/errors';
import type { Decider, EventEnvelope } from '@sms/shared/events';
import {
  StudentCreated, StudentDeleted, StudentUpdated, type PendingStudentEvent, type StudentChanges, type StudentFields,
} from './student.events';

export interface StudentRecord extends StudentFields {
  id: number;
  created_at: string;
  updated_at: string;
}

export type StudentCommand =
  | { kind: 'create'; id: number; fields: StudentFields; at: Date }
  | { kind: 'update'; changes: StudentChanges; at: Date }
  | { kind: 'delete'; at: Date };

export type StudentState = { status: 'none' } | { status: 'active'; student: StudentRecord } | { status: 'deleted' };

const FIELDS = ['name', 'age', 'roll_no', 'grade', 'email', 'date_of_birth'] as const;

function existing(state: StudentState): StudentRecord {
  if (state.status !== 'active') throw new NotFoundError('student not found');
  return state.student;
}

/** The fields of `changes` that differ from `student`, and what they were (`null` for an absent optional field). */
function diff(student: StudentRecord, changes: StudentChanges): { changed: StudentChanges; previous: StudentChanges } {
  const changed: Record<string, unknown> = {};
  const previous: Record<string, unknown> = {};
  for (const key of FIELDS) {
    const next = changes[key];
    if (next === undefined) continue;
    const before = student[key] ?? null;
    if (next !== before) {
      changed[key] = next;
      previous[key] = before;
    }
  }
  return { changed: changed as StudentChanges, previous: previous as StudentChanges };
}

export const studentDecider: Decider<StudentCommand, PendingStudentEvent, StudentState> = {
  initialState: { status: 'none' },

  decide(command, state) {
    switch (command.kind) {
      case 'create':
        if (state.status !== 'none') throw new ConflictError(`a student with id ${command.id} already exists`, 'student_exists');
        return [{ type: StudentCreated.type, data: { id: command.id, ...command.fields, created_at: command.at.toISOString() } }];
      case 'update': {
        const { changed, previous } = diff(existing(state), command.changes);
        if (Object.keys(changed).length === 0) return [];
        return [{ type: StudentUpdated.type, data: { changed, previous, updated_at: command.at.toISOString() } }];
      }
      case 'delete':
        existing(state);
        return [{ type: StudentDeleted.type, data: { deleted_at: command.at.toISOString() } }];
      default: {
        const unhandled: never = command;
        throw new ValidationError(`unknown command ${JSON.stringify(unhandled)}`);
      }
    }
  },

  evolve(state, event: PendingStudentEvent | EventEnvelope) {
    const e = event as PendingStudentEvent;
    switch (e.type) {
      case 'students.student.created.v1': {
        const { created_at, ...rest } = e.data;
        return { status: 'active', student: { ...rest, created_at, updated_at: created_at } };
      }
      case 'students.student.updated.v1': {
        if (state.status !== 'active') return state;
        const student: Record<string, unknown> = { ...state.student, updated_at: e.data.updated_at };
        for (const [key, value] of Object.entries(e.data.changed)) {
          if (value === null) delete student[key];
          else student[key] = value;
        }
        return { status: 'active', student: student as unknown as StudentRecord };
      }
      case 'students.student.deleted.v1':
        return { status: 'deleted' };
      default:
        return state;
    }
  },
};
