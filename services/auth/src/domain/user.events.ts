import { z } from 'zod';
import { defineEvent, type EventOf } from '@sms/shared/events';

// Public contract on `auth.events`. Never a password, hash or token in any of these.
export const Role = z.enum(['admin', 'user']);
export type Role = z.infer<typeof Role>;

export const UserRegistered = defineEvent(
  'auth.user.registered.v1',
  z.object({ username: z.string(), email: z.string(), role: Role }).strict(),
);
export const UserProfileChanged = defineEvent(
  'auth.user.profile-changed.v1',
  z.object({ username: z.string().optional(), email: z.string().optional() }).strict(),
);
export const UserRoleChanged = defineEvent('auth.user.role-changed.v1', z.object({ role: Role, previousRole: Role }).strict());
export const UserActivationChanged = defineEvent('auth.user.activation-changed.v1', z.object({ active: z.boolean() }).strict());
export const UserPasswordChanged = defineEvent('auth.user.password-changed.v1', z.object({ reset: z.boolean() }).strict());
export const UserDeleted = defineEvent('auth.user.deleted.v1', z.object({}).strict());
/**
 * Every session of the user that started before `revokedBefore` is revoked: the gateway rejects
 * access tokens of this user issued (`iat`) before that instant.
 */
export const UserSessionsRevoked = defineEvent(
  'auth.user.sessions-revoked.v1',
  z.object({ revokedBefore: z.iso.datetime(), reason: z.enum(['logout-everywhere', 'password-changed', 'role-changed', 'deactivated', 'deleted']) }).strict(),
);

export const userEvents = [
  UserRegistered, UserProfileChanged, UserRoleChanged, UserActivationChanged, UserPasswordChanged, UserDeleted, UserSessionsRevoked,
] as const;

export type UserEvent = { [K in keyof typeof userEvents]: EventOf<(typeof userEvents)[K]> }[number];
/** As the decider emits them: type and data only; the store stamps the envelope. */
export type PendingUserEvent = UserEvent extends infer E ? (E extends UserEvent ? { type: E['type']; data: E['data'] } : never) : never;
