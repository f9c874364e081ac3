import type { AccessClaims, TokenVerifier } from '@sms/shared/auth';

export interface TokenCacheOptions {
  /** Most tokens kept; the oldest entry goes first. Default 10,000 (a few MB). */
  maxEntries?: number;
  /** Longest an entry is trusted before the token is verified again (a key withdrawn from the JWKS). Default 60 s. */
  maxAgeMs?: number;
  /** The clock, in ms (tests). */
  now?: () => number;
}

/**
 * A bounded cache of verified tokens in front of a verifier: the same token string, seen again before
 * its `exp`, skips the signature check and the claims parsing and gets the claims verified the first
 * time. Only that is skipped: revocation, the per-user limit and the role are checked by the caller on
 * every request (authorize.ts). An entry is never used at or past the token's `exp` (the verifier, asked
 * again, applies its leeway and answers "expired"), nor after `maxAgeMs`. Failures are not cached.
 */
export function cachingVerifier(verifier: TokenVerifier, opts: TokenCacheOptions = {}): TokenVerifier {
  const maxEntries = opts.maxEntries ?? 10_000;
  const maxAgeMs = opts.maxAgeMs ?? 60_000;
  const now = opts.now ?? Date.now;
  const entries = new Map<string, { claims: AccessClaims; until: number }>();
  return {
    async verify(token: string): Promise<AccessClaims> {
      const at = now();
      const hit = entries.get(token);
      if (hit && at < hit.until) return hit.claims;
      if (hit) entries.delete(token);
      const claims = await verifier.verify(token);
      const until = Math.min(claims.exp * 1000, now() + maxAgeMs);
      if (until > now()) {
        if (entries.size >= maxEntries) entries.delete(entries.keys().next().value!);
        entries.set(token, { claims, until });
      }
      return claims;
    },
  };
}
