import { createHash, createPublicKey, generateKeyPairSync, verify as cryptoVerify } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTokenVerifier } from '@sms/shared/auth';
import { jwkThumbprint, loadSigningKeys } from './keys';
import { hashRefreshToken, newRefreshToken, parseRefreshToken, signAccessToken } from './tokens';

/** A fixed key whose RFC 7638 thumbprint was computed independently (jose's calculateJwkThumbprint). */
const FIXED_PEM = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgOLoxXWSLvnnxg6j/
LH82/WG0SijrHdAuSF65jCsfQFOhRANCAASDVN+0YT4QFMcXz0KRGxdHul6ZmvpX
Sszdx/Pl7km/DcljlAdIdI9NHrnQW8KesbBJd/P67d78LHndaQYtOMTC
-----END PRIVATE KEY-----
`;
const FIXED_KID = '5IPjsyIdwH5fyEjtobU3BOsNNiKF2ygrBYUsPnr9xxg';

const newPem = (namedCurve = 'prime256v1') =>
  generateKeyPairSync('ec', { namedCurve }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();

const decode = (token: string) => {
  const [h, p] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(h ?? '', 'base64url').toString()) as Record<string, unknown>,
    payload: JSON.parse(Buffer.from(p ?? '', 'base64url').toString()) as Record<string, unknown>,
  };
};

const ISSUER = 'https://auth.test';
const AUDIENCE = 'sms-api';
const CLAIMS = { sub: 'user-1', org: 'org-1', role: 'admin' as const, sid: 'sess-1' };

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'auth-keys-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('loadSigningKeys', () => {
  it('uses the RFC 7638 JWK thumbprint as kid', () => {
    const ring = loadSigningKeys({ privateKeysPem: FIXED_PEM, keyDir: dir, allowGenerate: false });
    expect(ring.current.kid).toBe(FIXED_KID);
    const { crv, kty, x, y } = ring.current.publicJwk;
    const canonical = `{"crv":"${crv}","kty":"${kty}","x":"${x}","y":"${y}"}`;
    expect(createHash('sha256').update(canonical).digest('base64url')).toBe(FIXED_KID);
    expect(jwkThumbprint(ring.current.publicJwk)).toBe(FIXED_KID);
  });

  it('publishes public members only', () => {
    const ring = loadSigningKeys({ privateKeysPem: FIXED_PEM, keyDir: dir, allowGenerate: false });
    const { keys } = ring.jwks();
    expect(keys).toHaveLength(1);
    for (const jwk of keys) {
      expect(Object.keys(jwk).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
      expect(jwk).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig', kid: FIXED_KID });
      expect(jwk).not.toHaveProperty('d');
      expect(createPublicKey({ key: jwk, format: 'jwk' }).type).toBe('public');
    }
    expect(JSON.stringify(ring.jwks())).not.toContain('"d"');
  });

  it('generates a development key once and reuses it across restarts', () => {
    const keyDir = join(dir, 'nested', 'auth-keys');
    const first = loadSigningKeys({ keyDir, allowGenerate: true });
    expect(readdirSync(keyDir)).toEqual(['current.pem']);
    expect(statSync(join(keyDir, 'current.pem')).mode & 0o777).toBe(0o600);
    const second = loadSigningKeys({ keyDir, allowGenerate: true });
    const third = loadSigningKeys({ privateKeysPem: '  ', keyDir, allowGenerate: true });
    expect(second.current.kid).toBe(first.current.kid);
    expect(third.current.kid).toBe(first.current.kid);
    expect(readdirSync(keyDir)).toEqual(['current.pem']);
  });

  it('signs with the first of several PEM keys and publishes all of them', () => {
    const second = newPem();
    const ring = loadSigningKeys({ privateKeysPem: `${FIXED_PEM}\n${second}`, keyDir: dir, allowGenerate: true });
    expect(ring.current.kid).toBe(FIXED_KID);
    expect(ring.all.map((k) => k.kid)).toEqual([FIXED_KID, ring.all[1]?.kid]);
    expect(ring.all[1]?.kid).not.toBe(FIXED_KID);
    expect(ring.jwks().keys.map((k) => k.kid)).toEqual(ring.all.map((k) => k.kid));
    expect(readdirSync(dir)).toEqual([]); // configured keys never fall back to generation

    const { token } = signAccessToken(ring, CLAIMS, { issuer: ISSUER, audience: AUDIENCE, ttlSeconds: 300 });
    const [h, p, s] = token.split('.');
    expect(decode(token).header).toEqual({ alg: 'ES256', typ: 'JWT', kid: FIXED_KID });
    const signedBy = (i: number) =>
      cryptoVerify('sha256', Buffer.from(`${h}.${p}`), { key: ring.all[i]!.publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(s ?? '', 'base64url'));
    expect(signedBy(0)).toBe(true);
    expect(signedBy(1)).toBe(false);
  });

  it('accepts PEM keys with literal \\n escapes (as pasted into a .env file)', () => {
    const escaped = FIXED_PEM.replace(/\n/g, '\\n');
    expect(loadSigningKeys({ privateKeysPem: escaped, keyDir: dir, allowGenerate: false }).current.kid).toBe(FIXED_KID);
  });

  it('refuses to start in production without keys', () => {
    expect(() => loadSigningKeys({ keyDir: dir, allowGenerate: false })).toThrow(/AUTH_SIGNING_KEYS/);
    expect(() => loadSigningKeys({ privateKeysPem: '', keyDir: dir, allowGenerate: false })).toThrow(/no signing keys/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses unusable key material without echoing it', () => {
    expect(() => loadSigningKeys({ privateKeysPem: 'not a pem', keyDir: dir, allowGenerate: true })).toThrow(/no PEM block/);
    const broken = '-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----';
    expect(() => loadSigningKeys({ privateKeysPem: broken, keyDir: dir, allowGenerate: false })).toThrow(/key #1: not a readable PEM/);
    expect(() => loadSigningKeys({ privateKeysPem: broken, keyDir: dir, allowGenerate: false })).not.toThrow(/c2VjcmV0/);
    expect(() => loadSigningKeys({ privateKeysPem: newPem('secp384r1'), keyDir: dir, allowGenerate: false })).toThrow(/P-256/);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    expect(() => loadSigningKeys({ privateKeysPem: rsa, keyDir: dir, allowGenerate: false })).toThrow(/P-256/);
    expect(() => loadSigningKeys({ privateKeysPem: FIXED_PEM + FIXED_PEM, keyDir: dir, allowGenerate: false })).toThrow(/twice/);
  });
});

describe('signAccessToken', () => {
  it('signs the documented claims, verifiable by the shared verifier against the JWKS', async () => {
    const ring = loadSigningKeys({ keyDir: dir, allowGenerate: true });
    const now = new Date();
    const signed = signAccessToken(ring, CLAIMS, { issuer: ISSUER, audience: AUDIENCE, ttlSeconds: 900, now });
    const iat = Math.floor(now.getTime() / 1000);
    expect(signed.jti).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(signed.expiresAt.getTime()).toBe((iat + 900) * 1000);
    expect(decode(signed.token).payload).toEqual({ ...CLAIMS, iss: ISSUER, aud: AUDIENCE, jti: signed.jti, iat, exp: iat + 900 });

    const verifier = createTokenVerifier({ keys: () => ring.jwks().keys, issuer: ISSUER, audience: AUDIENCE });
    await expect(verifier.verify(signed.token)).resolves.toEqual({ ...CLAIMS, iss: ISSUER, aud: AUDIENCE, jti: signed.jti, iat, exp: iat + 900 });
  });

  it('honours `now` (a token signed in the past is expired)', async () => {
    const ring = loadSigningKeys({ keyDir: dir, allowGenerate: true });
    const { token } = signAccessToken(ring, CLAIMS, { issuer: ISSUER, audience: AUDIENCE, ttlSeconds: 60, now: new Date(Date.now() - 3_600_000) });
    const verifier = createTokenVerifier({ keys: () => ring.jwks().keys, issuer: ISSUER, audience: AUDIENCE });
    await expect(verifier.verify(token)).rejects.toThrow('token expired');
  });

  it('gives every token its own jti', () => {
    const ring = loadSigningKeys({ keyDir: dir, allowGenerate: true });
    const opts = { issuer: ISSUER, audience: AUDIENCE, ttlSeconds: 60 };
    expect(signAccessToken(ring, CLAIMS, opts).jti).not.toBe(signAccessToken(ring, CLAIMS, opts).jti);
  });

  it('refuses nonsense input', () => {
    const ring = loadSigningKeys({ keyDir: dir, allowGenerate: true });
    const opts = { issuer: ISSUER, audience: AUDIENCE, ttlSeconds: 60 };
    expect(() => signAccessToken(ring, CLAIMS, { ...opts, ttlSeconds: 0 })).toThrow(/ttlSeconds/);
    expect(() => signAccessToken(ring, { ...CLAIMS, role: 'root' as 'admin' }, opts)).toThrow(/role/);
    expect(() => signAccessToken(ring, { ...CLAIMS, org: '' }, opts)).toThrow(/org/);
  });
});

describe('refresh tokens', () => {
  it('are <sid>.<32 random bytes base64url>, stored as a SHA-256 hex hash', () => {
    const { token, hash } = newRefreshToken('sess-1');
    expect(token).toMatch(/^sess-1\.[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token.split('.')[1] ?? '', 'base64url')).toHaveLength(32);
    expect(hash).toBe(createHash('sha256').update(token).digest('hex'));
    expect(hashRefreshToken(token)).toBe(hash);
    expect(newRefreshToken('sess-1').token).not.toBe(token);
  });

  it('parse back to their session, and garbage does not', () => {
    const { token, hash } = newRefreshToken('0b7c1f9e-2f4d-4d7e-9a7e-0d3c5e1a2b3c');
    expect(parseRefreshToken(token)).toEqual({ sid: '0b7c1f9e-2f4d-4d7e-9a7e-0d3c5e1a2b3c', hash });
    for (const bad of ['', 'sess-1', 'sess-1.', 'a.b.c', `sess 1.${'A'.repeat(43)}`, `sess-1.${'A'.repeat(42)}`]) {
      expect(parseRefreshToken(bad)).toBeUndefined();
    }
    expect(() => newRefreshToken('has.dot')).toThrow(/sid/);
  });
});
