import { z } from 'zod';
import { defineEvent } from '@sms/shared/events';

/** A login opened a session (stream `session-<sid>`); its tokens carry `sid`. */
export const SessionStarted = defineEvent(
  'auth.session.started.v1',
  z.object({ userId: z.string(), expiresAt: z.iso.datetime() }).strict(),
);

/**
 * One session ended early. The gateway rejects access tokens with this `sid` from then on.
 * `reason`: logout, refresh-token reuse (the token was stolen or replayed), or expiry housekeeping.
 */
export const SessionRevoked = defineEvent(
  'auth.session.revoked.v1',
  z.object({ userId: z.string(), reason: z.enum(['logout', 'refresh-token-reused']) }).strict(),
);


/** Audit: a login was refused because the account or the client is throttled (stream per refusal). */
export const LoginThrottled = defineEvent(
  'auth.login.throttled.v1',
  z.object({ login: z.string(), retryAfterSeconds: z.number().int().positive() }).strict(),
);

export const sessionEvents = [SessionStarted, SessionRevoked, LoginThrottled] as const;
