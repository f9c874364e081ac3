import type { IncomingMessage, ServerResponse } from 'node:http';
import request from 'supertest';
import { createHttpApp, finishApp } from '@sms/shared/http';
import { createLogger } from '@sms/shared/logging';
import { readConfig, trustProxySetting } from './config';
import { cors, filterProxiedHeaders, hstsOnlyOverTls, HSTS_VALUE } from './edge';

const logger = createLogger('test', 'silent');

function appWith(trustProxy: false | string[]) {
  const app = createHttpApp({ logger, bodyLimit: '1kb', parseBodies: false });
  app.set('trust proxy', trustProxy);
  hstsOnlyOverTls(app);
  app.use(cors({ origins: ['https://app.example.com'], credentials: true, maxAgeSeconds: 60 }));
  app.get('/x', (_req, res) => void res.json({ ok: true }));
  return finishApp(app, logger);
}

describe('HSTS only over TLS', () => {
  it('is removed from helmet\'s headers over plain HTTP, and a client cannot claim https', async () => {
    const res = await request(appWith(false)).get('/x').set('x-forwarded-proto', 'https');
    expect(res.headers['strict-transport-security']).toBeUndefined();
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });

  it('is sent when a trusted proxy says the request came over TLS', async () => {
    const res = await request(appWith(['loopback'])).get('/x').set('x-forwarded-proto', 'https');
    expect(res.headers['strict-transport-security']).toBe(HSTS_VALUE);
    const errors = await request(appWith(['loopback'])).get('/nowhere').set('x-forwarded-proto', 'https');
    expect(errors.status).toBe(404);
    expect(errors.headers['strict-transport-security']).toBe(HSTS_VALUE);
  });
});

describe('cors', () => {
  it('with credentials: echoes the exact origin with credentials, never *', async () => {
    const res = await request(appWith(false)).get('/x').set('origin', 'https://app.example.com');
    expect(res.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(res.headers['access-control-allow-credentials']).toBe('true');
    const other = await request(appWith(false)).get('/x').set('origin', 'https://evil.example.com');
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    expect(other.headers['access-control-allow-credentials']).toBeUndefined();
  });
});

describe('filterProxiedHeaders', () => {
  it('keeps the gateway\'s security headers, drops the service\'s CORS, HSTS and X-Powered-By, merges Vary', () => {
    const set = new Map<string, string>([['content-security-policy', "default-src 'self'"], ['vary', 'Origin']]);
    const res = {
      hasHeader: (n: string) => set.has(n.toLowerCase()),
      getHeader: (n: string) => set.get(n.toLowerCase()),
      setHeader: (n: string, v: string) => void set.set(n.toLowerCase(), v),
    } as unknown as ServerResponse;
    const proxyRes = { headers: {
      'content-security-policy': 'default-src *', 'x-frame-options': 'DENY', 'x-powered-by': 'Express',
      'strict-transport-security': 'max-age=1', 'access-control-allow-origin': '*', vary: 'Accept-Encoding', 'content-type': 'application/json',
    } } as unknown as IncomingMessage;
    filterProxiedHeaders(proxyRes, res);
    expect(proxyRes.headers).toEqual({ 'x-frame-options': 'DENY', 'content-type': 'application/json' });
    expect(set.get('vary')).toBe('Origin, Accept-Encoding');
  });
});

describe('configuration', () => {
  it('reads TRUST_PROXY as express\'s trust proxy, refusing "true"', () => {
    expect(trustProxySetting(readConfig({}).TRUST_PROXY)).toBe(false);
    expect(trustProxySetting('2')).toBe(2);
    expect(trustProxySetting('loopback, 10.0.0.0/8')).toEqual(['loopback', '10.0.0.0/8']);
    expect(() => readConfig({ TRUST_PROXY: 'true' })).toThrow(/TRUST_PROXY/);
  });

  it('accepts only exact origins in CORS_ORIGINS', () => {
    expect(readConfig({}).CORS_ORIGINS).toEqual([]);
    expect(readConfig({ CORS_ORIGINS: 'https://a.example.com, http://localhost:5173' }).CORS_ORIGINS).toEqual(['https://a.example.com', 'http://localhost:5173']);
    for (const bad of ['*', 'null', 'https://a.example.com/', 'https://a.example.com/path', 'a.example.com']) {
      expect(() => readConfig({ CORS_ORIGINS: bad })).toThrow(/CORS_ORIGINS/);
    }
  });
});
