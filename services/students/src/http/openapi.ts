/**
 * The students service's operations for its OpenAPI document (`GET /openapi.json`), declared with
 * the same zod schemas the routes parse with (./schemas.ts).
 */
import { z } from 'zod';
import { named, openApiDocument, serveOpenApi, type OperationSpec } from '@sms/shared/openapi';
import {
  Age,
  CreateStudentBody,
  DateOfBirth,
  Email,
  Grade,
  IdempotencyKey,
  IfMatch,
  ListImportsQuery,
  ListStudentsQuery,
  Name,
  PatchStudentBody,
  PathId,
  ReplaceStudentBody,
  RollNo,
  StudentId,
} from './schemas';

// ---- answers (StudentView in application/students.ts) ----

const Student = named(
  'Student',
  z.object({
    id: StudentId.describe('Unique per organization; assigned by the server unless the client gave one.'),
    name: Name,
    age: Age,
    roll_no: RollNo,
    grade: Grade,
    email: Email.optional(),
    date_of_birth: DateOfBirth.optional(),
    created_at: z.iso.datetime(),
    updated_at: z.iso.datetime(),
    version: z.number().int().positive().describe('Version of the record; send it back as `If-Match` to update safely.'),
  }),
);
const StudentAnswer = named('StudentAnswer', z.object({ student: Student }));
const StudentPage = named(
  'StudentPage',
  z.object({
    items: z.array(Student),
    nextCursor: z.string().nullable().describe('Pass as `cursor` (with the same `sort`) for the next page; `null` on the last page.'),
  }),
);
const StudentHistory = named(
  'StudentHistory',
  z.object({
    items: z.array(
      z.object({
        version: z.number().int(),
        type: z.string().describe('The event type, e.g. `students.student.updated.v1`.'),
        time: z.iso.datetime(),
        actor: z.string().describe('The user id, or `system`.'),
        correlationId: z.string(),
        data: z.record(z.string(), z.unknown()),
      }),
    ),
  }),
);

const ImportJob = named(
  'ImportJob',
  z.object({
    id: z.string().regex(/^[0-9a-f]{32}$/),
    status: z.enum(['queued', 'running', 'succeeded', 'completed_with_errors', 'failed'])
      .describe('`completed_with_errors` when any row failed; `failed` when the job itself could not go on (`failure` says why).'),
    total: z.number().int().describe('Rows in the file.'),
    processed: z.number().int(),
    created: z.number().int(),
    failed: z.number().int().describe('Rows refused.'),
    errors: z.array(z.object({
      row: z.number().int().describe('1 for the first row after the header.'),
      line: z.number().int().describe('The line of the file the row starts on.'),
      column: z.string().optional(),
      code: z.enum(['invalid_field', 'field_count', 'roll_no_taken', 'student_exists']),
      message: z.string(),
    })).describe('The first 100 row errors.'),
    error_count: z.number().int().describe('All row errors.'),
    bytes: z.number().int(),
    sha256: z.string(),
    columns: z.array(z.string()),
    created_at: z.iso.datetime(),
    updated_at: z.iso.datetime(),
    started_at: z.iso.datetime().optional(),
    finished_at: z.iso.datetime().optional(),
    failure: z.string().optional(),
  }),
);
const ImportJobAnswer = named('ImportJobAnswer', z.object({ job: ImportJob }));
const ImportJobPage = named(
  'ImportJobPage',
  z.object({
    items: z.array(ImportJob),
    nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; `null` on the last page.'),
  }),
);
const CsvFile = z.string().describe(
  'The CSV file itself (UTF-8, comma-separated): a header naming the columns in any order (`name`, `age`, `roll_no`, `grade` required; '
  + '`id`, `email`, `date_of_birth` optional), then one student per row.',
);
const IMPORTS = 'Student imports';
const jobLocation = { Location: { description: 'The job: `/api/v1/students/imports/{id}`.' } };

const StudentPath = z.object({ id: PathId.describe('The student id (a positive integer).') });
const IfMatchHeader = z.object({ 'If-Match': IfMatch.optional().describe('The version you read (`ETag`), or a list of them (met when any is current), or `*`; a stale or weak (`W/`) ETag is a 412.') });
const etag = { ETag: { description: 'The version of the student, e.g. `"3"`.' } };
const TAG = 'Students';

export const studentsOperations: OperationSpec[] = [
  {
    method: 'post', path: '/api/v1/students/imports', operationId: 'importStudents', tags: [IMPORTS], security: 'bearer', role: 'admin',
    summary: 'Import students from a CSV file',
    description: 'The file is checked while it streams in (size, UTF-8, CSV, header) and refused as a whole (nothing stored) if it fails; '
      + 'then each row becomes an ordinary create in the background. The same bytes uploaded again are the same job (200). '
      + 'Bad rows are reported in the job and the others go on.',
    body: { schema: CsvFile, contentTypes: ['text/csv', 'application/csv'] },
    responses: {
      202: { description: 'A new job, queued.', body: ImportJobAnswer, headers: jobLocation },
      200: { description: 'This organization uploaded the same file before: that job.', body: ImportJobAnswer, headers: jobLocation },
    },
    problems: [400, 401, 403, 413, 415],
  },
  {
    method: 'get', path: '/api/v1/students/imports', operationId: 'listStudentImports', tags: [IMPORTS], security: 'bearer', role: 'admin',
    summary: 'The import jobs of the caller\'s organization, newest first',
    description: 'Each job as `GET /api/v1/students/imports/{id}` answers it. Pages of `limit` jobs (1-100, default 20); '
      + '`cursor` is the `nextCursor` of the previous page (a cursor this API did not make is a 400).',
    params: { query: ListImportsQuery },
    responses: { 200: { description: 'One page.', body: ImportJobPage } },
    problems: [400, 401, 403],
  },
  {
    method: 'get', path: '/api/v1/students/imports/{id}', operationId: 'getStudentImport', tags: [IMPORTS], security: 'bearer', role: 'admin',
    summary: 'Progress and row errors of an import',
    params: { path: z.object({ id: z.string().describe('The job id from `Location`.') }) },
    responses: { 200: { description: 'The job.', body: ImportJobAnswer } },
    problems: [401, 403, 404],
  },
  {
    method: 'post', path: '/api/v1/students', operationId: 'createStudent', tags: [TAG], security: 'bearer', role: 'admin',
    summary: 'Add a student to the caller\'s organization',
    description: '`id` is optional (the server assigns the next one). With an `Idempotency-Key`, a retry with the same body replays the first answer (`Idempotent-Replayed: true`); another body with the same key is a 409.',
    params: { header: z.object({ 'Idempotency-Key': IdempotencyKey.optional().describe('Makes a retried create safe.') }) },
    body: { schema: named('CreateStudentBody', CreateStudentBody) },
    responses: { 201: { description: 'Created.', body: StudentAnswer, headers: { ...etag, Location: { description: 'The new student.' } } } },
    problems: [400, 401, 403, 409, 413, 415],
  },
  {
    method: 'get', path: '/api/v1/students', operationId: 'searchStudents', tags: [TAG], security: 'bearer',
    summary: 'Search the students of the caller\'s organization',
    description: '`grade` exact, `name` a case-insensitive literal substring, `roll_no` exact (case-insensitive), ages inclusive. Sorted by `sort` (`-` for descending); pages of at most 100. Eventually consistent (milliseconds).',
    params: { query: ListStudentsQuery },
    responses: { 200: { description: 'One page.', body: StudentPage } },
    problems: [400, 401],
  },
  {
    method: 'get', path: '/api/v1/students/{id}', operationId: 'getStudent', tags: [TAG], security: 'bearer',
    summary: 'One student (always current)',
    params: { path: StudentPath },
    responses: { 200: { description: 'The student.', body: StudentAnswer, headers: etag } },
    problems: [401, 404],
  },
  {
    method: 'get', path: '/api/v1/students/{id}/history', operationId: 'getStudentHistory', tags: [TAG], security: 'bearer', role: 'admin',
    summary: 'Everything that happened to a student, in order',
    description: 'Kept after the student is deleted.',
    params: { path: StudentPath },
    responses: { 200: { description: 'The student\'s events.', body: StudentHistory } },
    problems: [401, 403, 404],
  },
  {
    method: 'put', path: '/api/v1/students/{id}', operationId: 'replaceStudent', tags: [TAG], security: 'bearer', role: 'admin',
    summary: 'Replace a student',
    description: 'Optional fields left out are cleared. An `id` in the body must be the path\'s.',
    params: { path: StudentPath, header: IfMatchHeader },
    body: { schema: named('ReplaceStudentBody', ReplaceStudentBody) },
    responses: { 200: { description: 'The replaced student.', body: StudentAnswer, headers: etag } },
    problems: [400, 401, 403, 404, 409, 412, 413, 415],
  },
  {
    method: 'patch', path: '/api/v1/students/{id}', operationId: 'updateStudent', tags: [TAG], security: 'bearer', role: 'admin',
    summary: 'Change some fields of a student',
    description: '`null` clears `email` or `date_of_birth`.',
    params: { path: StudentPath, header: IfMatchHeader },
    body: { schema: named('PatchStudentBody', PatchStudentBody) },
    responses: { 200: { description: 'The changed student.', body: StudentAnswer, headers: etag } },
    problems: [400, 401, 403, 404, 409, 412, 413, 415],
  },
  {
    method: 'delete', path: '/api/v1/students/{id}', operationId: 'deleteStudent', tags: [TAG], security: 'bearer', role: 'admin',
    summary: 'Delete a student',
    params: { path: StudentPath, header: IfMatchHeader },
    responses: { 204: { description: 'Deleted; the student is a 404 from now on.' } },
    problems: [401, 403, 404, 412],
  },
];

export const studentsOpenApi = () =>
  openApiDocument({
    title: 'students',
    version: '1.0.0',
    description: 'Student records of every organization: members read and search, admins write.',
    tags: [
      { name: TAG, description: 'Student records of the caller\'s organization: members read, admins write.' },
      { name: IMPORTS, description: 'CSV uploads that become background jobs (admins).' },
    ],
    operations: studentsOperations,
  });

/** `GET /openapi.json` (public). */
export const openApiRoute = () => serveOpenApi(studentsOpenApi());
