/**
 * The gateway's documentation routes, public and served before the policy table (under the
 * per-client rate limit):
 *
 * - `GET /openapi.json`: one OpenAPI 3.1 document for the public API (./openapi.ts);
 * - `GET /docs/`: Swagger UI on it (./swagger-ui.ts);
 * - `GET /docs/asyncapi`: the event topics' AsyncAPI documents, each at `/docs/asyncapi/<service>.json`,
 *   with their messages' JSON Schemas at `/docs/asyncapi/<service>/schemas/<type>.json`.
 *
 * Everything is fetched from the services by convention, so a service takes part by serving
 * `GET /openapi.json` and, if it publishes events, `GET /contracts/<service>/asyncapi.json` (and
 * `.../schemas/<type>.json`). A service that does not answer is left out and named, never a failure.
 */
import express, { Router, type RequestHandler, type Response } from 'express';
import { NotFoundError, ServiceUnavailableError } from '@sms/shared/errors';
import type { JsonObject } from '@sms/shared/openapi';
import type { EdgeLocals } from '../edge';
import type { RateLimits } from '../rate-limits';
import { gatewayOpenApi } from './openapi';
import { REMOTE_DEFAULTS, RemoteDocument, type Fetched, type RemoteOptions } from './remote';
import type { SeedDocs } from './seed-operations';
import { DOCS_PAGE, INITIALIZER, INITIALIZER_SCRIPT, SWAGGER_UI_ASSETS, SWAGGER_UI_DIR } from './swagger-ui';

export interface DocsDeps {
  /** The services behind the gateway, by the name the policy table targets them with. */
  services: readonly { name: string; url: string }[];
  /** The seed routers' operations (seed-operations.ts). */
  seeds: readonly SeedDocs[];
  limits: Pick<RateLimits, 'client'>;
  remote?: Partial<RemoteOptions>;
}

export const ASYNCAPI_PATH = '/docs/asyncapi';
const contractPath = (name: string) => `/contracts/${name}`;
const asObject = (value: unknown): JsonObject => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : {});

/** The AsyncAPI document as the gateway serves it: links to the service's schemas point at the gateway's copies. */
function publicAsyncApi(name: string, document: JsonObject): JsonObject {
  const out = structuredClone(document);
  const from = `${contractPath(name)}/`;
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(visit);
    if (typeof value !== 'object' || value === null) return;
    const obj = value as JsonObject;
    const docs = asObject(obj.externalDocs);
    if (typeof docs.url === 'string' && docs.url.startsWith(from)) docs.url = `${ASYNCAPI_PATH}/${name}/${docs.url.slice(from.length)}`;
    Object.values(obj).forEach(visit);
  };
  visit(out);
  return out;
}

/** The event types an AsyncAPI document names (its message schemas), the only schema files passed through. */
const messageTypes = (document: JsonObject) => new Set(Object.keys(asObject(asObject(document.components).schemas)));

export function docsRoutes(deps: DocsDeps): Router {
  const options: RemoteOptions = { ...REMOTE_DEFAULTS, ...deps.remote };
  const openapi = deps.services.map((s) => new RemoteDocument(s.name, new URL('/openapi.json', s.url).href, options));
  const asyncapi = new Map(deps.services.map((s) => [s.name, new RemoteDocument(s.name, new URL(`${contractPath(s.name)}/asyncapi.json`, s.url).href, options)]));
  const schemas = new Map<string, RemoteDocument>();
  const urlOf = new Map(deps.services.map((s) => [s.name, s.url]));

  const router = Router();
  const perClient: RequestHandler = async (_req, res: Response<unknown, EdgeLocals>, next) => {
    await deps.limits.client(res.locals.clientAddress ?? 'unknown');
    next();
  };

  // ---- OpenAPI ----
  let built: { from: Fetched[]; body: string } | undefined;
  router.get('/openapi.json', perClient, async (_req, res) => {
    const results = await Promise.all(openapi.map((r) => r.get()));
    // Rebuilt only when a service's document (or its absence) changed.
    if (!built || built.from.some((r, i) => r !== results[i])) {
      const document = gatewayOpenApi({ services: openapi.map((r, i) => ({ name: r.name, result: results[i]! })), seeds: deps.seeds });
      built = { from: results, body: JSON.stringify(document) };
    }
    const complete = results.every((r) => r.ok);
    res.set('Cache-Control', complete ? 'public, max-age=60' : 'no-cache').type('application/json').send(built.body);
  });

  // ---- Swagger UI ----
  router.get('/docs', perClient, (req, res) => {
    // Express matches `/docs/` here too; the page's relative URLs need the slash.
    if (!req.originalUrl.split('?')[0]!.endsWith('/')) return res.redirect(301, 'docs/');
    res.type('html').send(DOCS_PAGE);
  });
  router.get(`/docs/${INITIALIZER}`, perClient, (_req, res) => {
    res.type('application/javascript').send(INITIALIZER_SCRIPT);
  });

  // ---- AsyncAPI ----
  router.get(ASYNCAPI_PATH, perClient, async (_req, res) => {
    const results = await Promise.all([...asyncapi.values()].map(async (r) => ({ name: r.name, result: await r.get() })));
    const items = results.flatMap(({ name, result }) => {
      if (!result.ok) return [];
      const channels = Object.values(asObject(result.document.channels)).map((c) => asObject(c).address).filter((a): a is string => typeof a === 'string');
      return [{ name, title: String(asObject(result.document.info).title ?? name), topics: channels, href: `${ASYNCAPI_PATH}/${name}.json` }];
    });
    const missing = results.flatMap(({ name, result }) => (result.ok ? [] : [{ name, reason: result.reason }]));
    res.set('Cache-Control', 'no-cache').json({ items, missing });
  });

  const documentOf = async (name: string): Promise<JsonObject> => {
    const remote = asyncapi.get(name);
    if (!remote) throw new NotFoundError(`no AsyncAPI document ${name}: see ${ASYNCAPI_PATH}`);
    const result = await remote.get();
    if (!result.ok) {
      if (result.reason === 'HTTP 404') throw new NotFoundError(`${name} publishes no AsyncAPI document: see ${ASYNCAPI_PATH}`);
      throw new ServiceUnavailableError(`the AsyncAPI document of ${name} is unavailable (${result.reason})`);
    }
    return result.document;
  };
  router.get(`${ASYNCAPI_PATH}/:file`, perClient, async (req, res) => {
    const file = String(req.params.file);
    if (!file.endsWith('.json')) throw new NotFoundError(`no document ${file}: see ${ASYNCAPI_PATH}`);
    const name = file.slice(0, -'.json'.length);
    res.set('Cache-Control', 'public, max-age=60').json(publicAsyncApi(name, await documentOf(name)));
  });
  router.get(`${ASYNCAPI_PATH}/:name/schemas/:file`, perClient, async (req, res) => {
    const name = String(req.params.name);
    const file = String(req.params.file);
    const type = file.endsWith('.json') ? file.slice(0, -'.json'.length) : '';
    if (!messageTypes(await documentOf(name)).has(type)) throw new NotFoundError(`${name} publishes no event type ${type || file}`);
    const key = `${name}/${type}`;
    let remote = schemas.get(key);
    if (!remote) schemas.set(key, (remote = new RemoteDocument(key, new URL(`${contractPath(name)}/schemas/${type}.json`, urlOf.get(name)).href, options)));
    const result = await remote.get();
    if (!result.ok) throw new ServiceUnavailableError(`the schema of ${type} is unavailable (${result.reason})`);
    res.set('Cache-Control', 'public, max-age=60').type('application/schema+json').json(result.document);
  });
  // Last: anything else under /docs leaves this router (to the policy table's 404).
  const assetsOnly: RequestHandler = (req, _res, next) => next(SWAGGER_UI_ASSETS.has(req.path.slice(1)) ? undefined : 'router');
  router.use('/docs', assetsOnly, perClient, express.static(SWAGGER_UI_DIR, { index: false, redirect: false, maxAge: '1h' }));
  return router;
}
