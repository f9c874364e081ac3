import type { Collection, Db } from 'mongodb';
import { ConflictError } from '@sms/shared/errors';
import { isDuplicateKey } from '@sms/shared/mongo';
import { nameKey } from '../domain/name';

/**
 * Case-insensitive uniqueness of organization names, enforced at write time: one document per
 * lowercased name (`_id`), inserted before the event that takes the name and released when the name
 * is given up. A creation claims its name `pending` and marks it `active` once the organization
 * exists, so a creation whose process died half-way can be found and finished or undone.
 */
export interface NameClaim {
  _id: string;
  orgId: string;
  state: 'pending' | 'active';
  since: Date;
  /** For a pending creation: the admin that auth was asked to create. */
  adminUserId?: string;
  adminEmail?: string;
}

export class NameClaims {
  private readonly claims: Collection<NameClaim>;

  constructor(db: Db) {
    this.claims = db.collection<NameClaim>('organization_names');
  }

  /** Takes a name for an organization; a name held by another is a 409. Claiming one's own is a no-op. */
  async claim(name: string, orgId: string, extra: Pick<NameClaim, 'state'> & Partial<NameClaim> = { state: 'active' }): Promise<void> {
    const _id = nameKey(name);
    try {
      await this.claims.insertOne({ ...extra, _id, orgId, since: new Date() });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      const holder = await this.claims.findOne({ _id });
      if (holder?.orgId !== orgId) throw new ConflictError(`an organization named "${name}" already exists`, 'organization_name_taken');
    }
  }

  async activate(name: string, orgId: string): Promise<void> {
    await this.claims.updateOne({ _id: nameKey(name), orgId }, { $set: { state: 'active' }, $unset: { adminUserId: '', adminEmail: '' } });
  }

  async release(name: string, orgId: string): Promise<void> {
    await this.claims.deleteOne({ _id: nameKey(name), orgId });
  }

  async holder(name: string): Promise<NameClaim | null> {
    return this.claims.findOne({ _id: nameKey(name) });
  }

  /** Creations still pending since before `cutoff` (a small set: scanned). */
  async pendingSince(cutoff: Date): Promise<NameClaim[]> {
    return this.claims.find({ state: 'pending', since: { $lt: cutoff } }).toArray();
  }
}
