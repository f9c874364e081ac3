import { Router } from 'express';
import { NotFoundError } from '@sms/shared/errors';
import { studentsAsyncApi } from './asyncapi';
import { CONTRACT_PATH, studentEventSchemas } from './schemas';

/**
 * The public event contract, without a token (it describes no data): `GET /contracts/students/asyncapi.json`
 * and `GET /contracts/students/schemas/<event type>.json`. Mounted before the students routes, whose
 * token check covers `/api/v1/students*` only. Generated from the zod schemas at start, so it is
 * always what the running code produces.
 */
export function contractRoutes(topic: string): Router {
  const router = Router();
  const asyncapi = studentsAsyncApi(topic);
  const schemas = studentEventSchemas();
  const cache = 'public, max-age=300';

  router.get(`${CONTRACT_PATH}/asyncapi.json`, (_req, res) => {
    res.set('Cache-Control', cache).json(asyncapi);
  });
  router.get(`${CONTRACT_PATH}/schemas`, (_req, res) => {
    res.set('Cache-Control', cache).json({ items: Object.keys(schemas).map((type) => ({ type, href: `${CONTRACT_PATH}/schemas/${type}.json` })) });
  });
  router.get(`${CONTRACT_PATH}/schemas/:file`, (req, res) => {
    const file = String(req.params.file);
    const type = file.endsWith('.json') ? file.slice(0, -'.json'.length) : '';
    if (!Object.hasOwn(schemas, type)) throw new NotFoundError(`no schema ${file}: see ${CONTRACT_PATH}/schemas`);
    res.set('Cache-Control', cache).type('application/schema+json').json(schemas[type]);
  });
  return router;
}
