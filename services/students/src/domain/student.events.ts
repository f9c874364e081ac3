import { z } from 'zod';
import { defineEvent, type EventOf } from '@sms/shared/events';

// Public contract on `students.events`. Subject = `<org>:<id>`, tenant = the organization.
export const StudentFields = z
  .object({
    name: z.string(),
    age: z.number().int(),
    roll_no: z.string(),
    grade: z.string(),
    email: z.string().optional(),
    date_of_birth: z.string().optional(),
  })
  .strict();
export type StudentFields = z.infer<typeof StudentFields>;

/** A change: the fields that differ; `null` clears an optional field. */
export const StudentChanges = z
  .object({
    name: z.string().optional(),
    age: z.number().int().optional(),
    roll_no: z.string().optional(),
    grade: z.string().optional(),
    email: z.string().nullable().optional(),
    date_of_birth: z.string().nullable().optional(),
  })
  .strict();
export type StudentChanges = z.infer<typeof StudentChanges>;

export const StudentCreated = defineEvent(
  'students.student.created.v1',
  StudentFields.extend({ id: z.number().int().positive(), created_at: z.iso.datetime() }).strict(),
);
/** Only the changed fields, with their previous values (`null` where an optional field was absent). */
export const StudentUpdated = defineEvent(
  'students.student.updated.v1',
  z.object({ changed: StudentChanges, previous: StudentChanges, updated_at: z.iso.datetime() }).strict(),
);
export const StudentDeleted = defineEvent('students.student.deleted.v1', z.object({ deleted_at: z.iso.datetime() }).strict());

export const studentEvents = [StudentCreated, StudentUpdated, StudentDeleted] as const;

export type StudentEvent = { [K in keyof typeof studentEvents]: EventOf<(typeof studentEvents)[K]> }[number];
/** As the decider emits them: type and data only; the store stamps the envelope. */
export type PendingStudentEvent = StudentEvent extends infer E ? (E extends StudentEvent ? { type: E['type']; data: E['data'] } : never) : never;
