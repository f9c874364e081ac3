import { Binary, type Collection, type Db, type Filter } from 'mongodb';
import { isDuplicateKey } from '@sms/shared/mongo';

export type ImportStatus = 'queued' | 'running' | 'succeeded' | 'completed_with_errors' | 'failed';
export const ACTIVE: ImportStatus[] = ['queued', 'running'];

export interface RowError {
  row: number;
  line: number;
  column?: string;
  code: string;
  message: string;
}

/** A student id given to a row before its create, so a retried row creates the same student. */
export interface Assignment {
  row: number;
  id: number;
}

export interface ImportJob {
  /** Derived from the organization and the file's SHA-256: the same file uploaded again is this job. */
  _id: string;
  org: string;
  status: ImportStatus;
  sha256: string;
  bytes: number;
  columns: string[];
  /** How many `import_sources` pieces hold the file. */
  pieces: number;
  total: number;
  /** Rows done (created or failed); also where a resumed job starts. */
  processed: number;
  created: number;
  failed: number;
  /** The first MAX_ERRORS row errors; `errorCount` counts them all. */
  errors: RowError[];
  errorCount: number;
  createdBy: string;
  requestId: string;
  createdAt: Date;
  updatedAt: Date;
  startedAt?: Date;
  finishedAt?: Date;
  /** Why a job failed as a whole (never a row's problem). */
  failure?: string;
  /** Times the job stopped on an internal error (not a row's): it fails as a whole at MAX_ATTEMPTS. */
  attempts: number;
  /** The process running the job, until `leaseUntil`; any process may take it once that has passed. */
  owner: string | null;
  leaseUntil: Date;
  /** Ids given to the rows of the chunk in progress (empty between chunks). */
  assigned: Assignment[];
}

interface SourcePiece {
  _id: string;
  data: Binary;
}

export const PIECE_BYTES = 256 * 1024;
/** Led by the organization, like every other key of the service (a purge can find them by prefix). */
const pieceId = (org: string, jobId: string, n: number) => `${org}:import:${jobId}:${n}`;

/** Progress of a chunk, written with the move of `processed`. */
export type Progress = Pick<ImportJob, 'processed' | 'created' | 'failed' | 'errors' | 'errorCount'>;

/**
 * Import jobs (`student_imports`, field `org`) and the files they read (`student_import_sources`, the
 * bytes in 256 KiB pieces `<org>:import:<job>:<n>`, deleted when the job finishes). Every update and every lookup of one job is by `_id` (the list reads by `org`); a running job is leased to
 * one process, and each update names the owner and the row it expects, so a process that lost its
 * lease changes nothing.
 */
/** One document per import (`org` field); the uploaded file's pieces, `_id` = `<org>:...`. */
export const IMPORT_JOBS = 'student_imports';
export const IMPORT_SOURCES = 'student_import_sources';

export class ImportJobs {
  private readonly jobs: Collection<ImportJob>;
  private readonly sources: Collection<SourcePiece>;

  constructor(db: Db) {
    this.jobs = db.collection<ImportJob>(IMPORT_JOBS);
    this.sources = db.collection<SourcePiece>(IMPORT_SOURCES);
  }

  /** Stores the file; the same file stored twice (a retried upload) writes the same pieces. */
  async saveSource(org: string, jobId: string, chunks: readonly Buffer[]): Promise<number> {
    const all = Buffer.concat(chunks);
    const pieces: SourcePiece[] = [];
    for (let offset = 0, n = 0; offset < all.length; offset += PIECE_BYTES, n++) {
      pieces.push({ _id: pieceId(org, jobId, n), data: new Binary(all.subarray(offset, offset + PIECE_BYTES)) });
    }
    if (pieces.length > 0) {
      await this.sources.bulkWrite(pieces.map((p) => ({ replaceOne: { filter: { _id: p._id }, replacement: p, upsert: true } })), { ordered: false });
    }
    return pieces.length;
  }

  async *readSource({ org, _id, pieces }: Pick<ImportJob, 'org' | '_id' | 'pieces'>): AsyncGenerator<Buffer> {
    for (let n = 0; n < pieces; n++) {
      const piece = await this.sources.findOne({ _id: pieceId(org, _id, n) });
      if (!piece) throw new Error(`piece ${n} of import ${_id} is missing`);
      yield Buffer.from(piece.data.buffer);
    }
  }

  async deleteSource({ org, _id, pieces }: Pick<ImportJob, 'org' | '_id' | 'pieces'>): Promise<void> {
    for (let n = 0; n < pieces; n++) await this.sources.deleteOne({ _id: pieceId(org, _id, n) });
  }

  /** Inserts the job, or returns false when it exists already (the same file, the same organization). */
  async insert(job: ImportJob): Promise<boolean> {
    try {
      await this.jobs.insertOne(job);
      return true;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
  }

  /** A job of the organization; another organization's job does not exist here. */
  async find(org: string, id: string): Promise<ImportJob | null> {
    const job = await this.jobs.findOne({ _id: id });
    return job && job.org === org ? job : null;
  }

  /**
   * A page of the organization's jobs, newest first (`createdAt`, then `_id`, both descending), after
   * the keyset `after` (the last job of the previous page); `limit` jobs at most. The chunk ids of
   * the job in progress (`assigned`) are left out: no answer shows them.
   */
  async list(org: string, limit: number, after?: { createdAt: Date; id: string }): Promise<ImportJob[]> {
    const filter: Filter<ImportJob> = after
      ? { org, $or: [{ createdAt: { $lt: after.createdAt } }, { createdAt: after.createdAt, _id: { $lt: after.id } }] }
      : { org };
    return this.jobs.find(filter, { projection: { assigned: 0 } }).sort({ createdAt: -1, _id: -1 }).limit(limit).toArray();
  }

  /** For the list (and an organization's purge) on MongoDB; mongo-java-server ignores it (it uses unique indexes only). */
  async ensureIndexes(): Promise<void> {
    await this.jobs.createIndex({ org: 1, createdAt: -1, _id: -1 });
  }

  /** A job that failed as a whole goes back to the queue (its rows already done stay done). */
  async requeue(id: string, now: Date): Promise<boolean> {
    const result = await this.jobs.updateOne(
      { _id: id, status: 'failed' },
      { $set: { status: 'queued', attempts: 0, owner: null, leaseUntil: new Date(0), updatedAt: now }, $unset: { failure: '', finishedAt: '' } },
    );
    return result.modifiedCount === 1;
  }

  /** Ids of unfinished jobs whose lease has run out, oldest first (a small collection: scanned). */
  async claimable(now: Date): Promise<string[]> {
    const jobs = await this.jobs
      .find({ status: { $in: ACTIVE } }, { projection: { _id: 1, leaseUntil: 1, createdAt: 1 } })
      .sort({ createdAt: 1 })
      .toArray();
    return jobs.filter((j) => j.leaseUntil <= now).map((j) => j._id);
  }

  /** Takes the lease of an unfinished job whose lease has run out; null when another process holds it. */
  async claim(id: string, owner: string, now: Date, leaseMs: number): Promise<ImportJob | null> {
    return this.jobs.findOneAndUpdate(
      { _id: id, status: { $in: ACTIVE }, leaseUntil: { $lte: now } },
      { $set: { status: 'running', owner, leaseUntil: new Date(now.getTime() + leaseMs), updatedAt: now }, $min: { startedAt: now } },
      { returnDocument: 'after' },
    );
  }

  /** Records the ids of the next chunk's rows before their creates; false when the lease was lost. */
  async assign(id: string, owner: string, processed: number, assigned: Assignment[], leaseUntil: Date): Promise<boolean> {
    const result = await this.jobs.updateOne({ _id: id, owner, processed }, { $set: { assigned, leaseUntil } });
    return result.matchedCount === 1;
  }

  /** Moves the job past a chunk; false when the lease was lost (nothing is written then). */
  async advance(id: string, owner: string, from: number, progress: Progress, leaseUntil: Date, now: Date): Promise<boolean> {
    const result = await this.jobs.updateOne({ _id: id, owner, processed: from }, { $set: { ...progress, assigned: [], leaseUntil, updatedAt: now } });
    return result.matchedCount === 1;
  }

  async finish(id: string, owner: string, status: ImportStatus, now: Date, failure?: string): Promise<boolean> {
    const result = await this.jobs.updateOne(
      { _id: id, owner },
      { $set: { status, owner: null, leaseUntil: new Date(0), finishedAt: now, updatedAt: now, ...(failure ? { failure } : {}) } },
    );
    return result.matchedCount === 1;
  }

  /** After an internal error: the job waits until `notBefore`, then any process resumes it. */
  async retryLater(id: string, owner: string, attempts: number, notBefore: Date): Promise<void> {
    await this.jobs.updateOne({ _id: id, owner }, { $set: { status: 'queued', attempts, owner: null, leaseUntil: notBefore, updatedAt: new Date() } });
  }

  /** Gives the lease back (shutdown): the job waits in the queue for the next process. */
  async release(id: string, owner: string, now: Date): Promise<void> {
    await this.jobs.updateOne({ _id: id, owner }, { $set: { status: 'queued', owner: null, leaseUntil: new Date(0), updatedAt: now } });
  }
}
