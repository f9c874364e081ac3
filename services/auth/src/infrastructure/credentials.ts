import type { Collection, Db } from 'mongodb';

/**
 * Password hashes live here, beside the event store and never in it: events are a public contract
 * and a history that is replayed and shared; a secret must be replaceable and erasable.
 */
interface CredentialDocument {
  _id: string; // user id
  hash: string;
  updatedAt: Date;
}

export class Credentials {
  private readonly credentials: Collection<CredentialDocument>;

  constructor(db: Db) {
    this.credentials = db.collection<CredentialDocument>('credentials');
  }

  async set(userId: string, hash: string): Promise<void> {
    await this.credentials.updateOne({ _id: userId }, { $set: { hash, updatedAt: new Date() } }, { upsert: true });
  }

  async hashOf(userId: string): Promise<string | undefined> {
    return (await this.credentials.findOne({ _id: userId }))?.hash;
  }

  async remove(userId: string): Promise<void> {
    await this.credentials.deleteOne({ _id: userId });
  }
}
