import { generateKeyPairSync } from 'node:crypto';
import type { RunningService } from '@sms/shared/service';
import { jwkThumbprint } from '../../services/auth/src/tokens/keys';
import { bearer, client, startAuth, type Client } from '../support/auth';
import { unique } from '../support/backbone';

// Rotation without downtime: (1) `old` signs; (2) `new + old`: new signs, both published, old tokens
// still verify; (3) `new` alone: tokens signed by `old` are refused. One database across the restarts,
// because /me also checks that the token's session is open.
function p256() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const { kty, crv, x, y } = publicKey.export({ format: 'jwk' });
  return { pem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), kid: jwkThumbprint({ kty: kty!, crv: crv!, x: x!, y: y! }) };
}

const kidOf = (token: string): string => JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).kid;

const oldKey = p256();
const newKey = p256();
const dbName = unique('t_rotation').replace(/-/g, '_');
const username = unique('rot').replace(/-/g, '');
const password = 'rotation test passphrase';

let auth: RunningService | undefined;
let api: Client;

async function restart(signingKeys: string) {
  await auth?.stop();
  auth = undefined;
  auth = await startAuth({ MONGO_DB: dbName, AUTH_SIGNING_KEYS: signingKeys });
  api = client(auth.url);
}

const login = async () => {
  const res = await api.post('/api/v1/auth/login', { username, password });
  expect(res.status).toBe(200);
  return res.body.accessToken as string;
};
const jwksKids = async () => ((await api.get('/.well-known/jwks.json')).body.keys as Array<{ kid: string }>).map((k) => k.kid);

afterAll(async () => {
  await auth?.context.mongo?.db.dropDatabase().catch(() => undefined);
  await auth?.stop();
});

describe('signing key rotation', () => {
  let oldToken: string;
  let newToken: string;

  it('1. the old key signs and is the only one published', async () => {
    await restart(oldKey.pem);
    expect((await api.post('/api/v1/auth/signup', { username, email: `${username}@example.com`, password })).status).toBe(201);
    oldToken = await login();
    expect(kidOf(oldToken)).toBe(oldKey.kid);
    expect(await jwksKids()).toEqual([oldKey.kid]);
    expect((await api.get('/api/v1/auth/me', bearer(oldToken))).status).toBe(200);
  });

  it('2. new + old: both published, the new one signs, tokens of the old one still work', async () => {
    await restart(`${newKey.pem}${oldKey.pem}`);
    expect(await jwksKids()).toEqual([newKey.kid, oldKey.kid]);
    const me = await api.get('/api/v1/auth/me', bearer(oldToken));
    expect(me.status).toBe(200);
    expect(me.body.user.username).toBe(username);
    newToken = await login();
    expect(kidOf(newToken)).toBe(newKey.kid);
    expect((await api.get('/api/v1/auth/me', bearer(newToken))).status).toBe(200);
  });

  it('3. new alone: the old key is gone and its tokens are refused', async () => {
    await restart(newKey.pem);
    expect(await jwksKids()).toEqual([newKey.kid]);
    const refused = await api.get('/api/v1/auth/me', bearer(oldToken));
    expect(refused.status).toBe(401);
    expect(refused.body.detail).toBe('invalid token'); // the signature, not the session (still open)
    expect((await api.get('/api/v1/auth/me', bearer(newToken))).status).toBe(200);
  });
});
