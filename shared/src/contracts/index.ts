import { z } from 'zod';
import { defineEvent, type EventOf } from '../events';

/**
 * Public contract of `organizations.events`, in the shared library because other services react to
 * it: auth (users of a deleted organization), students (its students) and the gateway (its tokens).
 * Subject = tenant = the organization id, which never changes (a rename changes only the name).
 * Never a password or hash in any of these.
 */
export const ORGANIZATIONS_TOPIC = 'organizations.events';

export const OrganizationCreated = defineEvent(
  'organizations.organization.created.v1',
  z.object({ name: z.string(), adminUserId: z.string(), adminEmail: z.string(), created_at: z.iso.datetime() }).strict(),
);
export const OrganizationRenamed = defineEvent(
  'organizations.organization.renamed.v1',
  z.object({ name: z.string(), previousName: z.string(), renamed_at: z.iso.datetime() }).strict(),
);
export const OrganizationAdminChanged = defineEvent(
  'organizations.organization.admin-changed.v1',
  z.object({ adminEmail: z.string(), previousAdminEmail: z.string(), changed_at: z.iso.datetime() }).strict(),
);
/** The organization is gone: its users, tokens, students and collections go with it. The last event of its stream. */
export const OrganizationDeleted = defineEvent(
  'organizations.organization.deleted.v1',
  z.object({ name: z.string(), deleted_at: z.iso.datetime() }).strict(),
);

export const organizationEvents = [OrganizationCreated, OrganizationRenamed, OrganizationAdminChanged, OrganizationDeleted] as const;

export type OrganizationEvent = { [K in keyof typeof organizationEvents]: EventOf<(typeof organizationEvents)[K]> }[number];
export type PendingOrganizationEvent = OrganizationEvent extends infer E
  ? (E extends OrganizationEvent ? { type: E['type']; data: E['data'] } : never)
  : never;
