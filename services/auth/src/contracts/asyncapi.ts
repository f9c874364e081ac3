/**
 * The public contract of `auth.events` for downstream consumers: an AsyncAPI 3.0 document and a JSON
 * Schema per event type, generated from the zod schemas in domain/*.events.ts, served without a
 * token at /contracts/auth/* (the gateway passes it on at /docs/asyncapi/auth.json).
 */
import { contractRoutes, type TopicContract } from '@sms/shared/openapi';
import { sessionEvents } from '../domain/session.events';
import { userEvents } from '../domain/user.events';

export const CONTRACT_PATH = '/contracts/auth';

const descriptions: Record<string, string> = {
  'auth.user.registered.v1': 'An account was created (signup, an admin, or an organization\'s first admin). Subject = the user id.',
  'auth.user.profile-changed.v1': 'The username or email changed: only what changed is present.',
  'auth.user.role-changed.v1': 'The role changed; `auth.user.sessions-revoked.v1` follows in the same commit.',
  'auth.user.activation-changed.v1': 'The account was deactivated or reactivated; a deactivation revokes its sessions.',
  'auth.user.password-changed.v1': 'The password changed (`reset`: an admin or the organizations service set it).',
  'auth.user.deleted.v1': 'The account was deleted. The last event of its stream.',
  'auth.user.sessions-revoked.v1': 'Every session of the user that started before `revokedBefore` is revoked: refuse its access tokens issued (`iat`) before that instant.',
  'auth.session.started.v1': 'A login opened a session (subject `session-<sid>`); its access tokens carry `sid`.',
  'auth.session.revoked.v1': 'One session ended early: refuse access tokens with this `sid` from now on.',
  'auth.login.throttled.v1': 'Audit: a login was refused with 429 (no password, no client address).',
};

export const authContract = (topic: string): TopicContract => ({
  title: 'Auth events',
  version: '1.0.0',
  description: [
    'Accounts and sessions of every organization (`tenant`). Never a password, hash or token.',
    'Delivery is at least once, in order per stream: consumers deduplicate by `id` or fold by `(subject, version)`.',
    'Types are versioned (`.vN`); skip types you do not know.',
  ].join(' '),
  topic,
  contractPath: CONTRACT_PATH,
  events: [...userEvents, ...sessionEvents],
  descriptions,
  key: 'The stream: the user id, `session-<sid>`, or `login-throttle-<uuid>`; one stream\'s events share a partition, in order.',
});

/** `GET /contracts/auth/asyncapi.json`, `/contracts/auth/schemas`, `/contracts/auth/schemas/<type>.json` (public). */
export const authContractRoutes = (topic: string) => contractRoutes(authContract(topic));
