import { Router, type Request } from 'express';
import { bearerToken, requireAdmin, type AccessClaims, type TokenVerifier } from '@sms/shared/auth';
import { NotFoundError, PayloadTooLargeError, UnauthorizedError, UnsupportedMediaTypeError } from '@sms/shared/errors';
import { parseWith } from '@sms/shared/http';
import type { StudentImports } from '../application/import';
import { ListImportsQuery } from './schemas';

export interface ImportRouteDeps {
  imports: StudentImports;
  verifier: TokenVerifier;
  maxBytes: number;
}

const CSV_TYPES = ['text/csv', 'application/csv'];
const JOB_ID = /^[0-9a-f]{32}$/;
const location = (id: string) => `/api/v1/students/imports/${id}`;

/** Tokens are verified here as well as at the gateway (defence in depth); imports are for admins. */
async function admin(req: Request, verifier: TokenVerifier): Promise<AccessClaims> {
  const token = bearerToken(req.get('authorization'));
  if (!token) throw new UnauthorizedError('a bearer token is required');
  return requireAdmin(await verifier.verify(token));
}

/** A raw CSV body, in UTF-8 (a charset, if named, must be UTF-8). */
function requireCsv(req: Request): void {
  const [type = '', ...params] = (req.get('content-type') ?? '').split(';').map((p) => p.trim().toLowerCase());
  const charset = params.find((p) => p.startsWith('charset='))?.slice('charset='.length).replace(/"/g, '');
  if (!CSV_TYPES.includes(type)) {
    throw new UnsupportedMediaTypeError('send the file itself as the body with Content-Type: text/csv (e.g. curl --data-binary @students.csv)');
  }
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw new UnsupportedMediaTypeError(`only UTF-8 CSV files are imported, not ${charset}`);
  }
}

/** `/api/v1/students/imports`: CSV uploads become jobs; admins of the organization follow them. */
/** The upload route: its body is read here (streamed, size-limited), not by the JSON parser (`rawBodyPaths`). */
export const IMPORTS_PATH = '/api/v1/students/imports';

export function importRoutes({ imports, verifier, maxBytes }: ImportRouteDeps): Router {
  const router = Router();

  router.post(IMPORTS_PATH, async (req, res) => {
    try {
      const claims = await admin(req, verifier);
      requireCsv(req);
      if (Number(req.get('content-length') ?? 0) > maxBytes) {
        throw new PayloadTooLargeError(`the file is larger than the import limit of ${maxBytes} bytes`);
      }
      const caller = { org: claims.org, actor: claims.sub, requestId: String(req.headers['x-request-id']) };
      // Not destroyed when reading stops early (413): the rest is drained below, so the client reads the answer.
      const { job, accepted } = await imports.accept(caller, req.iterator({ destroyOnReturn: false }));
      res.status(accepted ? 202 : 200).set('Location', location(job.id)).json({ job });
    } catch (err) {
      req.resume();
      throw err;
    }
  });

  // Mounted before the students routes, or `GET /api/v1/students/:id` would take `imports` for an id.
  router.get(IMPORTS_PATH, async (req, res) => {
    const claims = await admin(req, verifier);
    const query = parseWith(ListImportsQuery, req.query, 'query');
    res.json(await imports.list(claims.org, query));
  });

  router.get('/api/v1/students/imports/:id', async (req, res) => {
    const claims = await admin(req, verifier);
    const id = String(req.params.id);
    if (!JOB_ID.test(id)) throw new NotFoundError(`import ${id} not found`);
    res.json({ job: await imports.get(claims.org, id) });
  });

  return router;
}
