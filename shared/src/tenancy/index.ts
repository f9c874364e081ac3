import type { Collection, Db } from 'mongodb';
import { OrganizationDeleted } from '../contracts';
import { EventRegistry, type EventEnvelope } from '../events';
import { NotFoundError } from '../errors';
import type { Projection } from '../projection';

interface DeletedOrganization {
  _id: string;
  deletedAt: Date;
}

/**
 * The organizations this service has learnt are deleted (from `organizations.events`). Organization
 * ids are never reused, so the set only grows; a lookup is by `_id` (an index on every server).
 */
export class DeletedOrganizations {
  private readonly collection: Collection<DeletedOrganization>;
  /** Positive answers are final; negative ones are asked again each time. */
  private readonly known = new Set<string>();

  constructor(db: Db) {
    this.collection = db.collection<DeletedOrganization>('deleted_organizations');
  }

  async mark(org: string, at = new Date()): Promise<void> {
    await this.collection.updateOne({ _id: org }, { $setOnInsert: { deletedAt: at } }, { upsert: true });
    this.known.add(org);
  }

  async isDeleted(org: string): Promise<boolean> {
    if (this.known.has(org)) return true;
    const found = (await this.collection.countDocuments({ _id: org }, { limit: 1 })) > 0;
    if (found) this.known.add(org);
    return found;
  }

  /** For commands: an organization that was deleted is a 404. */
  async assertExists(org: string): Promise<void> {
    if (await this.isDeleted(org)) throw new NotFoundError('organization not found');
  }
}

const perDb = new WeakMap<Db, DeletedOrganizations>();
/** One instance (and cache) per database, for projections that must skip a deleted organization's events. */
export function deletedOrganizationsOf(db: Db): DeletedOrganizations {
  let deleted = perDb.get(db);
  if (!deleted) perDb.set(db, (deleted = new DeletedOrganizations(db)));
  return deleted;
}

export const organizationDeletionRegistry = () => new EventRegistry([OrganizationDeleted]);

/**
 * A projection over `organizations.events` that runs `purge` once per deleted organization, after
 * recording it as deleted. `purge` must be idempotent: a redelivered event runs it again.
 */
export function organizationDeletions(
  deleted: DeletedOrganizations,
  purge: (org: string, event: EventEnvelope) => Promise<void>,
): Projection {
  return {
    name: 'organization-deletions',
    setup: async () => undefined,
    reset: async () => undefined,
    async apply(event) {
      if (event.type !== OrganizationDeleted.type) return;
      await deleted.mark(event.subject, new Date(event.time));
      await purge(event.subject, event);
    },
  };
}
