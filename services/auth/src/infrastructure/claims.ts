import type { Collection, Db } from 'mongodb';
import { ConflictError } from '@sms/shared/errors';
import { escapeRegex, isDuplicateKey } from '@sms/shared/mongo';

/**
 * Case-insensitive uniqueness of usernames and emails within an organization, enforced at write
 * time: a claim document per value (`<org>:<kind>:<lowercased value>` as `_id`) is inserted before
 * the event is appended and released when the value is given up. The read model is eventual; this is not.
 */
interface ClaimDocument {
  _id: string;
  userId: string;
}

export type ClaimKind = 'username' | 'email' | 'first-admin' | 'admin-email';

/** The namespace of claims unique across organizations: organization admins' emails (they log in by email alone). */
export const GLOBAL = '*';

export class Claims {
  private readonly claims: Collection<ClaimDocument>;

  constructor(db: Db) {
    this.claims = db.collection<ClaimDocument>('user_claims');
  }

  static key(org: string, kind: ClaimKind, value: string): string {
    return `${org}:${kind}:${value.normalize('NFKC').toLowerCase()}`;
  }

  /** Claims a value for a user; a value held by another user is a 409. Claiming one's own is a no-op. */
  async claim(org: string, kind: ClaimKind, value: string, userId: string): Promise<void> {
    const _id = Claims.key(org, kind, value);
    try {
      await this.claims.insertOne({ _id, userId });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      const holder = await this.claims.findOne({ _id });
      if (holder?.userId !== userId) throw new ConflictError(`${kind} already taken`, `${kind}_taken`);
    }
  }

  async release(org: string, kind: ClaimKind, value: string, userId: string): Promise<void> {
    await this.claims.deleteOne({ _id: Claims.key(org, kind, value), userId });
  }

  /** Every user holding a claim in an organization (for purging it); a prefix scan of a small set. */
  async holdersIn(org: string): Promise<string[]> {
    const docs = await this.claims.find({ _id: { $regex: `^${escapeRegex(org)}:` } }, { projection: { userId: 1 } }).toArray();
    return [...new Set(docs.map((d) => d.userId))];
  }

  async releaseAllIn(org: string): Promise<void> {
    await this.claims.deleteMany({ _id: { $regex: `^${escapeRegex(org)}:` } });
  }

  /** The user holding a username or email in an organization, if any. */
  async holder(org: string, kind: ClaimKind, value: string): Promise<string | undefined> {
    return (await this.claims.findOne({ _id: Claims.key(org, kind, value) }))?.userId;
  }
}
