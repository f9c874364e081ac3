import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { z } from 'zod';
import { openApiDocument, unresolvedRefs, type JsonObject } from '@sms/shared/openapi';
import { flowdataRoutes } from '../seeds/flowdata';
import { gatewayOpenApi } from './openapi';
import { RemoteDocument } from './remote';
import { flowdataDocs } from './seed-operations';

/** A parsed JSON document, read by path in the assertions (what JSON.parse gives). */
type Json = ReturnType<typeof JSON.parse>;

/** A real HTTP server on a free port answering with `handler`; counts the requests it got. */
async function serve(handler: (path: string) => { status: number; body: string } | 'hang'): Promise<{ url: string; hits: () => number; close: () => Promise<void> }> {
  let hits = 0;
  const server: Server = createServer((req, res) => {
    hits++;
    const answer = handler(req.url ?? '/');
    if (answer === 'hang') return;
    res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits: () => hits,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/** A port nothing listens on: a server is started, its port noted, and closed again. */
async function closedPort(): Promise<string> {
  const s = await serve(() => ({ status: 200, body: '{}' }));
  await s.close();
  return s.url;
}

describe('RemoteDocument', () => {
  let clock = 0;
  const options = { timeoutMs: 10_000, ttlMs: 1_000, retryMs: 100, now: () => clock };
  beforeEach(() => { clock = 0; });

  describe('when the service answers', () => {
    it('serves its document from the cache until the ttl has passed, then fetches it again', async () => {
      const server = await serve(() => ({ status: 200, body: JSON.stringify({ openapi: '3.1.1', n: 1 }) }));
      try {
        const remote = new RemoteDocument('svc', `${server.url}/openapi.json`, options);
        const [a, b] = await Promise.all([remote.get(), remote.get()]);
        expect(a).toEqual({ ok: true, document: { openapi: '3.1.1', n: 1 } });
        expect(b).toBe(a);
        clock = 999;
        await remote.get();
        expect(server.hits()).toBe(1);
        clock = 1_000;
        await remote.get();
        expect(server.hits()).toBe(2);
      } finally {
        await server.close();
      }
    });
  });

  describe('when the service is down, slow or has no document', () => {
    it('reports an unreachable service as not ok', async () => {
      const remote = new RemoteDocument('svc', `${await closedPort()}/openapi.json`, options);
      expect(await remote.get()).toEqual({ ok: false, reason: 'unreachable' });
    });

    it('gives up on a service that does not answer within timeoutMs', async () => {
      const server = await serve(() => 'hang');
      try {
        const remote = new RemoteDocument('svc', `${server.url}/openapi.json`, { ...options, timeoutMs: 200 });
        expect(await remote.get()).toEqual({ ok: false, reason: 'no answer within 200 ms' });
      } finally {
        await server.close();
      }
    });

    it('reports a non-200 answer and a body that is not a JSON object, and asks again after retryMs', async () => {
      let answer = { status: 404, body: '{}' };
      const server = await serve(() => answer);
      try {
        const remote = new RemoteDocument('svc', `${server.url}/openapi.json`, options);
        expect(await remote.get()).toEqual({ ok: false, reason: 'HTTP 404' });
        answer = { status: 200, body: '[1]' };
        clock = 99;
        expect(await remote.get()).toEqual({ ok: false, reason: 'HTTP 404' });
        clock = 100;
        expect(await remote.get()).toEqual({ ok: false, reason: 'not a JSON object' });
        answer = { status: 200, body: '{"openapi":"3.1.1"}' };
        clock = 200;
        expect(await remote.get()).toEqual({ ok: true, document: { openapi: '3.1.1' } });
        expect(server.hits()).toBe(3);
      } finally {
        await server.close();
      }
    });
  });
});

/** A service document like the services serve, with operations the policy routes and some it does not. */
function serviceDocument(): JsonObject {
  const Thing = z.object({ id: z.string() }).meta({ id: 'Thing' });
  return openApiDocument({
    title: 'students',
    version: '1',
    tags: [{ name: 'Students' }, { name: 'Internal' }],
    operations: [
      { method: 'get', path: '/api/v1/students/{id}', operationId: 'get', summary: 'x', tags: ['Students'], security: 'bearer', params: { path: z.object({ id: z.string() }) }, responses: { 200: { description: 'ok', body: Thing } }, problems: [404] },
      { method: 'delete', path: '/api/v1/students/{id}', operationId: 'del', summary: 'x', tags: ['Students'], security: 'bearer', params: { path: z.object({ id: z.string() }) }, responses: { 204: { description: 'gone' } } },
      { method: 'post', path: '/internal/v1/students/purge', operationId: 'purge', summary: 'x', tags: ['Internal'], security: 'public', body: { schema: z.object({ org: z.string() }).meta({ id: 'PurgeBody' }) }, responses: { 200: { description: 'ok' } } },
      { method: 'get', path: '/contracts/students/asyncapi.json', operationId: 'contract', summary: 'x', tags: ['Students'], security: 'public', responses: { 200: { description: 'ok' } } },
      // A path the policy table gives to another service.
      { method: 'get', path: '/api/v1/users', operationId: 'users', summary: 'x', tags: ['Students'], security: 'bearer', responses: { 200: { description: 'ok', body: z.object({ other: z.number() }).meta({ id: 'Thing2' }) } } },
    ],
  });
}

describe('gatewayOpenApi', () => {
  const doc = gatewayOpenApi({ services: [{ name: 'students', result: { ok: true, document: serviceDocument() } }], seeds: [flowdataDocs] }) as Json;

  it('keeps only the operations the policy table routes to the service that declared them', () => {
    expect(Object.keys(doc.paths['/api/v1/students/{id}']).sort()).toEqual(['delete', 'get']);
    expect(doc.paths['/internal/v1/students/purge']).toBeUndefined();
    expect(doc.paths['/contracts/students/asyncapi.json']).toBeUndefined();
    expect(doc.paths['/api/v1/users']).toBeUndefined();
    expect(Object.keys(doc.paths).filter((p) => p.startsWith('/internal'))).toEqual([]);
  });

  it('drops the components and tags only the dropped operations used, and every $ref resolves', () => {
    expect(doc.components.schemas.Thing).toBeDefined();
    expect(doc.components.schemas.PurgeBody).toBeUndefined();
    expect(doc.components.schemas.Thing2).toBeUndefined();
    expect(doc.tags.map((t: { name: string }) => t.name)).toEqual(['Students', 'FlowData seed', 'Documentation']);
    expect(unresolvedRefs(doc)).toEqual([]);
  });

  it('states the access the policy demands and the gateway\'s own problems', () => {
    const del = doc.paths['/api/v1/students/{id}'].delete;
    expect(del['x-access']).toBe('admin');
    expect(del['x-required-role']).toBe('admin');
    expect(del.security).toEqual([{ bearerAuth: [] }]);
    expect(Object.keys(del.responses).sort()).toEqual(['204', '401', '403', '429', '503', '504']);
    expect(del.responses['503'].content['application/problem+json'].schema).toEqual({ $ref: '#/components/schemas/Problem' });
    expect(doc.paths['/api/v1/students/{id}'].get['x-access']).toBe('member');
  });

  it('names a service whose document could not be fetched, and leaves it out', () => {
    const partial = gatewayOpenApi({
      services: [
        { name: 'auth', result: { ok: false, reason: 'no answer within 2000 ms' } },
        { name: 'students', result: { ok: true, document: serviceDocument() } },
      ],
      seeds: [],
    }) as Json;
    expect(partial['x-missing-services']).toEqual([{ name: 'auth', reason: 'no answer within 2000 ms' }]);
    expect(partial.info.description).toContain('auth (no answer within 2000 ms)');
    expect(partial.paths['/api/v1/students/{id}'].get).toBeDefined();
    expect(doc['x-missing-services']).toEqual([]);
  });

  it('renames a component two services define differently, references included', () => {
    const other = openApiDocument({
      title: 'auth', version: '1',
      operations: [{ method: 'get', path: '/api/v1/auth/me', operationId: 'me', summary: 'x', tags: ['Auth'], security: 'bearer', responses: { 200: { description: 'ok', body: z.object({ name: z.string() }).meta({ id: 'Thing' }) } } }],
    });
    const merged = gatewayOpenApi({ services: [{ name: 'students', result: { ok: true, document: serviceDocument() } }, { name: 'auth', result: { ok: true, document: other } }], seeds: [] }) as Json;
    expect(merged.paths['/api/v1/auth/me'].get.responses['200'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/auth_Thing' });
    expect(merged.components.schemas.auth_Thing.properties.name).toEqual({ type: 'string' });
    expect(merged.components.schemas.Thing.properties.id).toEqual({ type: 'string' });
    expect(unresolvedRefs(merged)).toEqual([]);
  });
});

describe('the FlowData seed\'s operations', () => {
  it('are exactly the routes the FlowData router serves', () => {
    const router = flowdataRoutes({
      authUrl: 'http://127.0.0.1:1', studentsUrl: 'http://127.0.0.1:1', timeoutMs: 100, bodyLimit: '1kb',
      authorize: async () => { throw new Error('not called'); },
      limits: { client: async () => undefined, strict: async () => undefined },
      logger: pino({ level: 'silent' }),
    });
    const served = (router.stack as { route?: { path: string; methods: Record<string, boolean> } }[])
      .flatMap((layer) => (layer.route ? Object.keys(layer.route.methods).filter((m) => m !== '_all').map((m) => `${m} ${layer.route!.path.replace(':id', '{student_id}')}`) : []))
      .sort();
    const documented = flowdataDocs.operations.map((op) => `${op.method} ${op.path}`).sort();
    expect(documented).toEqual(served);
  });
});
