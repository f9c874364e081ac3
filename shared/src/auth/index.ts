import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { JwksClient } from 'jwks-rsa';
import { z } from 'zod';
import { ForbiddenError, UnauthorizedError } from '../errors';

/**
 * Access-token verification, shared by the gateway and by every service (defence in depth).
 *
 * Tokens are ES256 JWTs signed by auth; public keys come from auth's JWKS (`jwksUri`) or, inside
 * auth itself, from its key ring (`keys`). The header is screened before any key lookup: only
 * `alg: ES256`, a `kid` is required, and no embedded or remote key references (`jwk`, `jku`, `x5u`,
 * `x5c`, also `x5t`/`crit`) are tolerated. Every failure is an `UnauthorizedError` with a short,
 * client-safe message.
 */

export const ACCESS_TOKEN_ALG = 'ES256';

export const ROLES = ['admin', 'user'] as const;
export type Role = (typeof ROLES)[number];

/** The verified payload. Unknown claims are stripped, not refused (forward compatible). */
export const AccessClaimsSchema = z.object({
  iss: z.string().min(1),
  aud: z.string().min(1),
  sub: z.string().min(1).max(256),
  org: z.string().min(1).max(256),
  role: z.enum(ROLES),
  sid: z.string().min(1).max(256),
  jti: z.string().min(1).max(256),
  iat: z.number().int(),
  exp: z.number().int(),
});

export type AccessClaims = z.infer<typeof AccessClaimsSchema>;

export interface TokenVerifierOptions {
  /** auth's `/.well-known/jwks.json`; keys are cached (10 min), refetched on an unknown kid, rate limited. */
  jwksUri?: string;
  /** Or the public JWKs directly (auth verifying its own tokens, tests). Exactly one of the two. */
  keys?: () => Promise<JsonWebKey[]> | JsonWebKey[];
  issuer: string;
  audience: string;
  /** Leeway for `exp`/`nbf`/`iat`, seconds. Default 5. */
  clockToleranceSec?: number;
}

export interface TokenVerifier {
  verify(token: string): Promise<AccessClaims>;
}

/** Longest token accepted at all; ours are ~500 bytes. */
const MAX_TOKEN_LENGTH = 4096;
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const KID = /^[\x21-\x7e]{1,256}$/;
/** Header members that carry or point at keys, or demand extensions we do not implement. */
const FORBIDDEN_HEADER_MEMBERS = ['jwk', 'jku', 'x5u', 'x5c', 'x5t', 'x5t#S256', 'crit'];

const invalid = () => new UnauthorizedError('invalid token');

/** Parses and screens the JOSE header; throws before any key lookup. Returns the kid. */
function screenHeader(token: string): string {
  if (token.length > MAX_TOKEN_LENGTH || !JWT_SHAPE.test(token)) throw invalid();
  const encoded = token.slice(0, token.indexOf('.'));
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw invalid();
  const h = header as Record<string, unknown>;
  if (h.alg !== ACCESS_TOKEN_ALG) throw invalid();
  if (FORBIDDEN_HEADER_MEMBERS.some((m) => Object.hasOwn(h, m))) throw invalid();
  if (typeof h.kid !== 'string' || !KID.test(h.kid)) throw invalid();
  return h.kid;
}

type KeyLookup = (kid: string) => Promise<KeyObject | string>;

function jwksLookup(jwksUri: string): KeyLookup {
  const client = new JwksClient({
    jwksUri,
    cache: true,
    cacheMaxAge: 10 * 60_000,
    cacheMaxEntries: 16,
    rateLimit: true,
    jwksRequestsPerMinute: 10,
    timeout: 5_000,
  });
  // Parsing the PEM into a key object on every verification was a fifth of the gateway's CPU per request.
  const objects = new Map<string, KeyObject>();
  return async (kid) => {
    // An unknown kid misses the cache and refetches the JWKS (rate limited): that is how a rotated-in key is picked up.
    const key = await client.getSigningKey(kid);
    if (key.alg !== undefined && key.alg !== ACCESS_TOKEN_ALG) throw invalid();
    const pem = key.getPublicKey();
    let object = objects.get(pem);
    if (!object) {
      if (objects.size >= 16) objects.clear();
      object = createPublicKey(pem);
      objects.set(pem, object);
    }
    return object;
  };
}

function staticLookup(keys: () => Promise<JsonWebKey[]> | JsonWebKey[]): KeyLookup {
  const imported = new WeakMap<JsonWebKey, KeyObject>();
  return async (kid) => {
    const jwk = (await keys()).find((k) => k.kid === kid);
    if (!jwk || jwk.kty !== 'EC' || jwk.crv !== 'P-256') throw invalid();
    if ((jwk.alg !== undefined && jwk.alg !== ACCESS_TOKEN_ALG) || (jwk.use !== undefined && jwk.use !== 'sig')) throw invalid();
    let key = imported.get(jwk);
    if (!key) {
      // Public members only, whatever the caller handed us.
      key = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y }, format: 'jwk' });
      imported.set(jwk, key);
    }
    return key;
  };
}

export function createTokenVerifier(opts: TokenVerifierOptions): TokenVerifier {
  if ((opts.jwksUri === undefined) === (opts.keys === undefined)) {
    throw new Error('createTokenVerifier: give exactly one of jwksUri or keys');
  }
  if (!opts.issuer || !opts.audience) throw new Error('createTokenVerifier: issuer and audience are required');
  const clockTolerance = opts.clockToleranceSec ?? 5;
  if (!Number.isFinite(clockTolerance) || clockTolerance < 0) throw new Error('createTokenVerifier: clockToleranceSec must be >= 0');
  const lookup = opts.keys !== undefined ? staticLookup(opts.keys) : jwksLookup(opts.jwksUri ?? '');

  return {
    async verify(token: string): Promise<AccessClaims> {
      if (typeof token !== 'string') throw invalid();
      const kid = screenHeader(token);
      let key: KeyObject | string;
      try {
        key = await lookup(kid);
      } catch {
        // Unknown kid, JWKS unreachable or rate limited: the client only learns the token was not accepted.
        throw invalid();
      }
      let payload: unknown;
      try {
        payload = jwt.verify(token, key, {
          algorithms: [ACCESS_TOKEN_ALG],
          issuer: opts.issuer,
          audience: opts.audience,
          clockTolerance,
        });
      } catch (err) {
        if (err instanceof jwt.TokenExpiredError) throw new UnauthorizedError('token expired');
        if (err instanceof jwt.NotBeforeError) throw new UnauthorizedError('token not yet valid');
        throw invalid();
      }
      const parsed = AccessClaimsSchema.safeParse(payload);
      if (!parsed.success) throw invalid();
      // jsonwebtoken does not look at iat; a token issued in the future was not issued by a sane clock.
      if (parsed.data.iat > Date.now() / 1000 + clockTolerance) throw invalid();
      return parsed.data;
    },
  };
}

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/** The token of an `Authorization: Bearer <token>` header (RFC 6750 b64token), or undefined. */
export function bearerToken(authorizationHeader?: string): string | undefined {
  if (typeof authorizationHeader !== 'string' || authorizationHeader.length > MAX_TOKEN_LENGTH + 64) return undefined;
  return BEARER.exec(authorizationHeader)?.[1];
}

/** The admin half of the route policy, for the gateway and for every service's own check. */
export function requireAdmin<C extends Pick<AccessClaims, 'role'>>(claims: C): C {
  if (claims.role !== 'admin') throw new ForbiddenError('admin role required');
  return claims;
}

type WithClaims = { claims?: AccessClaims };

/**
 * Express middleware for a service's own check (defence in depth): a valid bearer token is required,
 * its claims are kept on the request for `claimsOf`. With `optional`, a request without a token passes
 * as anonymous, but a token that is sent must be valid.
 */
export function requireToken(verifier: TokenVerifier, options: { optional?: boolean } = {}) {
  return async (req: { get(name: string): string | undefined }, _res: unknown, next: () => void): Promise<void> => {
    const token = bearerToken(req.get('authorization'));
    if (token) (req as WithClaims).claims = await verifier.verify(token);
    else if (!options.optional) throw new UnauthorizedError('a bearer token is required');
    next();
  };
}

/** The claims `requireToken` verified; throws 401 where none were (an anonymous request). */
export function claimsOf(req: object): AccessClaims {
  const claims = (req as WithClaims).claims;
  if (!claims) throw new UnauthorizedError('a bearer token is required');
  return claims;
}

/** The claims of an optional token, or undefined for an anonymous request. */
export const maybeClaimsOf = (req: object): AccessClaims | undefined => (req as WithClaims).claims;
