import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { Db } from 'mongodb';
import { bearerToken, requireAdmin, type AccessClaims, type TokenVerifier } from '@sms/shared/auth';
import { NotFoundError, UnauthorizedError, ValidationError } from '@sms/shared/errors';
import { ifMatchOf, parseWith } from '@sms/shared/http';
import { IdempotencyKeys } from '@sms/shared/idempotency';
import type { StudentView, Students } from '../application/students';
import type { StudentChanges } from '../domain/student.events';
import { searchStudents } from '../projections/student-search';
import type { StudentRow } from '../projections/students';
import { CreateStudentBody, ListStudentsQuery, PatchStudentBody, PathId, ReplaceStudentBody } from './schemas';

export interface StudentsRouteDeps {
  students: Students;
  db: Db;
  verifier: TokenVerifier;
}

type Authenticated = Request & { claims: AccessClaims };
const claimsOf = (req: Request) => (req as Authenticated).claims;

/** Tokens are verified here as well as at the gateway (defence in depth). */
function requireToken(verifier: TokenVerifier): RequestHandler {
  return async (req, _res, next) => {
    const token = bearerToken(req.get('authorization'));
    if (!token) throw new UnauthorizedError('a bearer token is required');
    (req as Authenticated).claims = await verifier.verify(token);
    next();
  };
}

const admin = (req: Request): AccessClaims => requireAdmin(claimsOf(req));
const idOf = (req: Request): number => {
  const parsed = PathId.safeParse(req.params.id);
  if (!parsed.success) throw new NotFoundError('student not found: ids are positive integers');
  return parsed.data;
};
const meta = (req: Request, claims: AccessClaims) => ({ tenant: claims.org, actor: claims.sub, correlationId: String(req.headers['x-request-id']) });
const location = (id: number) => `/api/v1/students/${id}`;
const send = (res: Response, student: StudentView, status = 200) => res.status(status).set('ETag', `"${student.version}"`).json({ student });

/** `/api/v1/students`: members read, admins write, always inside the caller's organization. */
export function studentsRoutes({ students, db, verifier }: StudentsRouteDeps): Router {
  const router = Router();
  const idempotency = new IdempotencyKeys(db);
  router.use('/api/v1/students', requireToken(verifier));

  router.post('/api/v1/students', async (req, res) => {
    const claims = admin(req);
    const body = parseWith(CreateStudentBody, req.body);
    await idempotency.respond(req, res, claims.org, IdempotencyKeys.fingerprint(body), async () => {
      const student = await students.create(claims.org, body, meta(req, claims));
      return { status: 201, body: { student }, headers: { ETag: `"${student.version}"`, Location: location(student.id) } };
    });
  });

  router.get('/api/v1/students', async (req, res) => {
    const claims = claimsOf(req);
    const query = parseWith(ListStudentsQuery, req.query, 'query');
    const { rows, nextCursor } = await searchStudents(db, claims.org, query);
    res.json({ items: rows.map(toView), nextCursor });
  });

  router.get('/api/v1/students/:id/history', async (req, res) => {
    const claims = admin(req);
    res.json({ items: await students.history(claims.org, idOf(req)) });
  });

  router.get('/api/v1/students/:id', async (req, res) => {
    send(res, await students.get(claimsOf(req).org, idOf(req)));
  });

  router.put('/api/v1/students/:id', async (req, res) => {
    const claims = admin(req);
    const id = idOf(req);
    const { id: bodyId, ...body } = parseWith(ReplaceStudentBody, req.body);
    if (bodyId !== undefined && bodyId !== id) {
      throw new ValidationError('the id in the body differs from the id in the path', [{ path: 'id', message: `must be ${id} or left out` }]);
    }
    const changes: StudentChanges = { ...body, email: body.email ?? null, date_of_birth: body.date_of_birth ?? null };
    send(res, await students.update(claims.org, id, changes, meta(req, claims), ifMatchOf(req)));
  });

  router.patch('/api/v1/students/:id', async (req, res) => {
    const claims = admin(req);
    const id = idOf(req);
    const changes = parseWith(PatchStudentBody, req.body);
    send(res, await students.update(claims.org, id, changes, meta(req, claims), ifMatchOf(req)));
  });

  router.delete('/api/v1/students/:id', async (req, res) => {
    const claims = admin(req);
    await students.delete(claims.org, idOf(req), meta(req, claims), ifMatchOf(req));
    res.status(204).end();
  });

  return router;
}

function toView(row: StudentRow): Omit<StudentView, 'email' | 'date_of_birth'> & { email?: string; date_of_birth?: string } {
  return {
    id: row.id,
    name: row.name,
    age: row.age,
    roll_no: row.roll_no,
    grade: row.grade,
    ...(row.email !== null ? { email: row.email } : {}),
    ...(row.date_of_birth !== null ? { date_of_birth: row.date_of_birth } : {}),
    created_at: row.created_at,
    updated_at: row.updated_at,
    version: row.version,
  };
}
