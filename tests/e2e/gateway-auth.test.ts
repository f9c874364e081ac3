import { generateKeyPairSync } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { bearer, client, type Client } from '../support/auth';
import { eventually } from '../support/backbone';
import { startPlatform, type Platform } from '../support/platform';

let platform: Platform;
let api: Client;
const password = 'correct horse battery staple';

beforeAll(async () => {
  platform = await startPlatform();
  api = client(platform.gateway.url);
});
afterAll(() => platform.stop());

async function member(username: string) {
  await api.post('/api/v1/auth/signup', { username, email: `${username}@example.com`, password });
  return (await api.post('/api/v1/auth/login', { username, password })).body as { accessToken: string; refreshToken: string };
}

describe('through the gateway', () => {
  it('signup, login and me work end to end', async () => {
    const tokens = await member('gwuser');
    const me = await api.get('/api/v1/auth/me', bearer(tokens.accessToken));
    expect(me.status).toBe(200);
    expect(me.body.user.username).toBe('gwuser');
    expect(me.headers.get('x-request-id')).toBeTruthy();
  });

  it('applies the route policy: public, member (401 without a token), admin (403 for a user)', async () => {
    const tokens = await member('gwpolicy');
    expect((await api.get('/.well-known/jwks.json')).status).toBe(200);
    expect((await api.get('/api/v1/auth/me')).status).toBe(401);
    const forbidden = await api.get('/api/v1/users', bearer(tokens.accessToken));
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.detail).toBe('admin role required');
    expect((await api.get('/internal/v1/organizations/x/first-admin')).status).toBe(404);
    expect((await api.get('/nowhere')).status).toBe(404);
    const wrongMethod = await api.get('/api/v1/auth/login');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST');
  });

  describe('rejects forged tokens with 401', () => {
    let real: string;
    beforeAll(async () => {
      real = (await member('gwforge')).accessToken;
    });
    const parts = () => real.split('.') as [string, string, string];
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const header = () => JSON.parse(Buffer.from(parts()[0], 'base64url').toString()) as { kid: string };
    const payload = () => JSON.parse(Buffer.from(parts()[1], 'base64url').toString()) as Record<string, unknown>;

    it.each([
      ['alg none', () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...payload(), role: 'admin' })}.`],
      ['HS256 signed with the public key', async () => {
        const jwks = (await api.get('/.well-known/jwks.json')).body as { keys: object[] };
        return jwt.sign({ ...payload(), role: 'admin' }, JSON.stringify(jwks.keys[0]), { algorithm: 'HS256', header: { alg: 'HS256', kid: header().kid } as never, noTimestamp: true });
      }],
      ['an embedded jwk', () => {
        const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
        return jwt.sign({ ...payload(), role: 'admin' }, privateKey, { algorithm: 'ES256', header: { alg: 'ES256', kid: header().kid, jwk: publicKey.export({ format: 'jwk' }) } as never, noTimestamp: true });
      }],
      ['an unknown key', () => {
        const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
        return jwt.sign({ ...payload(), role: 'admin' }, privateKey, { algorithm: 'ES256', keyid: 'not-a-known-kid', noTimestamp: true });
      }],
      ['a tampered payload', () => `${parts()[0]}.${b64({ ...payload(), role: 'admin' })}.${parts()[2]}`],
      ['an expired token', () => {
        const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
        return jwt.sign({ ...payload(), exp: Math.floor(Date.now() / 1000) - 3600 }, privateKey, { algorithm: 'ES256', keyid: header().kid, noTimestamp: true });
      }],
    ])('%s', async (_case, forge) => {
      const token = await forge();
      const res = await api.get('/api/v1/users', bearer(token));
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toMatch(/problem\+json/);
    });
  });

  it('stops accepting a logged-out token within about a second, without asking auth', async () => {
    const tokens = await member('gwlogout');
    expect((await api.post('/api/v1/auth/logout', undefined, bearer(tokens.accessToken))).status).toBe(204);
    const started = Date.now();
    const refused = await eventually(async () => {
      const res = await api.get('/api/v1/auth/me', bearer(tokens.accessToken));
      return res.body?.detail === 'token revoked' ? res : undefined;
    }, 5_000, 'the gateway to learn the revocation');
    expect(refused.status).toBe(401);
    process.stdout.write(`revocation reached the gateway in ${Date.now() - started} ms\n`);
  });

  it('strips identity headers a client sends, and answers oversized bodies with 413', async () => {
    const res = await api.post('/api/v1/auth/login', { username: 'x'.repeat(200_000), password }, { 'x-user-role': 'admin' });
    expect(res.status).toBe(413);
  });

  it('answers 503 at once when a service is down', async () => {
    await platform.auth.stop();
    const started = Date.now();
    const res = await api.post('/api/v1/auth/login', { username: 'gwuser', password });
    expect(res.status).toBe(503);
    expect(res.body.detail).toBe('auth is unavailable');
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
