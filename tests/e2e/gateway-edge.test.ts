import { startService, type RunningService } from '@sms/shared/service';
import { readConfig, type Config } from '../../services/gateway/src/config';
import { gatewayService } from '../../services/gateway/src/service';
import { answerOf, client, bearer, type Client } from '../support/auth';
import { testEndpoints, unique } from '../support/backbone';
import { startPlatform, type Platform } from '../support/platform';

/**
 * Edge hygiene through the gateway: rate limits (Redis), CORS, security headers, body size. A second
 * gateway in front of the platform's services has low limits and a CORS allow-list; the platform's
 * own gateway has the defaults (no CORS) and limits the other tests never reach.
 */
let platform: Platform;
let edge: RunningService<Config>;
let api: Client;
let plain: Client;
const allowed = 'https://app.example.com';
const password = 'correct horse battery staple';

beforeAll(async () => {
  platform = await startPlatform();
  const { kafkaBrokers, mongoUrl } = testEndpoints();
  const platformConfig = platform.gateway.context.config as Config;
  edge = await startService(gatewayService(readConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    PORT: '0',
    KAFKA_BROKERS: kafkaBrokers.join(','),
    MONGO_URL: mongoUrl,
    AUTH_URL: platformConfig.AUTH_URL,
    STUDENTS_URL: platformConfig.STUDENTS_URL,
    ORGANIZATIONS_URL: platformConfig.ORGANIZATIONS_URL,
    AUTH_EVENTS_TOPIC: platformConfig.AUTH_EVENTS_TOPIC,
    RATE_LIMIT_PREFIX: `test:${unique('gwedge')}`,
    RATE_LIMIT_PER_MINUTE: '100',
    RATE_LIMIT_USER_PER_MINUTE: '5',
    RATE_LIMIT_AUTH_PER_MINUTE: '3',
    CORS_ORIGINS: `${allowed}, http://localhost:5173`,
  })));
  api = client(edge.url);
  plain = client(platform.gateway.url);
});
afterAll(async () => {
  await edge?.stop();
  await platform?.stop();
});

const raw = (url: string, path: string, init: RequestInit = {}) => fetch(`${url}${path}`, init);

describe('rate limits', () => {
  it('answers the 4th login in a minute from one client with 429 and a numeric Retry-After, whatever X-Forwarded-For says', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await api.post('/api/v1/auth/login', { username: 'nobody-here', password: 'wrong password 123' });
      expect(res.status).toBe(401);
    }
    const limited = await api.post('/api/v1/auth/login', { username: 'nobody-here', password: 'wrong password 123' });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(limited.body).toMatchObject({ status: 429, code: 'too_many_requests' });
    const retryAfter = limited.headers.get('retry-after');
    expect(retryAfter).toMatch(/^\d+$/);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(retryAfter)).toBeLessThanOrEqual(60);

    for (const forwarded of ['203.0.113.7', '198.51.100.1, 203.0.113.8']) {
      const spoofed = await api.post('/api/v1/auth/login', { username: 'nobody-here', password: 'x' }, { 'x-forwarded-for': forwarded, 'x-real-ip': forwarded, forwarded: `for=${forwarded}` });
      expect(spoofed.status).toBe(429);
    }
    // One budget for the credential routes: signup and refresh are limited too.
    expect((await api.post('/api/v1/auth/signup', { username: 'edgeuser0', email: 'edgeuser0@example.com', password })).status).toBe(429);
    expect((await api.post('/api/v1/auth/refresh', { refreshToken: 'x' })).status).toBe(429);
    // Other routes keep to the general limit.
    expect((await api.get('/.well-known/jwks.json')).status).toBe(200);
  });

  it('limits each user by the token subject', async () => {
    await plain.post('/api/v1/auth/signup', { username: 'edgeuser', email: 'edgeuser@example.com', password });
    const { accessToken } = (await plain.post('/api/v1/auth/login', { username: 'edgeuser', password })).body as { accessToken: string };
    for (let i = 0; i < 5; i++) expect((await api.get('/api/v1/auth/me', bearer(accessToken))).status).toBe(200);
    const limited = await api.get('/api/v1/auth/me', bearer(accessToken));
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
    // Another client address would not help: the key is the user.
    expect((await api.get('/api/v1/auth/me', { ...bearer(accessToken), 'x-forwarded-for': '203.0.113.9' })).status).toBe(429);
  });
});

describe('CORS', () => {
  it('echoes an allowed origin with Vary: Origin, never *', async () => {
    const res = await raw(edge.url, '/.well-known/jwks.json', { headers: { origin: allowed } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(allowed);
    expect(res.headers.get('vary')).toMatch(/\bOrigin\b/);
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
    expect(res.headers.get('access-control-expose-headers')).toMatch(/X-Request-Id/);
  });

  it('gives an unlisted origin no CORS header', async () => {
    for (const origin of ['https://evil.example.com', 'https://app.example.com.evil.com', 'null', 'http://app.example.com']) {
      const res = await raw(edge.url, '/.well-known/jwks.json', { headers: { origin } });
      expect(res.status).toBe(200);
      expect([...res.headers.keys()].filter((h) => h.startsWith('access-control-'))).toEqual([]);
      expect(res.headers.get('vary')).toMatch(/\bOrigin\b/);
    }
  });

  it('answers a preflight from an allowed origin at the gateway', async () => {
    const res = await raw(edge.url, '/api/v1/students', {
      method: 'OPTIONS',
      headers: { origin: allowed, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type, idempotency-key' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(allowed);
    expect(res.headers.get('access-control-allow-methods')).toMatch(/POST/);
    const allowedHeaders = res.headers.get('access-control-allow-headers')!.toLowerCase().split(/,\s*/);
    expect(allowedHeaders).toEqual(expect.arrayContaining(['authorization', 'content-type', 'idempotency-key', 'if-match']));
    expect(Number(res.headers.get('access-control-max-age'))).toBeGreaterThan(0);
    expect(res.headers.get('vary')).toMatch(/\bOrigin\b/);
  });

  it('does not answer a preflight from an unlisted origin', async () => {
    const res = await raw(edge.url, '/api/v1/students', {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example.com', 'access-control-request-method': 'DELETE' },
    });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(res.headers.get('access-control-allow-methods')).toBeNull();
    expect(res.status).not.toBe(204);
  });

  it('sends no CORS headers at all when no origin is configured', async () => {
    const res = await raw(platform.gateway.url, '/.well-known/jwks.json', { headers: { origin: allowed } });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await raw(platform.gateway.url, '/api/v1/auth/login', { method: 'OPTIONS', headers: { origin: allowed, 'access-control-request-method': 'POST' } });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('security headers', () => {
  const expectEdgeHeaders = (headers: Headers) => {
    expect(headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    expect(headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(headers.get('x-content-type-options')).toBe('nosniff');
    expect(headers.get('x-powered-by')).toBeNull();
    // Plain HTTP, no trusted proxy: no HSTS.
    expect(headers.get('strict-transport-security')).toBeNull();
  };

  it('on the gateway\'s own answers, proxied answers and health, the same values', async () => {
    const own = await raw(platform.gateway.url, '/nowhere');
    const proxied = await raw(platform.gateway.url, '/.well-known/jwks.json');
    const health = await raw(platform.gateway.url, '/health/live');
    expect(own.status).toBe(404);
    expect(proxied.status).toBe(200);
    for (const res of [own, proxied, health]) expectEdgeHeaders(res.headers);
    for (const name of ['content-security-policy', 'x-frame-options', 'x-content-type-options', 'referrer-policy', 'cross-origin-opener-policy']) {
      expect(proxied.headers.get(name)).toBe(own.headers.get(name));
    }
  });

  it('ignores a client\'s X-Forwarded-Proto: no HSTS over plain HTTP', async () => {
    const res = await raw(platform.gateway.url, '/.well-known/jwks.json', { headers: { 'x-forwarded-proto': 'https' } });
    expect(res.headers.get('strict-transport-security')).toBeNull();
  });
});

describe('body encoding', () => {
  it('answers a JSON body in a charset other than UTF-8 with 415 problem+json, from the service through the gateway', async () => {
    const res = await plain.post('/api/v1/auth/login', JSON.stringify({ username: 'nobody-here', password }), { 'content-type': 'application/json; charset=latin1' });
    expect(res.status).toBe(415);
    expect(res.headers.get('content-type')).toMatch(/problem\+json/);
    expect(res.body).toMatchObject({ status: 415, code: 'unsupported_media_type', detail: expect.stringMatching(/charset/) });
  });
});

describe('header size', () => {
  it('answers oversized request headers with a 431 problem, not Node\'s empty answer', async () => {
    const res = await raw(platform.gateway.url, '/api/v1/auth/me', { headers: { 'x-filler': 'a'.repeat(20_000) } });
    expect(res.status).toBe(431);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(await res.json()).toMatchObject({ status: 431, code: 'header_fields_too_large' });
  });
});

describe('body size', () => {
  it('answers a declared oversized body with 413 before it reaches a service', async () => {
    const res = await plain.post('/api/v1/auth/login', { username: 'x'.repeat(200_000), password });
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toMatch(/problem\+json/);
    expect(res.body.code).toBe('payload_too_large');
  });

  /** An oversized JSON body, with its Content-Length or chunked (no length declared). */
  const oversized = async (path: string, sent: 'declared' | 'chunked') => {
    const body = JSON.stringify({ username: 'x'.repeat(200_000), email: 'x@example.com', password });
    const init = { method: 'POST', headers: { 'content-type': 'application/json' }, body: sent === 'chunked' ? new Blob([body]).stream() : body, duplex: 'half' };
    return answerOf(await fetch(`${platform.gateway.url}${path}`, init as RequestInit));
  };
  const TOO_LARGE = 'Request body is too large';

  it.each(['declared', 'chunked'] as const)('answers an oversized %s body in each route family\'s own error shape', async (sent) => {
    const v1 = await oversized('/api/v1/auth/login', sent);
    expect({ status: v1.status, type: v1.headers.get('content-type'), code: v1.body.code }).toEqual({ status: 413, type: expect.stringMatching(/^application\/problem\+json/), code: 'payload_too_large' });
    for (const path of ['/admin-login', '/user/auth/login', '/auth/login']) {
      const seed = await oversized(path, sent);
      expect({ path, status: seed.status, body: seed.body }).toEqual({ path, status: 413, body: { detail: TOO_LARGE } });
    }
    const multitenant = await oversized('/admin/login', sent);
    expect({ status: multitenant.status, body: multitenant.body }).toEqual({ status: 413, body: { success: false, message: TOO_LARGE, detail: TOO_LARGE, data: null } });
  });
});
