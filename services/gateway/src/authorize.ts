import { requireAdmin, type AccessClaims, type TokenVerifier } from '@sms/shared/auth';
import { UnauthorizedError } from '@sms/shared/errors';
import type { RateLimits } from './rate-limits';

/**
 * Verified (possibly from the token cache, token-cache.ts), not revoked, within the per-user limit and
 * of the role asked for: every check but the signature runs on every request.
 */
export function createAuthorize(deps: {
  verifier: TokenVerifier;
  revocations: { isRevoked(claims: AccessClaims): boolean };
  limits: Pick<RateLimits, 'user'>;
}): (token: string | undefined, access: 'member' | 'admin') => Promise<AccessClaims> {
  return async (token, access) => {
    if (!token) throw new UnauthorizedError('a bearer token is required');
    const claims = await deps.verifier.verify(token);
    if (deps.revocations.isRevoked(claims)) throw new UnauthorizedError('token revoked');
    await deps.limits.user(claims.sub);
    if (access === 'admin') requireAdmin(claims);
    return claims;
  };
}
