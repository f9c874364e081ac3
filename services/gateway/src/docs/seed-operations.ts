/**
 * The seed routes' operations, for the gateway's OpenAPI document. One `SeedDocs` per seed router:
 * service.ts passes them all to `docsRoutes({ seeds: [...] })`. A new seed router adds its own
 * (`export const clickbitDocs: SeedDocs = { tag, operations }`, here or beside its routes) and
 * appends it to that list.
 *
 * The seeds answer in their own shapes (FastAPI's `{"detail": ...}`), not RFC 9457, so their errors
 * are ordinary responses with the seed's error schema.
 */
import { z } from 'zod';
import { named, type OperationSpec, type ResponseSpec, type TagSpec } from '@sms/shared/openapi';

export interface SeedDocs {
  tag: TagSpec;
  operations: OperationSpec[];
}

// ---- FlowData (shared/seeds/000, routes in ../seeds/flowdata.ts) ----

const FlowDataError = named(
  'FlowDataError',
  z
    .object({
      detail: z.union([
        z.string(),
        z.array(z.object({ type: z.string(), loc: z.array(z.union([z.string(), z.number().int()])), msg: z.string() })),
      ]),
    })
    .describe('The seed\'s error shape: a message, or on a 422 FastAPI\'s list of `{type, loc, msg}`.'),
);
const FlowDataMessage = named('FlowDataMessage', z.object({ message: z.string() }));

/** The request bodies of ../seeds/flowdata.ts: lax like Pydantic (unknown fields ignored, numeric strings accepted). */
const laxInt = z.union([z.number().int(), z.string().regex(/^-?\d{1,15}$/)]);
const FlowDataSignup = named(
  'FlowDataSignup',
  z.object({ username: z.string(), password: z.string(), email: z.string(), role: z.string().optional().describe('Ignored: the route decides the role.') }),
);
const FlowDataLogin = named('FlowDataLogin', z.object({ username: z.string(), password: z.string() }));
const FlowDataStudentBody = named(
  'FlowDataStudentBody',
  z.object({
    id: laxInt.optional().describe('Optional on create (assigned otherwise); on update it must be the path\'s.'),
    name: z.string(),
    age: laxInt.describe('3 to 120.'),
    roll_no: laxInt,
    grade: z.union([z.string(), z.number()]),
  }),
);
const FlowDataStudent = named(
  'FlowDataStudent',
  z.object({
    id: z.number().int(),
    name: z.string(),
    age: z.number().int(),
    roll_no: z.union([z.number().int(), z.string()]).describe('An integer; a roll number set through /api/v1 that is not a plain number (e.g. `R-101`) stays a string.'),
    grade: z.string(),
    created_at: z.number().int().nullable().describe('Epoch seconds.'),
    updated_at: z.number().int().nullable().describe('Epoch seconds.'),
  }),
);
const account = (kind: 'admin' | 'user') =>
  z.object({
    message: z.literal('Login successful'),
    access_token: z.string().describe('A 15-minute access token (no refresh token).'),
    token_type: z.literal('bearer'),
    [kind]: z.object({
      username: z.string(),
      email: z.string(),
      role: z.literal(kind),
      created: z.number().int().nullable().describe(kind === 'admin' ? 'Epoch seconds.' : 'Always `null`: only admins may read account timestamps.'),
      updated: z.number().int().nullable(),
    }),
  });
const StudentPath = z.object({ student_id: z.string().regex(/^-?\d{1,16}$/).describe('The student id (an integer).') });

const error = (description: string): ResponseSpec => ({ description, body: FlowDataError });
const E = {
  invalid: error('Validation failed (FastAPI\'s `detail` list), or a malformed path id.'),
  token: { ...error('`Invalid or expired token`'), headers: { 'WWW-Authenticate': { description: '`Bearer`' } } },
  admin: error('`Access forbidden: Admin privileges required`'),
  notFound: error('`Student not found`'),
  limited: { ...error('Too many requests.'), headers: { 'Retry-After': { description: 'Seconds to wait.' } } },
};
const TAG = 'FlowData seed';

export const flowdataDocs: SeedDocs = {
  tag: {
    name: TAG,
    description: 'The FlowData seed\'s routes (shared/seeds/000), served by the gateway on top of /api/v1, with the seed\'s bodies, status codes and `{"detail": ...}` errors. README: "Where we deviate from the seeds on purpose".',
  },
  operations: [
    {
      method: 'post', path: '/admin-signup', operationId: 'flowdataAdminSignup', tags: [TAG], security: 'optional-bearer',
      summary: 'Register an admin',
      description: 'Open for the first admin of the default organization only; afterwards an admin\'s token must come with it.',
      body: { schema: FlowDataSignup },
      responses: {
        200: { description: 'Registered.', body: z.object({ message: z.literal('Admin registered successfully'), username: z.string() }) },
        400: error('`Admin already exists`, or the password policy\'s or email check\'s reason.'),
        403: error('An admin exists and the caller is not an admin.'),
        422: E.invalid, 429: E.limited,
      },
    },
    {
      method: 'post', path: '/admin-login', operationId: 'flowdataAdminLogin', tags: [TAG], security: 'public',
      summary: 'Log in as an admin',
      body: { schema: FlowDataLogin },
      responses: { 200: { description: 'Logged in.', body: account('admin') }, 401: error('`Invalid credentials` (unknown user, wrong password or not an admin alike).'), 422: E.invalid, 429: E.limited },
    },
    {
      method: 'post', path: '/user-signup', operationId: 'flowdataUserSignup', tags: [TAG], security: 'public',
      summary: 'Register a user',
      body: { schema: FlowDataSignup },
      responses: {
        200: { description: 'Registered.', body: z.object({ message: z.literal('User registered successfully'), username: z.string() }) },
        400: error('`User already exists`, or the password policy\'s or email check\'s reason.'),
        422: E.invalid, 429: E.limited,
      },
    },
    {
      method: 'post', path: '/user-login', operationId: 'flowdataUserLogin', tags: [TAG], security: 'public',
      summary: 'Log in as a user',
      body: { schema: FlowDataLogin },
      responses: { 200: { description: 'Logged in.', body: account('user') }, 401: error('`Invalid credentials` (unknown user, wrong password or not a user alike).'), 422: E.invalid, 429: E.limited },
    },
    {
      method: 'get', path: '/admin-dashboard', operationId: 'flowdataAdminDashboard', tags: [TAG], security: 'bearer', role: 'admin',
      summary: 'The admin\'s welcome',
      responses: { 200: { description: '`Welcome, <username>! This is your admin dashboard.`', body: FlowDataMessage }, 401: E.token, 403: E.admin },
    },
    {
      method: 'post', path: '/admin-add-student', operationId: 'flowdataAddStudent', tags: [TAG], security: 'bearer', role: 'admin',
      summary: 'Add a student',
      body: { schema: FlowDataStudentBody },
      responses: {
        200: { description: 'Added.', body: z.object({ message: z.literal('Student added successfully'), student: FlowDataStudent }) },
        400: error('`Student already exists` (id or roll number), or why a field is refused (e.g. age 3-120).'),
        401: E.token, 403: E.admin, 422: E.invalid,
      },
    },
    {
      method: 'put', path: '/admin-update-student/{student_id}', operationId: 'flowdataUpdateStudent', tags: [TAG], security: 'bearer', role: 'admin',
      summary: 'Update a student',
      params: { path: StudentPath },
      body: { schema: FlowDataStudentBody },
      responses: {
        200: { description: 'Updated.', body: z.object({ message: z.literal('Student updated successfully'), student: FlowDataStudent }) },
        400: error('`Student already exists` (roll number taken), a body `id` other than the path\'s, or why a field is refused.'),
        401: E.token, 403: E.admin, 404: E.notFound, 422: E.invalid,
      },
    },
    {
      method: 'delete', path: '/admin-delete-student/{student_id}', operationId: 'flowdataDeleteStudent', tags: [TAG], security: 'bearer', role: 'admin',
      summary: 'Delete a student',
      params: { path: StudentPath },
      responses: { 200: { description: '`Student deleted successfully`', body: FlowDataMessage }, 401: E.token, 403: E.admin, 404: E.notFound, 422: E.invalid },
    },
    {
      method: 'get', path: '/get-all-students', operationId: 'flowdataAllStudents', tags: [TAG], security: 'bearer',
      summary: 'Every student of the caller\'s organization',
      responses: { 200: { description: 'All students, by id.', body: z.array(FlowDataStudent) }, 401: E.token },
    },
    {
      method: 'get', path: '/get-student/{student_id}', operationId: 'flowdataGetStudent', tags: [TAG], security: 'bearer',
      summary: 'One student',
      params: { path: StudentPath },
      responses: { 200: { description: 'The student.', body: FlowDataStudent }, 401: E.token, 404: E.notFound, 422: E.invalid },
    },
    {
      method: 'get', path: '/students', operationId: 'flowdataSearchStudents', tags: [TAG], security: 'bearer',
      summary: 'Search students by grade, name and roll number',
      description: '`grade` exact, `name` a case-insensitive substring, `roll_no` exact; an empty parameter is no filter.',
      params: { query: z.object({ grade: z.string().optional(), name: z.string().optional(), roll_no: z.string().regex(/^-?\d{1,15}$/).optional() }) },
      responses: { 200: { description: 'The matching students, by id.', body: z.array(FlowDataStudent) }, 401: E.token, 422: E.invalid },
    },
  ],
};
