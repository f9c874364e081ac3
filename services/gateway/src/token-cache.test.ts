import { UnauthorizedError } from '@sms/shared/errors';
import type { AccessClaims, TokenVerifier } from '@sms/shared/auth';
import { createAuthorize } from './authorize';
import { Revocations } from './revocations';
import { cachingVerifier } from './token-cache';

const T0 = Date.parse('2026-11-30T10:00:00Z');
const claims = (overrides: Partial<AccessClaims> = {}): AccessClaims => ({
  iss: 'auth', aud: 'sms', sub: 'user-1', org: 'org-1', role: 'user', sid: 'session-1', jti: 'jti-1',
  iat: T0 / 1000, exp: T0 / 1000 + 900, ...overrides,
});

/** A verifier that counts its calls and refuses a token once the clock is past its exp (no leeway). */
function fakeVerifier(clock: { now: number }, issued: Map<string, AccessClaims>) {
  const calls = { n: 0 };
  const verifier: TokenVerifier = {
    verify: async (token) => {
      calls.n += 1;
      const c = issued.get(token);
      if (!c) throw new UnauthorizedError('invalid token');
      if (clock.now >= c.exp * 1000) throw new UnauthorizedError('token expired');
      return c;
    },
  };
  return { verifier, calls };
}

const setup = (options: { maxEntries?: number } = {}) => {
  const clock = { now: T0 };
  const issued = new Map([['token-a', claims()], ['token-b', claims({ sid: 'session-2', jti: 'jti-2' })]]);
  const { verifier, calls } = fakeVerifier(clock, issued);
  const cached = cachingVerifier(verifier, { now: () => clock.now, ...options });
  const revocations = new Revocations(900_000);
  const users: string[] = [];
  const authorize = createAuthorize({ verifier: cached, revocations, limits: { user: async (sub) => void users.push(sub) } });
  return { clock, calls, cached, revocations, users, authorize };
};
const revoked = (sid: string) => Buffer.from(JSON.stringify({ type: 'auth.session.revoked.v1', subject: `session-${sid}`, time: new Date(T0).toISOString() }));
const refusal = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e);

describe('the gateway token cache', () => {
  describe('when a token was verified once', () => {
    it('is not verified again, but the per-user limit is counted on every request', async () => {
      const { calls, authorize, users } = setup();
      await authorize('token-a', 'member');
      await authorize('token-a', 'member');
      expect(calls.n).toBe(1);
      expect(users).toEqual(['user-1', 'user-1']);
    });

    it('is refused once its session is revoked', async () => {
      const { authorize, revocations } = setup();
      await authorize('token-a', 'member');
      revocations.apply(revoked('session-1'));
      const err = await refusal(authorize('token-a', 'member'));
      expect(err).toBeInstanceOf(UnauthorizedError);
      expect((err as Error).message).toBe('token revoked');
      await expect(authorize('token-b', 'member')).resolves.toMatchObject({ sid: 'session-2' });
    });

    it('is refused once expired, and verified again rather than served from the cache', async () => {
      const { clock, calls, authorize } = setup();
      await authorize('token-a', 'member');
      clock.now = T0 + 900_000;
      const err = await refusal(authorize('token-a', 'member'));
      expect(err).toBeInstanceOf(UnauthorizedError);
      expect((err as Error).message).toBe('token expired');
      expect(calls.n).toBe(2);
    });

    it('still needs the admin role on an admin route', async () => {
      const { authorize } = setup();
      await authorize('token-a', 'member');
      await expect(authorize('token-a', 'admin')).rejects.toThrow('admin role required');
    });

    it('is verified again after a minute (a key withdrawn from the JWKS)', async () => {
      const { clock, calls, cached } = setup();
      await cached.verify('token-a');
      clock.now = T0 + 60_000;
      await cached.verify('token-a');
      expect(calls.n).toBe(2);
    });
  });

  describe('when a token is refused', () => {
    it('is not cached: every attempt is verified', async () => {
      const { calls, cached } = setup();
      await expect(cached.verify('forged')).rejects.toBeInstanceOf(UnauthorizedError);
      await expect(cached.verify('forged')).rejects.toBeInstanceOf(UnauthorizedError);
      expect(calls.n).toBe(2);
    });
  });

  describe('when full', () => {
    it('drops the oldest token first', async () => {
      const { calls, cached } = setup({ maxEntries: 1 });
      await cached.verify('token-a');
      await cached.verify('token-b');
      await cached.verify('token-b');
      expect(calls.n).toBe(2);
      await cached.verify('token-a');
      expect(calls.n).toBe(3);
    });
  });
});
