import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Collection, Db } from 'mongodb';
import { z } from 'zod';
import { ConflictError } from '../errors';
import { parseWith } from '../http';
import { isDuplicateKey } from '../mongo';

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

/** The `Idempotency-Key` request header. */
export const IdempotencyKey = z.string().regex(/^[\x21-\x7e]{1,200}$/, 'Idempotency-Key must be 1-200 visible ASCII characters');

/** `_id` = `<scope>:<key>`. */
export const IDEMPOTENCY_KEYS = 'idempotency_keys';

/** How long a key is remembered: a day covers a client's retries across an outage. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * `Idempotency-Key` on create: the first request with a key reserves `<scope>:<key>`; its answer is
 * stored, and a retry with the same key and request gets the same answer. The same key with another
 * request is a 409; a retry while the first is still running is a 409 too (the client retries later).
 * The scope is whose keys they are (an organization; `public` for anonymous creations).
 *
 * A key is remembered for a day (`ttlMs`): an older record counts as absent, and a TTL index removes
 * it where the server enforces one (MongoDB does; the stored answers, e-mail addresses among them, do
 * not stay forever).
 */
export class IdempotencyKeys {
  private readonly records: Collection<IdempotencyRecord>;
  private indexed: Promise<unknown> | undefined;

  constructor(db: Db, private readonly ttlMs = IDEMPOTENCY_TTL_MS) {
    this.records = db.collection<IdempotencyRecord>(IDEMPOTENCY_KEYS);
  }

  /**
   * What identifies a request: a SHA-256 of its parsed body. It is stored, so leave secrets out of
   * what is passed here (a fast hash of a password would be a cheap offline guess target).
   */
  static fingerprint(request: unknown): string {
    return createHash('sha256').update(JSON.stringify(request)).digest('hex');
  }

  /** Reserves the key, or returns the stored answer of an earlier request with it. */
  async begin(scope: string, key: string, fingerprint: string): Promise<{ replay?: StoredResponse }> {
    // Once per process, before the first write: the MongoDB server used locally fails an insert that
    // races the creation of its collection's index ("Unknown error: null").
    await (this.indexed ??= this.records.createIndex({ createdAt: 1 }, { expireAfterSeconds: Math.ceil(this.ttlMs / 1000) }).catch(() => undefined));
    const _id = `${scope}:${key}`;
    try {
      await this.records.insertOne({ _id, fingerprint, createdAt: new Date() });
      return {};
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
    // Expired (and not removed yet): forgotten, and this request reserves the key anew.
    const expired = await this.records.findOneAndUpdate(
      { _id, createdAt: { $lt: new Date(Date.now() - this.ttlMs) } },
      { $set: { fingerprint, createdAt: new Date() }, $unset: { response: '' } },
    );
    if (expired) return {};
    const existing = await this.records.findOne({ _id });
    if (!existing) throw new ConflictError('a request with this Idempotency-Key was just abandoned; retry', 'idempotency_retry');
    if (existing.fingerprint !== fingerprint) {
      throw new ConflictError('this Idempotency-Key was used with a different request body', 'idempotency_key_reused');
    }
    if (!existing.response) throw new ConflictError('a request with this Idempotency-Key is still in progress', 'idempotency_in_progress');
    return { replay: existing.response };
  }

  async complete(scope: string, key: string, response: StoredResponse): Promise<void> {
    await this.records.updateOne({ _id: `${scope}:${key}` }, { $set: { response } });
  }

  /** The request failed: the key is free for a retry. */
  async abandon(scope: string, key: string): Promise<void> {
    await this.records.deleteOne({ _id: `${scope}:${key}` });
  }

  /**
   * A create route's whole flow: without an `Idempotency-Key` header, `create` runs; with one, the
   * first request runs it and stores its answer (a failure frees the key), a retry with the same
   * fingerprint gets that answer again (`Idempotent-Replayed: true`), another fingerprint a 409.
   */
  async respond(req: Request, res: Response, scope: string, fingerprint: string, create: () => Promise<StoredResponse>): Promise<void> {
    const raw = req.get('idempotency-key');
    const key = raw === undefined ? undefined : parseWith(IdempotencyKey, raw, 'Idempotency-Key header');
    let answer: StoredResponse;
    if (key === undefined) {
      answer = await create();
    } else {
      const { replay } = await this.begin(scope, key, fingerprint);
      if (replay) {
        res.status(replay.status).set(replay.headers).set('Idempotent-Replayed', 'true').json(replay.body);
        return;
      }
      try {
        answer = await create();
      } catch (err) {
        await this.abandon(scope, key);
        throw err;
      }
      await this.complete(scope, key, answer);
    }
    res.status(answer.status).set(answer.headers).json(answer.body);
  }
}
