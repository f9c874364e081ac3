import type { Collection, Document, Filter, UpdateFilter } from 'mongodb';
import { isDuplicateKey } from '../mongo';

export interface VersionedDocument extends Document {
  _id: string;
  version: number;
}

/**
 * The index `applyVersioned` compare-and-sets through. Redundant for MongoDB's planner, but it is what
 * lets mongo-java-server (which only uses an index for an exact match on all its keys) find the row
 * without scanning. Create it in the projection's `setup`.
 */
export async function ensureVersionIndex(collection: Collection<VersionedDocument>): Promise<void> {
  await collection.createIndex({ _id: 1, version: 1 }, { unique: true });
}

/**
 * The version guard every projection writes through. Applies `update` only when the row's version
 * is below the event's, and records that version; a redelivered or older event changes nothing.
 * A compare-and-set on `(_id, version)`, retried when another writer (a rebuild running beside the
 * live projector) moved the row first. Returns whether it applied.
 * Deletions should be tombstones (`$set: { deleted: true }`) so a late redelivery cannot resurrect a row.
 */
export async function applyVersioned<T extends VersionedDocument>(
  collection: Collection<T>,
  id: string,
  version: number,
  update: UpdateFilter<T>,
): Promise<boolean> {
  const set = { ...(update.$set ?? {}), version } as UpdateFilter<T>['$set'];
  for (let attempt = 0; attempt < 10; attempt++) {
    const current = await collection.findOne({ _id: id } as Filter<T>, { projection: { version: 1 } });
    if (current && current.version >= version) return false;
    try {
      if (!current) {
        // `version: 0` matches no stored row (versions start at 1): this upsert only ever inserts, and a
        // row created meanwhile surfaces as a duplicate key, which retries.
        const result = await collection.updateOne({ _id: id, version: 0 } as Filter<T>, { ...update, $set: set }, { upsert: true });
        if (result.upsertedCount > 0) return true;
      } else {
        const result = await collection.updateOne({ _id: id, version: current.version } as Filter<T>, { ...update, $set: set });
        if (result.modifiedCount > 0) return true;
      }
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
  }
  throw new Error(`could not apply version ${version} to ${id}: it kept changing underneath`);
}
