import type { Collection, Document, Filter, UpdateFilter } from 'mongodb';
import { isDuplicateKey } from '../mongo';

/**
 * The version guard every projection writes through: applies `update` only when the document's
 * version is below the event's, and records that version. A redelivered or older event matches
 * nothing (or collides with the existing `_id` on upsert) and changes nothing. Returns whether it applied.
 * Deletions should be tombstones (`$set: { deleted: true }`) so a late redelivery cannot resurrect a row.
 */
export async function applyVersioned<T extends Document & { _id: string; version: number }>(
  collection: Collection<T>,
  id: string,
  version: number,
  update: UpdateFilter<T>,
): Promise<boolean> {
  const filter = { _id: id, version: { $lt: version } } as Filter<T>;
  const set = { ...(update.$set ?? {}), version } as UpdateFilter<T>['$set'];
  try {
    const result = await collection.updateOne(filter, { ...update, $set: set }, { upsert: true });
    return result.modifiedCount + result.upsertedCount > 0;
  } catch (err) {
    if (isDuplicateKey(err)) return false;
    throw err;
  }
}
