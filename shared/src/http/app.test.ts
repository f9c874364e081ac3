import { Writable } from 'node:stream';
import { Router } from 'express';
import request from 'supertest';
import { z } from 'zod';
import { ConcurrencyError, ConflictError, TooManyRequestsError } from '../errors';
import { createHealthKit } from '../health';
import { createLogger } from '../logging';
import { createMetrics } from '../metrics';
import { createHttpApp, finishApp, IfMatch, parseWith, plainText, staleVersion } from './index';

const lines: string[] = [];
const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
const logger = createLogger('test', 'info', sink);
let healthy = true;
const health = createHealthKit('test', [{ name: 'db', check: async () => { if (!healthy) throw new Error('db is down'); } }]);
const app = createHttpApp({ logger, bodyLimit: '1kb', health, metrics: createMetrics('test') });
app.post('/echo', (req, res) => {
  res.status(201).json(parseWith(z.object({ name: z.string().max(10) }).strict(), req.body));
});
app.get('/conflict', () => {
  throw new ConflictError('already there');
});
app.get('/slow-down', () => {
  throw new TooManyRequestsError('slow down', 7);
});
app.get('/boom', () => {
  throw new Error('secret internals at /srv/app.ts:12');
});
const things = Router();
things.post('/', (_req, res) => void res.status(201).end());
things.get('/', (_req, res) => void res.json([]));
things.get('/:id', (_req, res) => void res.json({}));
things.delete('/:id', (_req, res) => void res.status(204).end());
app.use('/things', things);
finishApp(app, logger);

describe('the shared HTTP app', () => {
  it('parses JSON and echoes a request id', async () => {
    const res = await request(app).post('/echo').send({ name: 'Ada' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ name: 'Ada' });
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('keeps a well-formed client request id and replaces a malformed one', async () => {
    expect((await request(app).get('/health/live').set('x-request-id', 'abc-123')).headers['x-request-id']).toBe('abc-123');
    expect((await request(app).get('/health/live').set('x-request-id', 'bad id with spaces')).headers['x-request-id']).not.toContain('bad');
  });

  it.each([
    ['malformed JSON', (r: request.Test) => r.set('content-type', 'application/json').send('{"name":'), 400, /not valid JSON/],
    ['a wrong type', (r: request.Test) => r.send({ name: 42 }), 400, /name: /],
    ['an unknown field', (r: request.Test) => r.send({ name: 'Ada', role: 'admin' }), 400, /role|Unrecognized/i],
    ['an oversized body', (r: request.Test) => r.send({ name: 'x'.repeat(5_000) }), 413, /too large/],
    ['a non-JSON content type', (r: request.Test) => r.set('content-type', 'text/plain').send('name=Ada'), 415, /application\/json/],
    ['a charset other than UTF-8', (r: request.Test) => r.set('content-type', 'application/json; charset=latin1').send('{"name":"Ada"}'), 415, /charset/],
    ['UTF-16 (JSON between systems is UTF-8, RFC 8259)', (r: request.Test) => r.set('content-type', 'application/json; charset=utf-16le').send(Buffer.from('{"name":"Ada"}', 'utf16le')), 415, /charset/],
    ['UTF-16 behind a quoted parameter that mentions UTF-8', (r: request.Test) => r.set('content-type', 'application/json; x="; charset=utf-8"; charset=utf-16le').send(Buffer.from('{"name":"Ada"}', 'utf16le')), 415, /charset/],
    ['an unknown content coding', (r: request.Test) => r.set('content-type', 'application/json').set('content-encoding', 'x-unknown').send('{"name":"Ada"}'), 415, /encoding/],
  ])('answers %s with a problem document', async (_case, send, status, detail) => {
    const res = await send(request(app).post('/echo'));
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status, detail: expect.stringMatching(detail) });
  });

  it('maps domain errors to their status and stable code', async () => {
    const res = await request(app).get('/conflict');
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ code: 'conflict', title: 'Conflict', detail: 'already there', instance: '/conflict' });
  });

  it('sets Retry-After on 429', async () => {
    const res = await request(app).get('/slow-down');
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBe('7');
  });

  it('hides unexpected errors behind a generic 500 and logs them', async () => {
    const res = await request(app).get('/boom');
    expect(res.status).toBe(500);
    expect(JSON.stringify(res.body)).not.toMatch(/secret internals|\.ts:/);
    expect(lines.some((l) => l.includes('secret internals'))).toBe(true);
  });

  it('answers unknown routes with a 404 problem', async () => {
    const res = await request(app).get('/nope');
    expect(res.status).toBe(404);
    expect(res.body.detail).toBe('no route for GET /nope');
  });

  it.each([
    ['PUT', '/things', 'GET, HEAD, POST'],
    ['DELETE', '/things/', 'GET, HEAD, POST'],
    ['PATCH', '/things/7', 'DELETE, GET, HEAD'],
    ['POST', '/health/live', 'GET, HEAD'],
  ])('answers %s %s, a known path, with a 405 problem and Allow: %s', async (method, path, allow) => {
    const res = await request(app)[method.toLowerCase() as 'put'](path);
    expect(res.status).toBe(405);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.headers.allow).toBe(allow);
    expect(res.body).toMatchObject({ status: 405, code: 'method_not_allowed', detail: `${method} is not allowed on ${path}` });
  });

  it('answers OPTIONS on a known path with its Allow, as express does, and 404 on an unknown one', async () => {
    for (const path of ['/things/7', '/conflict']) {
      const options = await request(app).options(path);
      expect({ status: options.status, allow: options.headers.allow }).toEqual({ status: 200, allow: path === '/conflict' ? 'GET, HEAD' : 'DELETE, GET, HEAD' });
    }
    expect((await request(app).head('/things/7')).status).toBe(200);
    expect((await request(app).options('/nope')).status).toBe(404);
    expect((await request(app).put('/things/7/more')).status).toBe(404);
  });

  it('sends security headers and no X-Powered-By', async () => {
    const res = await request(app).get('/health/live');
    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toBeDefined();
  });

  it('reports readiness from its dependency checks', async () => {
    healthy = true;
    expect((await request(app).get('/health/ready')).status).toBe(200);
    healthy = false;
    const res = await request(app).get('/health/ready');
    expect(res.status).toBe(503);
    expect(res.body.checks.db).toMatchObject({ status: 'down', error: 'db is down' });
    expect((await request(app).get('/health/live')).status).toBe(200);
  });

  it('serves Prometheus metrics', async () => {
    const res = await request(app).get('/metrics');
    expect(res.status).toBe(200);
    expect(res.text).toContain('http_request_duration_seconds');
  });

  it('writes one access line per request: id, method, URL, client, status and time, no headers', async () => {
    lines.length = 0;
    await request(app).post('/echo?x=1').set('x-request-id', 'access-1').set('cookie', 'user_session=s3cret').send({ name: 'Ada' });
    const [line, ...rest] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rest).toEqual([]);
    expect(line).toMatchObject({ level: 'info', msg: 'request completed', req: { id: 'access-1', method: 'POST', url: '/echo' }, res: { statusCode: 201 } });
    expect(typeof line?.responseTime).toBe('number');
    expect((line?.req as Record<string, unknown>).remoteAddress).toMatch(/127\.0\.0\.1|::1/);
    expect(JSON.stringify(line)).not.toMatch(/headers|s3cret|x=1/);
    lines.length = 0;
    await request(app).get('/conflict');
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({ level: 'warn', res: { statusCode: 409 } });
  });

  it('never logs credentials', async () => {
    lines.length = 0;
    await request(app).post('/echo').set('authorization', 'Bearer top-secret-token').send({ name: 'Ada' });
    expect(lines.join('')).not.toContain('top-secret-token');
  });
});

describe('error kinds', () => {
  it('keep their status, code and class identity', () => {
    const conflict = new ConcurrencyError('s-1', 2, 3);
    expect(conflict).toBeInstanceOf(ConflictError);
    expect(conflict).toMatchObject({ status: 409, code: 'version_conflict', name: 'ConcurrencyError' });
    expect(new ConflictError('x')).toMatchObject({ status: 409, code: 'conflict', title: 'Conflict' });
    expect(new TooManyRequestsError('x', 3)).toMatchObject({ status: 429, retryAfterSeconds: 3 });
  });
});

describe('plainText', () => {
  const name = plainText(20);
  it.each([['Ada Lovelace'], ['Zoë'], ['محمد‌رضا'], ['👩‍🎓 Lisa'], ['  padded  ']])('takes %j', (s) => {
    expect(name.safeParse(s).success).toBe(true);
  });
  it.each([
    ['a control character', 'a\u0000b'], ['an unpaired surrogate', 'ab\ud800cd'], ['a replacement character (bytes that were not UTF-8)', 'a\ufffdb'],
    ['a direction override', 'abc\u202Edef'], ['an isolate', 'a\u2066b'], ['nothing but spaces', '   '], ['too long', 'x'.repeat(21)],
  ])('refuses %s', (_what, s) => {
    expect(name.safeParse(s).success).toBe(false);
  });
});

describe('If-Match', () => {
  it.each([
    ['"3"', [3]], ['3', [3]], ['"1", "2"', [1, 2]], ['"1","3" ,"5"', [1, 3, 5]], ['"1", , "2"', [1, 2]],
    // If-Match compares strongly: a weak ETag is well formed but never matches.
    ['W/"3"', []], ['W/"3", "4"', [4]],
  ])('reads %s as the versions %j', (header, versions) => {
    expect(IfMatch.parse(header)).toEqual(versions);
  });

  it('reads * as no precondition on an existing resource', () => {
    expect(IfMatch.parse('*')).toBeUndefined();
  });

  it('names what a stale precondition listed, or that weak ETags never match', () => {
    expect(staleVersion('the student', 3, [1, 2])).toMatchObject({ status: 412, message: 'the student is at version 3, not 1 or 2' });
    expect(staleVersion('the student', 3, []).message).toMatch(/weak ETag/);
  });

  it.each([['soon'], [''], [','], ['"1", soon'], ['*, "1"'], ['"1'], ['"abc"'], ['W/3'], ['"1" "2"']])('refuses the malformed %j', (header) => {
    expect(IfMatch.safeParse(header).success).toBe(false);
  });
});
