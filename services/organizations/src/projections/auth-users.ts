import { z } from 'zod';
import { defineEvent } from '@sms/shared/events';

/**
 * What this service reads of auth's public contract on `auth.events` (services/auth/README.md): the
 * user events that make an organization's member directory. Loose on purpose: fields auth adds later
 * do not break this consumer.
 */
const Role = z.enum(['admin', 'user']);
export const authUserEvents = [
  defineEvent('auth.user.registered.v1', z.looseObject({ username: z.string(), email: z.string(), role: Role })),
  defineEvent('auth.user.profile-changed.v1', z.looseObject({ username: z.string().optional(), email: z.string().optional() })),
  defineEvent('auth.user.role-changed.v1', z.looseObject({ role: Role })),
  defineEvent('auth.user.activation-changed.v1', z.looseObject({ active: z.boolean() })),
  defineEvent('auth.user.deleted.v1', z.looseObject({})),
] as const;

export type MemberFields = { username?: string; email?: string; role?: 'admin' | 'user'; active?: boolean; deleted?: boolean };

/** The member fields one auth user event sets. */
export function memberChanges(type: string, data: Record<string, unknown>): MemberFields {
  switch (type) {
    case 'auth.user.registered.v1':
      return { username: String(data.username), email: String(data.email), role: data.role as 'admin' | 'user', active: true, deleted: false };
    case 'auth.user.profile-changed.v1':
      return { ...(data.username ? { username: String(data.username) } : {}), ...(data.email ? { email: String(data.email) } : {}) };
    case 'auth.user.role-changed.v1':
      return { role: data.role as 'admin' | 'user' };
    case 'auth.user.activation-changed.v1':
      return { active: Boolean(data.active) };
    case 'auth.user.deleted.v1':
      return { deleted: true };
    default:
      return {};
  }
}
