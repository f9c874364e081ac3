import type { Collection, Db } from 'mongodb';
import type { PendingOrganizationEvent } from '@sms/shared/contracts';
import type { EventEnvelope } from '@sms/shared/events';
import { applyVersioned, ensureVersionIndex, type Projection, type VersionedDocument } from '@sms/shared/projection';
import { collectionOf, nameKey } from '../domain/name';
import { memberChanges, type MemberFields } from './auth-users';

/**
 * The master collection (`organizations`: one row per organization, what lists read) and one
 * collection per organization, `org_<name>`: its member directory, built from auth's user events,
 * renamed with the organization and dropped with it. A deleted organization leaves a tombstone with
 * nothing but its id and version, so a late redelivery cannot bring it back.
 */
export interface OrganizationRow extends VersionedDocument {
  name: string;
  nameKey: string;
  collection_name: string;
  admin_email: string;
  admin_user_id: string;
  created_at: string;
  updated_at: string;
  is_active: boolean;
  deleted?: true;
}

export interface MemberRow extends VersionedDocument, MemberFields {
  updated_at: string;
}

/** A user event that came before its organization's `created` (two topics, no order between them). */
interface ParkedMember {
  _id: string;
  org: string;
  version: number;
  fields: MemberFields;
  parkedAt: Date;
}

export const ORGANIZATIONS = 'organizations';
const PARKED = 'members_waiting_for_organization';
/** Parked members of an organization that never came (a creation that was compensated) are dropped after this. */
const PARK_TTL_MS = 10 * 60_000;

export const organizationsCollection = (db: Db) => db.collection<OrganizationRow>(ORGANIZATIONS);
const parked = (db: Db) => db.collection<ParkedMember>(PARKED);
const members = (db: Db, collection: string) => db.collection<MemberRow>(collection);
const asVersioned = <T extends VersionedDocument>(c: Collection<T>) => c as unknown as Collection<VersionedDocument>;

/** Filtered on this side: mongo-java-server ignores a `listCollections` filter and lists them all. */
async function collectionExists(db: Db, name: string): Promise<boolean> {
  return (await db.listCollections({}, { nameOnly: true }).toArray()).some((c) => c.name === name);
}

async function applyOrganizationEvent(event: EventEnvelope, db: Db): Promise<void> {
  const e = event as unknown as PendingOrganizationEvent;
  const rows = organizationsCollection(db);
  const row = await rows.findOne({ _id: event.subject });
  if (row && row.version >= event.version) return;
  switch (e.type) {
    case 'organizations.organization.created.v1': {
      const collection = collectionOf(e.data.name);
      if (!(await collectionExists(db, collection))) await db.createCollection(collection);
      await ensureVersionIndex(asVersioned(members(db, collection)));
      await applyVersioned(rows, event.subject, event.version, {
        $set: {
          name: e.data.name, nameKey: nameKey(e.data.name), collection_name: collection, admin_email: e.data.adminEmail,
          admin_user_id: e.data.adminUserId, created_at: e.data.created_at, updated_at: e.data.created_at, is_active: true,
        },
      });
      for (const waiting of await parked(db).find({ org: event.subject }).toArray()) {
        await applyVersioned(members(db, collection), waiting._id, waiting.version, { $set: { ...waiting.fields, updated_at: event.time } });
        await parked(db).deleteOne({ _id: waiting._id });
      }
      return;
    }
    case 'organizations.organization.renamed.v1': {
      const from = collectionOf(e.data.previousName);
      const to = collectionOf(e.data.name);
      // Idempotent: after a crash between the rename and the row update, `from` is gone and `to` exists.
      if (from !== to && (await collectionExists(db, from)) && !(await collectionExists(db, to))) await db.renameCollection(from, to);
      await applyVersioned(rows, event.subject, event.version, {
        $set: { name: e.data.name, nameKey: nameKey(e.data.name), collection_name: to, updated_at: e.data.renamed_at },
      });
      return;
    }
    case 'organizations.organization.admin-changed.v1':
      await applyVersioned(rows, event.subject, event.version, { $set: { admin_email: e.data.adminEmail, updated_at: e.data.changed_at } });
      return;
    case 'organizations.organization.deleted.v1': {
      const collection = collectionOf(e.data.name);
      // The name may already belong to a newer organization whose `created` was projected first.
      const reused = await rows.findOne({ collection_name: collection, _id: { $ne: event.subject } });
      if (!reused && (await collectionExists(db, collection))) await db.dropCollection(collection);
      await parked(db).deleteMany({ org: event.subject });
      await applyVersioned(rows, event.subject, event.version, {
        $set: { deleted: true, is_active: false },
        $unset: { name: '', nameKey: '', collection_name: '', admin_email: '', admin_user_id: '', created_at: '', updated_at: '' },
      });
      return;
    }
    default:
  }
}

async function applyUserEvent(event: EventEnvelope, db: Db): Promise<void> {
  const fields = memberChanges(event.type, event.data);
  const org = await organizationsCollection(db).findOne({ _id: event.tenant });
  if (org?.deleted) return;
  if (!org) {
    // The default organization has no row and no directory; any other may not have been projected yet.
    if (event.tenant === 'default') return;
    const waiting = await parked(db).findOne({ _id: event.subject });
    if (waiting && waiting.version >= event.version) return;
    await parked(db).updateOne(
      { _id: event.subject },
      { $set: { org: event.tenant, version: event.version, fields: { ...waiting?.fields, ...fields }, parkedAt: new Date() } },
      { upsert: true },
    );
    await parked(db).deleteMany({ parkedAt: { $lt: new Date(Date.now() - PARK_TTL_MS) } });
    return;
  }
  // A deleted member leaves a tombstone without personal data.
  const set = fields.deleted ? { deleted: true, active: false, updated_at: event.time } : { ...fields, updated_at: event.time };
  const unset = fields.deleted ? { username: '', email: '', role: '' } : undefined;
  await applyVersioned(members(db, org.collection_name), event.subject, event.version, { $set: set, ...(unset ? { $unset: unset } : {}) });
}

export const organizationsProjection: Projection = {
  name: ORGANIZATIONS,
  async setup(db) {
    await ensureVersionIndex(asVersioned(organizationsCollection(db)));
  },
  async reset(db) {
    for (const { name } of await db.listCollections({}, { nameOnly: true }).toArray()) {
      if (name === ORGANIZATIONS || name === PARKED || name.startsWith('org_')) await db.dropCollection(name);
    }
  },
  async apply(event, db) {
    if (event.type.startsWith('organizations.organization.')) await applyOrganizationEvent(event, db);
    else if (event.type.startsWith('auth.user.')) await applyUserEvent(event, db);
  },
};
