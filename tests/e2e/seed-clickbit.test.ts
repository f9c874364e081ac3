/**
 * The ClickBit seed (shared/seeds/003) through the gateway: form-encoded register and login, the
 * `user_session` cookie and its attributes, CSRF on cookie-authenticated unsafe requests, `/user/me`,
 * password change, logout as session revocation, and the `/health` family. A second gateway that
 * trusts the loopback proxy shows the `Secure` attribute behind TLS.
 */
import { startService, type RunningService } from '@sms/shared/service';
import type { Config } from '../../services/gateway/src/config';
import { gatewayService } from '../../services/gateway/src/service';
import { bearer, client, type Client } from '../support/auth';
import { eventually, unique } from '../support/backbone';
import { startPlatform, type Platform } from '../support/platform';

let platform: Platform;
let behindTls: RunningService<Config>;
let api: Client;
const password = 'SecurePass123!';
const newPassword = 'an even longer passphrase 2';

interface SetCookie {
  name: string;
  value: string;
  attributes: Record<string, string | true>;
}

/** The cookies a response sets, attribute names lowercased. */
function setCookies(headers: Headers): Record<string, SetCookie> {
  const out: Record<string, SetCookie> = {};
  for (const line of headers.getSetCookie()) {
    const [pair = '', ...attrs] = line.split(';').map((s) => s.trim());
    const eq = pair.indexOf('=');
    const attributes: Record<string, string | true> = {};
    for (const a of attrs) {
      const i = a.indexOf('=');
      if (i < 0) attributes[a.toLowerCase()] = true;
      else attributes[a.slice(0, i).toLowerCase()] = a.slice(i + 1);
    }
    out[pair.slice(0, eq)] = { name: pair.slice(0, eq), value: decodeURIComponent(pair.slice(eq + 1)), attributes };
  }
  return out;
}

/** A browser's view of one gateway: a cookie jar, form posts, JSON answers. */
class Browser {
  readonly jar = new Map<string, string>();
  constructor(private readonly url: string) {}

  async send(method: string, path: string, opts: { form?: Record<string, string>; json?: unknown; raw?: string; type?: string; headers?: Record<string, string> } = {}) {
    const headers: Record<string, string> = { ...opts.headers };
    if (this.jar.size > 0) headers.cookie = [...this.jar].map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('; ');
    let body: string | undefined;
    if (opts.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(opts.form).toString();
    } else if (opts.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(opts.json);
    } else if (opts.raw !== undefined) {
      headers['content-type'] = opts.type ?? 'application/json';
      body = opts.raw;
    }
    const res = await fetch(`${this.url}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
    const cookies = setCookies(res.headers);
    for (const c of Object.values(cookies)) {
      const expired = c.attributes['max-age'] === '0' || (typeof c.attributes.expires === 'string' && Date.parse(c.attributes.expires) < Date.now());
      if (expired) this.jar.delete(c.name);
      else this.jar.set(c.name, c.value);
    }
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers, cookies };
  }

  csrf(): Record<string, string> {
    return { 'x-csrf-token': this.jar.get('csrf_token') ?? '' };
  }
}

const user = (email: string, role = 'user') => ({ id: expect.any(String), firstName: null, lastName: null, email, role, is_active: true });
const NOT_AUTHENTICATED = { detail: 'Not authenticated' };
const INVALID = { detail: 'Could not validate credentials' };
const CSRF = { detail: 'CSRF token missing or invalid' };

beforeAll(async () => {
  platform = await startPlatform();
  api = client(platform.gateway.url);
  // The same configuration (ports chosen afresh: PORT is 0), but X-Forwarded-Proto believed from loopback.
  const platformConfig = platform.gateway.context.config as Config;
  behindTls = await startService(gatewayService({ ...platformConfig, TRUST_PROXY: 'loopback', RATE_LIMIT_PREFIX: `test:${unique('gwtls')}` }));
});
afterAll(async () => {
  await behindTls?.stop();
  await platform?.stop();
});

describe('ClickBit seed: register and login', () => {
  it('registers with the seed\'s form body and refuses the same email again', async () => {
    const b = new Browser(platform.gateway.url);
    const res = await b.send('POST', '/user/auth/register', { form: { firstName: 'John', lastName: 'Doe', email: 'john@example.com', password } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ message: 'User registered successfully', user: user('john@example.com') });
    expect(res.cookies).toEqual({});

    const again = await b.send('POST', '/user/auth/register', { form: { firstName: 'Johnny', lastName: 'Doe', email: 'JOHN@example.com', password } });
    expect({ status: again.status, body: again.body }).toEqual({ status: 400, body: { detail: 'Email already registered' } });
    const json = await b.send('POST', '/user/auth/register', { json: { firstName: 'Jane', email: 'jane@example.com', password } });
    expect({ status: json.status, body: json.body }).toEqual({ status: 200, body: { message: 'User registered successfully', user: user('jane@example.com') } });
  });

  it('answers bad register input with FastAPI\'s 422 list or the password policy\'s 400', async () => {
    const b = new Browser(platform.gateway.url);
    const missing = await b.send('POST', '/user/auth/register', { form: { email: 'x@example.com' } });
    expect(missing.status).toBe(422);
    expect(missing.body.detail).toEqual(expect.arrayContaining([
      { type: 'missing', loc: ['body', 'firstName'], msg: 'Field required' },
      { type: 'missing', loc: ['body', 'password'], msg: 'Field required' },
    ]));
    const badEmail = await b.send('POST', '/user/auth/register', { form: { firstName: 'X', email: 'not-an-email', password } });
    expect(badEmail.status).toBe(422);
    expect(badEmail.body.detail).toEqual([expect.objectContaining({ loc: ['body', 'email'], msg: 'value is not a valid email address' })]);
    for (const [field, name] of [['firstName', 'Jo\u0000hn'], ['firstName', 'Jo\u001bhn'], ['lastName', 'Do\u202Ee']] as const) {
      const names = { firstName: 'John', [field]: name };
      for (const sent of [{ form: { ...names, email: 'ctrl@example.com', password } }, { json: { ...names, email: 'ctrl@example.com', password } }]) {
        const refused = await b.send('POST', '/user/auth/register', sent);
        expect({ field, status: refused.status }).toEqual({ field, status: 422 });
        expect(refused.body.detail).toEqual([expect.objectContaining({ loc: ['body', field], msg: expect.stringMatching(/control characters/) })]);
      }
    }
    const blankLastName = await b.send('POST', '/user/auth/register', { form: { firstName: 'Jim', lastName: '', email: 'blank-last@example.com', password } });
    expect(blankLastName.status).toBe(200);
    const weak = await b.send('POST', '/user/auth/register', { form: { firstName: 'X', email: 'weak@example.com', password: 'password123' } });
    expect(weak.status).toBe(400);
    expect(weak.body).toEqual({ detail: expect.stringMatching(/common|password/i) });
    const broken = await b.send('POST', '/user/auth/register', { raw: '{"firstName": "X",' });
    expect(broken.status).toBe(422);
    expect(broken.body).toEqual({ detail: [expect.objectContaining({ type: 'json_invalid', loc: ['body'] })] });
    const repeated = await b.send('POST', '/user/auth/login', { raw: 'email=a@example.com&email=b@example.com&password=x', type: 'application/x-www-form-urlencoded' });
    expect(repeated.status).toBe(422);
    expect(repeated.body.detail[0].loc).toEqual(['body', 'email']);
    const wrongMethod = await b.send('GET', '/user/auth/login');
    expect({ status: wrongMethod.status, body: wrongMethod.body, allow: wrongMethod.headers.get('allow') }).toEqual({ status: 405, body: { detail: 'Method Not Allowed' }, allow: 'POST' });
  });

  it('logs in with the form, setting user_session (HttpOnly, SameSite=Lax, Path=/, Max-Age = token lifetime) and a readable csrf_token', async () => {
    const b = new Browser(platform.gateway.url);
    const res = await b.send('POST', '/user/auth/login', { form: { email: 'john@example.com', password } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ message: 'Login successful', user: user('john@example.com') });
    expect(res.headers.get('cache-control')).toBe('no-store');
    const session = res.cookies.user_session!;
    expect(session.value.split('.')).toHaveLength(3);
    expect(session.attributes).toMatchObject({ httponly: true, samesite: 'Lax', path: '/', 'max-age': '900' });
    expect(session.attributes.secure).toBeUndefined();
    const csrf = res.cookies.csrf_token!;
    expect(csrf.value).toMatch(/^[0-9a-f]+\.[0-9a-f]+$/);
    expect(csrf.attributes).toMatchObject({ samesite: 'Lax', path: '/', 'max-age': '900' });
    expect(csrf.attributes.httponly).toBeUndefined();

    const me = await b.send('GET', '/user/me');
    expect({ status: me.status, body: me.body }).toEqual({ status: 200, body: user('john@example.com') });
    // The body may be JSON as well.
    const json = await new Browser(platform.gateway.url).send('POST', '/user/auth/login', { json: { email: 'jane@example.com', password } });
    expect(json.status).toBe(200);
  });

  it('marks both cookies Secure when the request came over TLS (through a trusted proxy)', async () => {
    const b = new Browser(behindTls.url);
    const res = await b.send('POST', '/user/auth/login', { form: { email: 'john@example.com', password }, headers: { 'x-forwarded-proto': 'https' } });
    expect(res.status).toBe(200);
    expect(res.cookies.user_session!.attributes).toMatchObject({ secure: true, httponly: true, samesite: 'Lax' });
    expect(res.cookies.csrf_token!.attributes).toMatchObject({ secure: true, samesite: 'Lax' });
    const plain = await new Browser(behindTls.url).send('POST', '/user/auth/login', { form: { email: 'john@example.com', password } });
    expect(plain.cookies.user_session!.attributes.secure).toBeUndefined();
  });

  it('refuses a login a foreign site\'s page sends (login CSRF), by the browser\'s Sec-Fetch-Site', async () => {
    const b = new Browser(platform.gateway.url);
    const crossSite = await b.send('POST', '/user/auth/login', { form: { email: 'john@example.com', password }, headers: { 'sec-fetch-site': 'cross-site' } });
    expect({ status: crossSite.status, body: crossSite.body, cookies: crossSite.cookies }).toEqual({ status: 403, body: { detail: 'Cross-site login refused' }, cookies: {} });
    expect((await b.send('POST', '/user/auth/login', { form: { email: 'john@example.com', password }, headers: { 'sec-fetch-site': 'same-site' } })).status).toBe(200);
  });

  it('answers 401 "Invalid email or password" alike for a wrong password and an unknown email', async () => {
    const b = new Browser(platform.gateway.url);
    for (const form of [{ email: 'john@example.com', password: 'not the password at all' }, { email: 'nobody@example.com', password }]) {
      const res = await b.send('POST', '/user/auth/login', { form });
      expect({ status: res.status, body: res.body, cookies: res.cookies }).toEqual({ status: 401, body: { detail: 'Invalid email or password' }, cookies: {} });
    }
  });
});

describe('ClickBit seed: the cookie session', () => {
  it('/user/me needs a session: none is 401 "Not authenticated", a bad cookie 401; a bearer token works too', async () => {
    const anonymous = new Browser(platform.gateway.url);
    expect(await anonymous.send('GET', '/user/me')).toMatchObject({ status: 401, body: NOT_AUTHENTICATED });
    anonymous.jar.set('user_session', 'not.a.token');
    const bad = await anonymous.send('GET', '/user/me');
    expect({ status: bad.status, body: bad.body, challenge: bad.headers.get('www-authenticate') }).toEqual({ status: 401, body: INVALID, challenge: 'Bearer' });

    const token = (await api.post('/api/v1/auth/login', { email: 'jane@example.com', password })).body.accessToken as string;
    const viaBearer = await new Browser(platform.gateway.url).send('GET', '/user/me', { headers: bearer(token) });
    expect({ status: viaBearer.status, body: viaBearer.body }).toEqual({ status: 200, body: user('jane@example.com') });
  });

  it('refuses an unsafe cookie request without the CSRF token (403) or with another session\'s, and accepts the header or the form field', async () => {
    const b = new Browser(platform.gateway.url);
    await b.send('POST', '/user/auth/login', { form: { email: 'jane@example.com', password } });
    const other = new Browser(platform.gateway.url);
    await other.send('POST', '/user/auth/login', { form: { email: 'jane@example.com', password } });
    const form = { current_password: password, new_password: newPassword };

    expect(await b.send('POST', '/user/change-password', { form })).toMatchObject({ status: 403, body: CSRF });
    expect(await b.send('POST', '/user/change-password', { form, headers: { 'x-csrf-token': 'deadbeef.cafe' } })).toMatchObject({ status: 403, body: CSRF });
    expect(await b.send('POST', '/user/change-password', { form, headers: other.csrf() })).toMatchObject({ status: 403, body: CSRF });
    // The cookie alone (a forged cross-site form would carry it) is not enough without the matching header.
    b.jar.set('csrf_token', other.jar.get('csrf_token')!);
    expect(await b.send('POST', '/user/change-password', { form, headers: other.csrf() })).toMatchObject({ status: 403, body: CSRF });
    expect(await b.send('POST', '/user/logout')).toMatchObject({ status: 403, body: CSRF });

    const fresh = await b.send('GET', '/user/csrf-token');
    expect(fresh.status).toBe(200);
    expect(fresh.body).toEqual({ csrf_token: b.jar.get('csrf_token') });
    const wrongCurrent = await b.send('POST', '/user/change-password', { form: { ...form, current_password: 'not my password at all' }, headers: b.csrf() });
    expect({ status: wrongCurrent.status, body: wrongCurrent.body }).toEqual({ status: 400, body: { detail: 'Current password is incorrect' } });
    // The token as a form field (an HTML form cannot set headers).
    const oldSession = b.jar.get('user_session')!;
    const changed = await b.send('POST', '/user/change-password', { form: { ...form, csrf_token: b.jar.get('csrf_token')! } });
    expect({ status: changed.status, body: changed.body }).toEqual({ status: 200, body: { message: 'Password changed successfully' } });
    // The session goes on with a new token and a new CSRF token; every older session is revoked.
    expect(changed.cookies.user_session!.value).not.toBe(oldSession);
    expect(changed.cookies.csrf_token).toBeDefined();
    expect((await b.send('GET', '/user/me')).status).toBe(200);
    const stale = await eventually(async () => {
      const res = await other.send('GET', '/user/csrf-token');
      return res.status === 401 ? res : undefined;
    });
    expect(stale.body).toEqual(INVALID);
    expect((await b.send('POST', '/user/auth/login', { form: { email: 'jane@example.com', password } })).status).toBe(401);
    expect((await new Browser(platform.gateway.url).send('POST', '/user/auth/login', { form: { email: 'jane@example.com', password: newPassword } })).status).toBe(200);
  });

  it('needs no CSRF token with a bearer token, and answers a bearer password change with the replacement token', async () => {
    // An account of its own: a login in the same second as a password change of the account would get a
    // token the gateway counts as revoked (iat has whole seconds), which would trouble the other tests.
    const b = new Browser(platform.gateway.url);
    expect((await b.send('POST', '/user/auth/register', { form: { firstName: 'Bob', email: 'bob@example.com', password } })).status).toBe(200);
    const token = (await api.post('/api/v1/auth/login', { email: 'bob@example.com', password })).body.accessToken as string;
    const res = await b.send('POST', '/user/change-password', { json: { current_password: password, new_password: newPassword }, headers: bearer(token) });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ message: 'Password changed successfully', access_token: expect.any(String), token_type: 'bearer' });
    expect(res.cookies).toEqual({});
    const me = await b.send('GET', '/user/me', { headers: bearer(res.body.access_token) });
    expect(me.status).toBe(200);
    const back = await b.send('POST', '/user/change-password', { json: { current_password: newPassword, new_password: password }, headers: bearer(res.body.access_token) });
    expect(back.status).toBe(200);
  });

  it('logout revokes the session: cookies cleared, and the old cookie is refused afterwards', async () => {
    const b = new Browser(platform.gateway.url);
    await b.send('POST', '/user/auth/login', { form: { email: 'john@example.com', password } });
    const oldCookie = b.jar.get('user_session')!;
    const csrf = b.csrf();
    const out = await b.send('POST', '/user/logout', { headers: csrf });
    expect({ status: out.status, body: out.body }).toEqual({ status: 200, body: { message: 'Logout successful' } });
    for (const name of ['user_session', 'csrf_token']) {
      expect(out.cookies[name]!.value).toBe('');
      expect(Date.parse(String(out.cookies[name]!.attributes.expires))).toBeLessThan(Date.now());
    }
    expect(b.jar.size).toBe(0);

    const replay = new Browser(platform.gateway.url);
    replay.jar.set('user_session', oldCookie);
    expect(await replay.send('GET', '/user/me')).toMatchObject({ status: 401, body: INVALID });
    // The gateway itself refuses it too (no call to auth): the revocation reached it.
    await eventually(async () => (await replay.send('GET', '/user/csrf-token')).status === 401);
    expect(await replay.send('POST', '/user/logout', { headers: csrf })).toMatchObject({ status: 401, body: INVALID });
  });
});

describe('ClickBit seed: health', () => {
  it('/health/ (the platform summary), /health/live and /health/ready answer 200', async () => {
    const summary = await api.get('/health/');
    expect(summary.status).toBe(200);
    expect(summary.body).toMatchObject({ status: 'up', service: 'gateway' });
    expect((await api.get('/health/live')).status).toBe(200);
    expect((await api.get('/health/ready')).status).toBe(200);
  });

  it('/health/database, /health/detailed and /health/metrics answer the seed\'s shapes, without connection details', async () => {
    const database = await api.get('/health/database');
    expect(database.status).toBe(200);
    expect(database.body).toEqual({
      status: 'healthy',
      message: 'Database connection successful',
      timestamp: expect.any(String),
      databases: { auth: { status: 'healthy' }, students: { status: 'healthy' }, organizations: { status: 'healthy' } },
    });
    const detailed = await api.get('/health/detailed');
    expect(detailed.status).toBe(200);
    expect(detailed.body).toEqual({
      status: 'healthy',
      timestamp: expect.any(String),
      version: expect.stringMatching(/^\d+\.\d+\.\d+/),
      environment: 'test',
      checks: {
        database: { status: 'healthy', message: 'Database connection successful' },
        application: { status: 'healthy', message: 'Application is running' },
        auth: { status: 'healthy', message: 'auth is ready' },
        students: { status: 'healthy', message: 'students is ready' },
        organizations: { status: 'healthy', message: 'organizations is ready' },
      },
      uptime_seconds: expect.any(Number),
      memory_usage: { total_gb: expect.any(Number), used_gb: expect.any(Number), percentage: expect.any(Number) },
    });
    expect(Date.parse(detailed.body.timestamp)).not.toBeNaN();
    const metrics = await api.get('/health/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.body).toMatchObject({
      uptime_seconds: expect.any(Number),
      memory: { used_percentage: expect.any(Number), used_gb: expect.any(Number) },
      application: { version: detailed.body.version, environment: 'test' },
    });
    for (const body of [database.body, detailed.body, metrics.body]) expect(JSON.stringify(body)).not.toMatch(/mongodb:|127\.0\.0\.1|localhost|:\d{4,5}/);
  });

  it('/health/full is for admins: 401 without a session, 403 for a user, 200 for an admin by token or cookie', async () => {
    expect(await api.get('/health/full')).toMatchObject({ status: 401, body: NOT_AUTHENTICATED });
    const userToken = (await api.post('/api/v1/auth/login', { email: 'john@example.com', password })).body.accessToken as string;
    expect(await api.get('/health/full', bearer(userToken))).toMatchObject({ status: 403, body: { detail: 'Not enough permissions' } });

    const signup = await api.post('/api/v1/auth/admin-signup', { username: 'clickadmin', email: 'admin@example.com', password });
    expect(signup.status).toBe(201);
    const admin = new Browser(platform.gateway.url);
    const login = await admin.send('POST', '/user/auth/login', { form: { email: 'admin@example.com', password } });
    expect(login.body.user).toEqual(user('admin@example.com', 'admin'));
    const full = await admin.send('GET', '/health/full');
    expect(full.status).toBe(200);
    expect(full.body).toMatchObject({
      status: 'healthy',
      checks: { database: { status: 'healthy' }, application: { status: 'healthy' } },
      system_info: { cpu_count: expect.any(Number), node_version: process.versions.node },
      application_info: { service: 'gateway' },
    });
  });

  it('reports a stopped service, and so its database, as unhealthy with 503', async () => {
    await platform.organizations.stop();
    const database = await api.get('/health/database');
    expect(database.status).toBe(503);
    expect(database.body).toMatchObject({ status: 'unhealthy', message: 'Database connection failed', databases: { organizations: { status: 'unhealthy' }, auth: { status: 'healthy' } } });
    const detailed = await api.get('/health/detailed');
    expect(detailed.status).toBe(503);
    expect(detailed.body.checks.organizations).toEqual({ status: 'unhealthy', message: 'organizations is not ready' });
    expect(detailed.body.checks.application.status).toBe('healthy');
  });
});
