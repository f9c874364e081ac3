import type { Collection, Db } from 'mongodb';

/**
 * Refresh-token state per session. Only SHA-256 hashes of refresh tokens are stored. Each refresh
 * rotates the token (compare-and-set on the current hash); a spent token presented again means it
 * was copied, and revokes the whole session.
 */
export interface SessionDocument {
  _id: string; // sid
  userId: string;
  org: string;
  refreshHash: string;
  spentHashes: string[];
  createdAt: Date;
  expiresAt: Date;
  revokedAt?: Date;
}

export class Sessions {
  readonly sessions: Collection<SessionDocument>;

  constructor(db: Db) {
    this.sessions = db.collection<SessionDocument>('sessions');
  }

  async setup(): Promise<void> {
    // Equality on all keys of a unique index: the rotation's compare-and-set stays an index lookup.
    await this.sessions.createIndex({ _id: 1, refreshHash: 1 }, { unique: true });
  }

  async create(doc: Omit<SessionDocument, 'spentHashes'>): Promise<void> {
    await this.sessions.insertOne({ ...doc, spentHashes: [] });
  }

  get(sid: string): Promise<SessionDocument | null> {
    return this.sessions.findOne({ _id: sid });
  }

  /** Replaces the current refresh hash if it is still `from`; false when another refresh won. */
  async rotate(sid: string, from: string, to: string): Promise<boolean> {
    const result = await this.sessions.updateOne(
      { _id: sid, refreshHash: from },
      { $set: { refreshHash: to }, $push: { spentHashes: { $each: [from], $slice: -20 } } },
    );
    return result.modifiedCount === 1;
  }

  async revoke(sid: string, at: Date): Promise<boolean> {
    const result = await this.sessions.updateOne({ _id: sid }, { $set: { revokedAt: at } });
    return result.modifiedCount === 1;
  }

  /** Marks every open session of a user revoked (logout everywhere, password change, deletion). */
  async revokeAllOf(userId: string, at: Date): Promise<void> {
    await this.sessions.updateMany({ userId, revokedAt: { $exists: false } }, { $set: { revokedAt: at } });
  }
}
