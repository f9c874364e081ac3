/**
 * API documentation through the gateway: the merged OpenAPI 3.1 document at /openapi.json, the
 * AsyncAPI documents of the topics at /docs/asyncapi, and Swagger UI at /docs/ in a real headless
 * Chromium under the gateway's strict CSP.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type ConsoleMessage } from 'playwright-core';
import { unresolvedRefs } from '@sms/shared/openapi';
import { ROUTES } from '../../services/gateway/src/policy';
import { startPlatform, type Platform } from '../support/platform';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];

let platform: Platform;
let gateway: string;

const getJson = async (url: string) => {
  const res = await fetch(url);
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : undefined) as any };
};

/** Every `[method, path, operation]` of a document. */
const operationsOf = (doc: any): [string, string, any][] =>
  Object.entries(doc.paths as Record<string, any>).flatMap(([path, item]) => METHODS.filter((m) => item[m]).map((m): [string, string, any] => [m, path, item[m]]));

beforeAll(async () => {
  platform = await startPlatform();
  gateway = platform.gateway.url;
});
afterAll(() => platform?.stop());

describe('GET /openapi.json at the gateway', () => {
  let doc: any;
  beforeAll(async () => {
    const res = await getJson(`${gateway}/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    doc = res.body;
  });

  it('is an OpenAPI 3.1 document: info, servers, unique operationIds, responses on every operation, and every $ref resolves', () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    expect(doc.servers).toEqual([expect.objectContaining({ url: '/' })]);
    const ops = operationsOf(doc);
    expect(ops.length).toBeGreaterThan(25);
    for (const [method, path, op] of ops) {
      expect([method, path, Object.keys(op.responses ?? {}).length > 0]).toEqual([method, path, true]);
      for (const [status, response] of Object.entries<any>(op.responses)) {
        expect([path, status, typeof response.description]).toEqual([path, status, 'string']);
      }
      for (const param of op.parameters ?? []) expect(['path', 'query', 'header', 'cookie']).toContain(param.in);
      const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
      expect([path, (op.parameters ?? []).filter((p: any) => p.in === 'path').map((p: any) => p.name).sort()]).toEqual([path, templated]);
    }
    const ids = ops.map(([, , op]) => op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(unresolvedRefs(doc)).toEqual([]);
    const tagNames = doc.tags.map((t: any) => t.name);
    for (const [, , op] of ops) for (const tag of op.tags) expect(tagNames).toContain(tag);
    expect(doc['x-missing-services'].map((m: any) => m.name)).not.toEqual(expect.arrayContaining(['auth']));
    expect(doc['x-missing-services'].map((m: any) => m.name)).not.toEqual(expect.arrayContaining(['students']));
  });

  it('documents every method of every route in the gateway\'s policy table', () => {
    const missing = ROUTES.flatMap((rule) => rule.methods
      .filter((m) => (doc.paths[rule.path.replace(/:(\w+)/g, '{$1}')] as Record<string, unknown> | undefined)?.[m.toLowerCase()] === undefined)
      .map((m) => `${m} ${rule.path}`));
    expect(missing).toEqual([]);
    // The CSV upload declares its media types, not JSON.
    expect(Object.keys(doc.paths['/api/v1/students/imports'].post.requestBody.content)).toEqual(['text/csv', 'application/csv']);
  });

  it('has the v1 operations of auth and students, generated from the zod schemas the routes validate with', () => {
    for (const [method, path] of [
      ['post', '/api/v1/auth/signup'], ['post', '/api/v1/auth/login'], ['post', '/api/v1/auth/refresh'], ['get', '/api/v1/auth/me'],
      ['get', '/api/v1/users'], ['patch', '/api/v1/users/{id}'],
      ['post', '/api/v1/students'], ['get', '/api/v1/students'], ['get', '/api/v1/students/{id}'], ['put', '/api/v1/students/{id}'],
      ['patch', '/api/v1/students/{id}'], ['delete', '/api/v1/students/{id}'], ['get', '/.well-known/jwks.json'],
    ] as const) {
      expect([method, path, doc.paths[path]?.[method] !== undefined]).toEqual([method, path, true]);
    }
    // The strict SignupBody: its three fields required, anything else refused.
    const signup = doc.paths['/api/v1/auth/signup'].post.requestBody.content['application/json'].schema;
    const body = doc.components.schemas[signup.$ref.split('/').at(-1)];
    expect(body).toMatchObject({ type: 'object', additionalProperties: false, required: ['username', 'email', 'password'] });
    expect(body.properties.username.pattern).toBe('^[A-Za-z0-9][A-Za-z0-9._-]{2,31}$');
    // The search query's parameters, and problem+json answers.
    const search = doc.paths['/api/v1/students'].get;
    expect(search.parameters.map((p: any) => p.name)).toEqual(['grade', 'name', 'roll_no', 'min_age', 'max_age', 'sort', 'limit', 'cursor']);
    expect(search.parameters.find((p: any) => p.name === 'sort').schema.enum).toContain('-created_at');
    expect(search.responses['400'].content['application/problem+json'].schema).toEqual({ $ref: '#/components/schemas/Problem' });
    expect(doc.components.schemas.Problem.required).toEqual(expect.arrayContaining(['type', 'title', 'status', 'detail', 'code']));
  });

  it('states the security the gateway enforces: a JWT bearer scheme, public login, a token for reads, an admin\'s for writes', () => {
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    expect(doc.paths['/api/v1/auth/login'].post.security).toEqual([]);
    expect(doc.paths['/api/v1/students'].get).toMatchObject({ security: [{ bearerAuth: [] }], 'x-access': 'member' });
    expect(doc.paths['/api/v1/students'].post).toMatchObject({ security: [{ bearerAuth: [] }], 'x-access': 'admin', 'x-required-role': 'admin' });
    expect(Object.keys(doc.paths['/api/v1/students'].post.responses)).toEqual(expect.arrayContaining(['201', '400', '401', '403', '429', '503']));
  });

  it('has the FlowData seed\'s routes in the seed\'s own shapes', () => {
    for (const [method, path] of [
      ['post', '/admin-signup'], ['post', '/admin-login'], ['post', '/user-signup'], ['post', '/user-login'], ['get', '/admin-dashboard'],
      ['post', '/admin-add-student'], ['put', '/admin-update-student/{student_id}'], ['delete', '/admin-delete-student/{student_id}'],
      ['get', '/get-all-students'], ['get', '/get-student/{student_id}'], ['get', '/students'],
    ] as const) {
      expect([method, path, doc.paths[path]?.[method]?.tags]).toEqual([method, path, ['FlowData seed']]);
    }
    expect(doc.paths['/get-student/{student_id}'].get.responses['404'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/FlowDataError' });
  });

  it('has no /internal path, though auth\'s own document describes its internal routes', async () => {
    const own = await getJson(`${platform.auth.url}/openapi.json`);
    expect(own.status).toBe(200);
    expect(Object.keys(own.body.paths).some((p) => p.startsWith('/internal/'))).toBe(true);
    expect(Object.keys(doc.paths).filter((p) => p.includes('/internal'))).toEqual([]);
    expect(Object.keys(doc.paths).filter((p) => !/^\/(api\/v1\/|\.well-known\/|docs\/|openapi\.json$)/.test(p) && !Object.values(doc.paths[p]).some((op: any) => op.tags?.some((t: string) => t.endsWith(' seed'))))).toEqual([]);
  });

  it('documents only operations the gateway answers: none of them is the gateway\'s 404 or 405', async () => {
    const samples: Record<string, string> = { id: '1', student_id: '1', name: 'students' };
    const answers = await Promise.all(operationsOf(doc).map(async ([method, path]) => {
      const url = gateway + path.replace(/\{([^}]+)\}/g, (_m, name: string) => samples[name] ?? 'x');
      // No token and no body: a protected route answers 401, a public one 400/422 or its answer; never "no route".
      const res = await fetch(url, { method: method.toUpperCase(), redirect: 'manual' });
      await res.body?.cancel();
      return `${method} ${path} ${res.status === 404 || res.status === 405 ? res.status : 'answered'}`;
    }));
    expect(answers.filter((a) => !a.endsWith('answered'))).toEqual([]);
  });
});

describe('AsyncAPI documents at /docs/asyncapi', () => {
  it('lists the topics and serves the students AsyncAPI 3.0 document as the service publishes it, with its schema links through the gateway', async () => {
    const index = await getJson(`${gateway}/docs/asyncapi`);
    expect(index.status).toBe(200);
    const students = index.body.items.find((i: any) => i.name === 'students');
    expect(students).toMatchObject({ href: '/docs/asyncapi/students.json', topics: [(platform.students.context.config as { EVENTS_TOPIC?: string }).EVENTS_TOPIC] });

    const served = await getJson(gateway + students.href);
    const own = await getJson(`${platform.students.url}/contracts/students/asyncapi.json`);
    expect(served.status).toBe(200);
    expect(served.body.asyncapi).toBe('3.0.0');
    expect(served.body.channels).toEqual(own.body.channels);
    const message = served.body.components.messages['students.student.created.v1'];
    expect(message.externalDocs.url).toBe('/docs/asyncapi/students/schemas/students.student.created.v1.json');
    const schema = await getJson(gateway + message.externalDocs.url);
    expect(schema.status).toBe(200);
    expect(schema.headers.get('content-type')).toMatch(/^application\/schema\+json/);
    expect(schema.body).toMatchObject({ title: 'students.student.created.v1', $schema: 'https://json-schema.org/draft/2020-12/schema' });
  });

  it('serves auth\'s AsyncAPI document of auth.events too', async () => {
    const index = await getJson(`${gateway}/docs/asyncapi`);
    expect(index.body.items.find((i: any) => i.name === 'auth')).toMatchObject({ href: '/docs/asyncapi/auth.json', topics: [(platform.auth.context.config as { EVENTS_TOPIC?: string }).EVENTS_TOPIC] });
    const served = await getJson(`${gateway}/docs/asyncapi/auth.json`);
    expect(served.status).toBe(200);
    expect(served.body.asyncapi).toBe('3.0.0');
    expect(Object.keys(served.body.components.messages)).toEqual(expect.arrayContaining(['auth.user.registered.v1', 'auth.session.revoked.v1']));
    expect(unresolvedRefs(served.body)).toEqual([]);
  });

  it('answers 404 problem+json for a document no service publishes', async () => {
    const res = await getJson(`${gateway}/docs/asyncapi/nobody.json`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect((await getJson(`${gateway}/docs/asyncapi/students/schemas/students.student.nope.v1.json`)).status).toBe(404);
  });
});

describe('GET /.well-known/jwks.json at the gateway', () => {
  it('passes auth\'s key set through unchanged', async () => {
    const [through, direct] = await Promise.all([getJson(`${gateway}/.well-known/jwks.json`), getJson(`${platform.auth.url}/.well-known/jwks.json`)]);
    expect(through.status).toBe(200);
    expect(through.body.keys.length).toBeGreaterThan(0);
    expect(through.body).toEqual(direct.body);
  });
});

describe('Swagger UI\'s files under /docs', () => {
  it('are its stylesheet, bundle and the gateway\'s own initializer; nothing else of swagger-ui-dist (its petstore page) is served', async () => {
    const css = await fetch(`${gateway}/docs/swagger-ui.css`);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
    await css.body?.cancel();
    const init = await fetch(`${gateway}/docs/swagger-initializer.js`);
    expect(init.headers.get('content-type')).toMatch(/^application\/javascript/);
    expect(await init.text()).toContain("new URL('../openapi.json', window.location.href)");
    const refused = await Promise.all(['/docs/index.html', '/docs/oauth2-redirect.html', '/docs/swagger-ui.js', '/docs/package.json', '/docs/nothing'].map(async (path) => {
      const res = await fetch(gateway + path);
      await res.body?.cancel();
      return [path, res.status];
    }));
    expect(refused).toEqual(refused.map(([path]) => [path, 404]));
  });
});

describe('Swagger UI at /docs in headless Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`Chromium is not installed at ${CHROMIUM}: run \`bash scripts/ensure-chromium.sh\` (npm test runs it), or set CHROMIUM_PATH`);
    }
    browser = await chromium.launch({ executablePath: CHROMIUM });
  }, 60_000);
  afterAll(() => browser?.close());

  it('renders the operations under the gateway\'s strict CSP, with no console error or CSP violation, and runs a request', async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (msg: ConsoleMessage) => { if (msg.type() === 'error' || msg.type() === 'warning') problems.push(`console ${msg.type()}: ${msg.text()}`); });
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('requestfailed', (req) => problems.push(`request failed: ${req.url()} ${req.failure()?.errorText}`));
    page.on('response', (res) => { if (res.status() >= 400) problems.push(`HTTP ${res.status()}: ${res.url()}`); });
    // Injected by the browser's devtools protocol, so the page's CSP does not apply to it.
    await page.addInitScript({ content: "document.addEventListener('securitypolicyviolation', (e) => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));" });

    const res = await page.goto(`${gateway}/docs`, { waitUntil: 'load' });
    expect(page.url()).toBe(`${gateway}/docs/`);
    const csp = res?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline\'; script');

    await page.locator('.opblock-summary-path[data-path="/api/v1/students/{id}"]').first().waitFor({ timeout: 30_000 });
    expect(await page.locator('.opblock-summary-path[data-path="/get-student/{student_id}"]').count()).toBe(1);
    expect(await page.locator('.opblock-summary-path[data-path="/api/v1/auth/login"]').count()).toBe(1);
    expect(await page.locator('.opblock-tag').allTextContents()).toEqual(expect.arrayContaining([expect.stringContaining('Students'), expect.stringContaining('FlowData seed')]));

    // "Try it out" on the public key set: a real request from the page, allowed by connect-src 'self'.
    const jwks = page.locator('#operations-Keys-getJwks');
    await jwks.locator('.opblock-summary').click();
    await jwks.locator('button.try-out__btn').click();
    await jwks.locator('button.execute').click();
    await jwks.locator('.live-responses-table tr.response .response-col_status').first().waitFor({ timeout: 30_000 });
    expect((await jwks.locator('.live-responses-table tr.response .response-col_status').first().textContent())?.trim()).toBe('200');

    expect(problems).toEqual([]);
    await page.close();
    // Starting a browser and rendering the bundle takes seconds on a busy 2-core machine.
  }, 120_000);
});
