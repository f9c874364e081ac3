import { createHash } from 'node:crypto';
import type { Collection, Db } from 'mongodb';
import { ConflictError } from '@sms/shared/errors';
import { isDuplicateKey } from '@sms/shared/mongo';

export interface StoredResponse {
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

interface IdempotencyRecord {
  _id: string;
  fingerprint: string;
  createdAt: Date;
  response?: StoredResponse;
}

/**
 * `Idempotency-Key` on create: the first request with a key reserves `<org>:<key>`; its answer is
 * stored, and a retry with the same key and body gets the same answer. The same key with another body
 * is a 409; a retry while the first is still running is a 409 too (the client retries later).
 */
/** `_id` = `<org>:<key>`. */
export const IDEMPOTENCY_KEYS = 'idempotency_keys';

export class IdempotencyKeys {
  private readonly records: Collection<IdempotencyRecord>;

  constructor(db: Db) {
    this.records = db.collection<IdempotencyRecord>(IDEMPOTENCY_KEYS);
  }

  static fingerprint(body: unknown): string {
    return createHash('sha256').update(JSON.stringify(body)).digest('hex');
  }

  /** Reserves the key, or returns the stored answer of an earlier request with it. */
  async begin(org: string, key: string, fingerprint: string): Promise<{ replay?: StoredResponse }> {
    const _id = `${org}:${key}`;
    try {
      await this.records.insertOne({ _id, fingerprint, createdAt: new Date() });
      return {};
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
    const existing = await this.records.findOne({ _id });
    if (!existing) throw new ConflictError('a request with this Idempotency-Key was just abandoned; retry', 'idempotency_retry');
    if (existing.fingerprint !== fingerprint) {
      throw new ConflictError('this Idempotency-Key was used with a different request body', 'idempotency_key_reused');
    }
    if (!existing.response) throw new ConflictError('a request with this Idempotency-Key is still in progress', 'idempotency_in_progress');
    return { replay: existing.response };
  }

  async complete(org: string, key: string, response: StoredResponse): Promise<void> {
    await this.records.updateOne({ _id: `${org}:${key}` }, { $set: { response } });
  }

  /** The request failed: the key is free for a retry. */
  async abandon(org: string, key: string): Promise<void> {
    await this.records.deleteOne({ _id: `${org}:${key}` });
  }
}
