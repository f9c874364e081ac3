import { createHash, randomBytes, randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { SIGNING_ALG, type KeyRing } from './keys';

export type Role = 'admin' | 'user';

export interface AccessTokenClaims {
  sub: string;
  org: string;
  role: Role;
  sid: string;
}

export interface SignAccessTokenOptions {
  issuer: string;
  audience: string;
  ttlSeconds: number;
  now?: Date;
}

export interface SignedAccessToken {
  token: string;
  expiresAt: Date;
  jti: string;
}

const ROLES: readonly Role[] = ['admin', 'user'];

/** A short-lived ES256 access JWT: header `{alg: ES256, typ: JWT, kid}`, claims `iss aud sub org role sid jti iat exp`. */
export function signAccessToken(ring: KeyRing, claims: AccessTokenClaims, opts: SignAccessTokenOptions): SignedAccessToken {
  if (!Number.isInteger(opts.ttlSeconds) || opts.ttlSeconds <= 0) throw new Error('ttlSeconds must be a positive integer');
  if (!ROLES.includes(claims.role)) throw new Error('role must be admin or user');
  for (const name of ['sub', 'org', 'sid'] as const) {
    if (typeof claims[name] !== 'string' || claims[name] === '') throw new Error(`${name} must be a non-empty string`);
  }
  const iat = Math.floor((opts.now ?? new Date()).getTime() / 1000);
  const exp = iat + opts.ttlSeconds;
  const jti = randomUUID();
  const token = jwt.sign({ org: claims.org, role: claims.role, sid: claims.sid, iat, exp }, ring.current.privateKey, {
    algorithm: SIGNING_ALG,
    keyid: ring.current.kid,
    issuer: opts.issuer,
    audience: opts.audience,
    subject: claims.sub,
    jwtid: jti,
  });
  return { token, expiresAt: new Date(exp * 1000), jti };
}

/**
 * Refresh tokens are opaque, not JWTs: `<sid>.<32 random bytes, base64url>`. Only the SHA-256 (hex) is
 * stored; the sid prefix lets the refresh endpoint find the session (and revoke it on reuse).
 */
export interface RefreshToken {
  token: string;
  hash: string;
}

const SID = /^[A-Za-z0-9_-]{1,128}$/;
const REFRESH_TOKEN = /^([A-Za-z0-9_-]{1,128})\.([A-Za-z0-9_-]{43})$/;

export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function newRefreshToken(sid: string): RefreshToken {
  if (!SID.test(sid)) throw new Error('sid must match [A-Za-z0-9_-]{1,128}');
  const token = `${sid}.${randomBytes(32).toString('base64url')}`;
  return { token, hash: hashRefreshToken(token) };
}

/** The session a presented refresh token claims to belong to, or undefined when it is not shaped like one. */
export function parseRefreshToken(token: string): { sid: string; hash: string } | undefined {
  const match = REFRESH_TOKEN.exec(token);
  if (!match?.[1]) return undefined;
  return { sid: match[1], hash: hashRefreshToken(token) };
}
