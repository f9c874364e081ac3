import type { Collection, Db } from 'mongodb';
import type { EventEnvelope } from '@sms/shared/events';
import { deletedOrganizationsOf } from '@sms/shared/tenancy';
import { applyVersioned, ensureVersionIndex, type Projection } from '@sms/shared/projection';
import type { PendingUserEvent, Role } from '../domain/user.events';

/** The users read model: what admin listings and filters read. Deleted users stay as tombstones. */
export interface UserRow {
  _id: string;
  version: number;
  organizationId: string;
  username: string;
  usernameLower: string;
  email: string;
  emailLower: string;
  role: Role;
  active: boolean;
  deleted: boolean;
  createdAt: string;
  updatedAt: string;
}

export const USERS = 'users';
export const usersCollection = (db: Db): Collection<UserRow> => db.collection<UserRow>(USERS);

function changes(event: PendingUserEvent): Partial<UserRow> {
  switch (event.type) {
    case 'auth.user.registered.v1':
      return {
        username: event.data.username,
        usernameLower: event.data.username.toLowerCase(),
        email: event.data.email,
        emailLower: event.data.email.toLowerCase(),
        role: event.data.role,
        active: true,
        deleted: false,
      };
    case 'auth.user.profile-changed.v1':
      return {
        ...(event.data.username ? { username: event.data.username, usernameLower: event.data.username.toLowerCase() } : {}),
        ...(event.data.email ? { email: event.data.email, emailLower: event.data.email.toLowerCase() } : {}),
      };
    case 'auth.user.role-changed.v1':
      return { role: event.data.role };
    case 'auth.user.activation-changed.v1':
      return { active: event.data.active };
    case 'auth.user.deleted.v1':
      // A tombstone keeps no personal data.
      return { deleted: true, active: false, username: '', usernameLower: '', email: '', emailLower: '' };
    default:
      return {}; // password changes and revocations only move the version
  }
}

export const usersProjection: Projection = {
  name: USERS,
  async setup(db) {
    const users = usersCollection(db);
    await ensureVersionIndex(users as unknown as Collection<{ _id: string; version: number }>);
    await users.createIndex({ organizationId: 1, deleted: 1, usernameLower: 1 });
  },
  async reset(db) {
    await usersCollection(db).drop().catch(() => undefined);
  },
  async apply(event: EventEnvelope, db) {
    if (!event.type.startsWith('auth.user.')) return;
    // A deleted organization's rows were removed with it; its late events must not bring them back.
    if (await deletedOrganizationsOf(db).isDeleted(event.tenant)) return;
    const set = { ...changes(event as unknown as PendingUserEvent), organizationId: event.tenant, updatedAt: event.time };
    await applyVersioned(usersCollection(db), event.subject, event.version, {
      $set: set,
      $setOnInsert: { createdAt: event.time },
    });
  },
};
