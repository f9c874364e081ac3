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

export const sessionEvents = [SessionStarted, SessionRevoked] as const;
