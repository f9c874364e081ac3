import { z } from 'zod';
import { CursorParam, plainText } from '@sms/shared/http';

// Request shapes of /api/v1/students. Strict: an unknown field is a 400, and so is a wrong type.

export const StudentId = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
export const Name = plainText(100);
export const Age = z.number().int('must be a whole number').min(3, 'must be at least 3').max(120, 'must be at most 120');
export const RollNo = z.string().regex(/^[A-Za-z0-9-]{1,20}$/, 'must be 1-20 letters, digits or dashes');
export const Grade = plainText(20);
export const Email = z.email().max(254);
export const DateOfBirth = z.iso.date('must be an ISO date, e.g. 2010-04-30');

const fields = { name: Name, age: Age, roll_no: RollNo, grade: Grade, email: Email.optional(), date_of_birth: DateOfBirth.optional() };

export const CreateStudentBody = z.object({ id: StudentId.optional(), ...fields }).strict();
/** PUT: the whole record; optional fields left out are cleared. `id`, if given, must be the one in the path. */
export const ReplaceStudentBody = z.object({ id: StudentId.optional(), ...fields }).strict();
/** PATCH: only what changes; `null` clears an optional field. */
export const PatchStudentBody = z
  .object({
    name: Name.optional(),
    age: Age.optional(),
    roll_no: RollNo.optional(),
    grade: Grade.optional(),
    email: Email.nullable().optional(),
    date_of_birth: DateOfBirth.nullable().optional(),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, { message: 'nothing to change' });

/** Path ids: a positive integer that fits a JSON number exactly; anything else names no student. */
export const PathId = z
  .string()
  .regex(/^[1-9][0-9]{0,15}$/)
  .transform(Number)
  .pipe(StudentId);

const queryInt = (what: string, min: number, max: number) =>
  z
    .string()
    .regex(/^[0-9]{1,7}$/, `${what} must be a whole number`)
    .transform(Number)
    .pipe(z.number().min(min, `${what} must be at least ${min}`).max(max, `${what} must be at most ${max}`));

export const SORTS = ['id', '-id', 'name', '-name', 'age', '-age', 'roll_no', '-roll_no', 'created_at', '-created_at'] as const;
export type Sort = (typeof SORTS)[number];
export const MAX_LIMIT = 100;

/** Query values are plain strings only: `name[$ne]=x` is an unknown key and `name=a&name=b` an array, both 400. */
export const ListStudentsQuery = z
  .object({
    grade: Grade.optional(),
    name: plainText(100).optional(),
    roll_no: RollNo.optional(),
    min_age: queryInt('min_age', 0, 200).optional(),
    max_age: queryInt('max_age', 0, 200).optional(),
    sort: z.enum(SORTS).default('id'),
    limit: queryInt('limit', 1, MAX_LIMIT).default(20),
    cursor: CursorParam(512).optional(),
  })
  .strict()
  .refine((q) => q.min_age === undefined || q.max_age === undefined || q.min_age <= q.max_age, {
    message: 'min_age must not exceed max_age',
    path: ['min_age'],
  });
export type ListStudentsQuery = z.infer<typeof ListStudentsQuery>;

/** `GET /api/v1/students/imports`: pages of jobs, newest first; the same `limit` and `cursor` rules as the student list. */
export const ListImportsQuery = z
  .object({
    limit: queryInt('limit', 1, MAX_LIMIT).default(20),
    cursor: CursorParam(512).optional(),
  })
  .strict();
export type ListImportsQuery = z.infer<typeof ListImportsQuery>;

export { IfMatch } from '@sms/shared/http';
export { IdempotencyKey } from '@sms/shared/idempotency';
