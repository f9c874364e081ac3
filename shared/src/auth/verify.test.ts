import { createHmac, generateKeyPairSync, sign as cryptoSign, type JsonWebKey, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UnauthorizedError } from '@sms/shared/errors';
import { bearerToken, createTokenVerifier, type AccessClaims } from '@sms/shared/auth';

const ISSUER = 'https://auth.test';
const AUDIENCE = 'sms-api';

interface TestKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  jwk: JsonWebKey;
}

function newKey(kid: string): TestKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return { kid, privateKey, publicKey, jwk: { ...publicKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' } };
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const nowSec = () => Math.floor(Date.now() / 1000);

function claims(overrides: Partial<AccessClaims> = {}): AccessClaims {
  const iat = nowSec();
  return { iss: ISSUER, aud: AUDIENCE, sub: 'user-1', org: 'org-1', role: 'user', sid: 'sess-1', jti: 'jti-1', iat, exp: iat + 300, ...overrides };
}

/** Builds a JWS by hand so that any header, including hostile ones, can be produced. */
function es256(header: Record<string, unknown>, payload: unknown, key: KeyObject): string {
  const input = `${b64(header)}.${b64(payload)}`;
  const sig = cryptoSign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url');
  return `${input}.${sig}`;
}

const valid = (key: TestKey, payload: unknown = claims()) => es256({ alg: 'ES256', typ: 'JWT', kid: key.kid }, payload, key.privateKey);

async function rejection(promise: Promise<unknown>): Promise<UnauthorizedError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UnauthorizedError);
  const u = err as UnauthorizedError;
  expect(u.status).toBe(401);
  expect(['invalid token', 'token expired', 'token not yet valid']).toContain(u.message);
  return u;
}

describe('createTokenVerifier (static keys)', () => {
  const known = newKey('known-kid');
  const attacker = newKey('attacker-kid');
  const keys = jest.fn(() => [known.jwk]);
  const verifier = createTokenVerifier({ keys, issuer: ISSUER, audience: AUDIENCE });

  beforeEach(() => keys.mockClear());

  it('accepts a valid token and returns its claims', async () => {
    const expected = claims({ role: 'admin' });
    await expect(verifier.verify(valid(known, expected))).resolves.toEqual(expected);
  });

  it('strips unknown claims from the result', async () => {
    const result = await verifier.verify(valid(known, { ...claims(), extra: 'x' }));
    expect(result).not.toHaveProperty('extra');
  });

  it('rejects alg "none" (unsigned) before any key lookup', async () => {
    for (const alg of ['none', 'None', 'NONE']) {
      const input = `${b64({ alg, typ: 'JWT', kid: known.kid })}.${b64(claims())}`;
      await rejection(verifier.verify(`${input}.`));
      await rejection(verifier.verify(`${input}.AAAA`));
    }
    expect(keys).not.toHaveBeenCalled();
  });

  it('rejects HS256 signed with the public key PEM as the HMAC secret (algorithm confusion)', async () => {
    const secret = known.publicKey.export({ format: 'pem', type: 'spki' });
    const input = `${b64({ alg: 'HS256', typ: 'JWT', kid: known.kid })}.${b64(claims({ role: 'admin' }))}`;
    const forged = `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
    await rejection(verifier.verify(forged));
    expect(keys).not.toHaveBeenCalled();
  });

  it.each(['RS256', 'ES384', 'PS256', 'EdDSA'])('rejects alg %s', async (alg) => {
    await rejection(verifier.verify(es256({ alg, kid: known.kid }, claims(), known.privateKey)));
    expect(keys).not.toHaveBeenCalled();
  });

  it("rejects an embedded jwk header carrying the attacker's own key", async () => {
    const forged = es256({ alg: 'ES256', kid: known.kid, jwk: attacker.jwk }, claims({ role: 'admin' }), attacker.privateKey);
    await rejection(verifier.verify(forged));
    const forgedNoKid = es256({ alg: 'ES256', jwk: attacker.jwk }, claims({ role: 'admin' }), attacker.privateKey);
    await rejection(verifier.verify(forgedNoKid));
    expect(keys).not.toHaveBeenCalled();
  });

  it('rejects a jku header', async () => {
    const forged = es256({ alg: 'ES256', kid: attacker.kid, jku: 'https://evil.example/jwks.json' }, claims(), attacker.privateKey);
    await rejection(verifier.verify(forged));
    expect(keys).not.toHaveBeenCalled();
  });

  it.each([
    ['jwk', { kty: 'EC' }],
    ['jku', 'https://evil.example/jwks.json'],
    ['x5u', 'https://evil.example/cert.pem'],
    ['x5c', ['MIIB']],
    ['crit', ['exp']],
  ])('rejects a %s header even on a token the real key signed', async (member, value) => {
    await rejection(verifier.verify(es256({ alg: 'ES256', kid: known.kid, [member]: value }, claims(), known.privateKey)));
    expect(keys).not.toHaveBeenCalled();
  });

  it('rejects a token without kid, or with a non-string kid', async () => {
    await rejection(verifier.verify(es256({ alg: 'ES256', typ: 'JWT' }, claims(), known.privateKey)));
    await rejection(verifier.verify(es256({ alg: 'ES256', kid: 42 }, claims(), known.privateKey)));
    await rejection(verifier.verify(es256({ alg: 'ES256', kid: '' }, claims(), known.privateKey)));
    expect(keys).not.toHaveBeenCalled();
  });

  it('rejects an unknown kid', async () => {
    await rejection(verifier.verify(es256({ alg: 'ES256', kid: 'nope' }, claims(), known.privateKey)));
  });

  it('rejects a token signed by an unknown key that reuses a known kid', async () => {
    await rejection(verifier.verify(es256({ alg: 'ES256', kid: known.kid }, claims({ role: 'admin' }), attacker.privateKey)));
  });

  it('rejects a token expired beyond the leeway as "token expired"', async () => {
    const now = nowSec();
    const err = await rejection(verifier.verify(valid(known, claims({ iat: now - 600, exp: now - 30 }))));
    expect(err.message).toBe('token expired');
  });

  it('accepts a token expired within the leeway (default 5 s)', async () => {
    const now = nowSec();
    await expect(verifier.verify(valid(known, claims({ iat: now - 600, exp: now - 2 })))).resolves.toMatchObject({ sub: 'user-1' });
  });

  it('honours a custom leeway', async () => {
    const strict = createTokenVerifier({ keys: () => [known.jwk], issuer: ISSUER, audience: AUDIENCE, clockToleranceSec: 0 });
    const now = nowSec();
    await rejection(strict.verify(valid(known, claims({ iat: now - 600, exp: now - 2 }))));
  });

  it('rejects a token not yet valid (nbf beyond the leeway) and one issued in the future', async () => {
    await rejection(verifier.verify(valid(known, { ...claims(), nbf: nowSec() + 60 })));
    await rejection(verifier.verify(valid(known, claims({ iat: nowSec() + 60, exp: nowSec() + 600 }))));
  });

  it('rejects a wrong issuer', async () => {
    await rejection(verifier.verify(valid(known, claims({ iss: 'https://evil.example' }))));
  });

  it('rejects a wrong audience', async () => {
    await rejection(verifier.verify(valid(known, claims({ aud: 'another-api' }))));
  });

  it('rejects a tampered payload', async () => {
    const [header, , signature] = valid(known).split('.');
    const tampered = `${header}.${b64(claims({ role: 'admin', org: 'org-2' }))}.${signature}`;
    await rejection(verifier.verify(tampered));
  });

  it('rejects payloads that do not match the claims schema', async () => {
    const { role: _role, ...noRole } = claims();
    await rejection(verifier.verify(valid(known, noRole)));
    await rejection(verifier.verify(valid(known, { ...claims(), role: 'superuser' })));
    const { exp: _exp, ...noExp } = claims();
    await rejection(verifier.verify(valid(known, noExp)));
  });

  it('rejects garbage', async () => {
    for (const token of ['', 'abc', 'a.b', 'a.b.c.d', '...', `${'a'.repeat(5000)}.b.c`, 'e30.e30.e30', '!!.??.##']) {
      await rejection(verifier.verify(token));
    }
    await rejection(verifier.verify(undefined as unknown as string));
  });

  it('never reveals library internals', async () => {
    const err = await rejection(verifier.verify(es256({ alg: 'ES256', kid: known.kid }, claims({ aud: 'x' }), known.privateKey)));
    expect(err.message).toBe('invalid token');
  });

  it('refuses a configuration with neither or both key sources', () => {
    expect(() => createTokenVerifier({ issuer: ISSUER, audience: AUDIENCE })).toThrow(/exactly one/);
    expect(() => createTokenVerifier({ keys: () => [], jwksUri: 'http://x', issuer: ISSUER, audience: AUDIENCE })).toThrow(/exactly one/);
  });
});

describe('createTokenVerifier (jwksUri)', () => {
  const a = newKey('key-a');
  const b = newKey('key-b');
  let served: JsonWebKey[] = [];
  let fetches = 0;
  let server: Server;
  let jwksUri: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url !== '/.well-known/jwks.json') {
        res.writeHead(404).end();
        return;
      }
      fetches += 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: served }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    jwksUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  beforeEach(() => {
    fetches = 0;
  });

  const verifierFor = () => createTokenVerifier({ jwksUri, issuer: ISSUER, audience: AUDIENCE });

  it('verifies against the served JWKS and caches it', async () => {
    served = [a.jwk];
    const verifier = verifierFor();
    await expect(verifier.verify(valid(a))).resolves.toMatchObject({ sub: 'user-1', org: 'org-1' });
    await expect(verifier.verify(valid(a))).resolves.toMatchObject({ sub: 'user-1' });
    expect(fetches).toBe(1);
  });

  it('refetches the JWKS on an unknown kid, picking up a rotated-in key', async () => {
    served = [a.jwk];
    const verifier = verifierFor();
    await verifier.verify(valid(a));
    expect(fetches).toBe(1);
    served = [b.jwk];
    await expect(verifier.verify(valid(b))).resolves.toMatchObject({ sub: 'user-1' });
    expect(fetches).toBe(2);
  });

  it('accepts tokens from both keys while both are published (rotation overlap)', async () => {
    served = [b.jwk, a.jwk];
    const verifier = verifierFor();
    await expect(verifier.verify(valid(a))).resolves.toMatchObject({ sub: 'user-1' });
    await expect(verifier.verify(valid(b))).resolves.toMatchObject({ sub: 'user-1' });
  });

  it('rejects a kid the JWKS does not hold, and a forged token reusing a published kid', async () => {
    served = [a.jwk];
    const verifier = verifierFor();
    await rejection(verifier.verify(valid(newKey('ghost'))));
    await rejection(verifier.verify(es256({ alg: 'ES256', kid: a.kid }, claims({ role: 'admin' }), b.privateKey)));
  });

  it('rejects header attacks without contacting the JWKS endpoint', async () => {
    served = [a.jwk];
    const verifier = verifierFor();
    await rejection(verifier.verify(`${b64({ alg: 'none', kid: a.kid })}.${b64(claims())}.`));
    await rejection(verifier.verify(es256({ alg: 'ES256', kid: a.kid, jku: jwksUri }, claims(), a.privateKey)));
    expect(fetches).toBe(0);
  });

  it('answers 401, not a crash, when the JWKS endpoint is unreachable', async () => {
    const verifier = createTokenVerifier({ jwksUri: 'http://127.0.0.1:9/jwks.json', issuer: ISSUER, audience: AUDIENCE });
    await rejection(verifier.verify(valid(a)));
  });
});

describe('bearerToken', () => {
  it('extracts the token, case-insensitively', () => {
    expect(bearerToken('Bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(bearerToken('bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(bearerToken('BEARER   abc-_.def~+/==')).toBe('abc-_.def~+/==');
  });

  it.each([undefined, '', 'Bearer', 'Bearer ', 'Basic dXNlcjpwYXNz', 'Bearerabc', 'Bearer a b', 'Bearer a,b', 'Bearer ä', 'Token abc', 'Bearer a.b.c extra'])(
    'rejects %p',
    (header) => {
      expect(bearerToken(header)).toBeUndefined();
    },
  );

  it('rejects an oversized header', () => {
    expect(bearerToken(`Bearer ${'x'.repeat(10_000)}`)).toBeUndefined();
  });
});

it('ignores private members handed to a static verifier', async () => {
  const k = newKey('with-d');
  const withD = { ...k.privateKey.export({ format: 'jwk' }), kid: k.kid };
  const verifier = createTokenVerifier({ keys: () => [withD], issuer: ISSUER, audience: AUDIENCE });
  await expect(verifier.verify(valid(k))).resolves.toMatchObject({ sub: 'user-1' });
});
