import type { Collection, Db } from 'mongodb';

interface Counter {
  _id: string;
  next: number;
}

/** Server-assigned student ids: one counter document per organization, moved by atomic single-document updates. */
export class IdCounter {
  private readonly counters: Collection<Counter>;

  constructor(db: Db) {
    this.counters = db.collection<Counter>('student_id_counters');
  }

  async next(org: string): Promise<number> {
    const doc = await this.counters.findOneAndUpdate({ _id: org }, { $inc: { next: 1 } }, { upsert: true, returnDocument: 'after' });
    if (!doc) throw new Error(`id counter of ${org} did not answer`);
    return doc.next;
  }

  /** After a client chose `id`, server-assigned ids continue above it. */
  async observe(org: string, id: number): Promise<void> {
    await this.counters.updateOne({ _id: org }, { $max: { next: id } }, { upsert: true });
  }

  async forget(org: string): Promise<void> {
    await this.counters.deleteOne({ _id: org });
  }
}
