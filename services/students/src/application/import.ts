import { AsyncResource } from 'node:async_hooks';
import { createHash, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { AppError, ConcurrencyError, ConflictError, NotFoundError } from '@sms/shared/errors';
import type { EventStore } from '@sms/shared/eventstore';
import { decodeCursor, encodeCursor } from '@sms/shared/http';
import type { Stoppable } from '@sms/shared/service';
import { z } from 'zod';
import type { ListImportsQuery } from '../http/schemas';
import { ImportJobs, type Assignment, type ImportJob, type Progress, type RowError } from '../infrastructure/import-jobs';
import { csvRecords, inspectCsv, readUpload, rowToCreate, type Column, type CreateBody, type CsvRecord } from './import-csv';
import { streamOf, type Students } from './students';

/** Rows per chunk: ids are given, creates run and progress is saved one chunk at a time. */
const CHUNK_ROWS = 200;
/** Creates in flight at once within a chunk. */
const ROW_CONCURRENCY = 16;
/** Row errors kept on the job (all are counted). */
export const MAX_ERRORS = 100;
/** A job whose process stopped answering is taken over once its lease runs out. */
const LEASE_MS = 60_000;
/** How often a process looks for queued jobs and expired leases (another process's crash). */
const SWEEP_MS = 15_000;
/** A job that keeps failing (not its rows: the service) gives up after this many attempts. */
const MAX_ATTEMPTS = 5;
const RETRY_DELAY_MS = 5_000;

export interface ImportJobView {
  id: string;
  status: ImportJob['status'];
  total: number;
  processed: number;
  created: number;
  failed: number;
  errors: RowError[];
  error_count: number;
  bytes: number;
  sha256: string;
  columns: string[];
  created_at: string;
  updated_at: string;
  started_at?: string;
  finished_at?: string;
  failure?: string;
}

export function toView(job: ImportJob): ImportJobView {
  return {
    id: job._id,
    status: job.status,
    total: job.total,
    processed: job.processed,
    created: job.created,
    failed: job.failed,
    errors: job.errors,
    error_count: job.errorCount,
    bytes: job.bytes,
    sha256: job.sha256,
    columns: job.columns,
    created_at: job.createdAt.toISOString(),
    updated_at: job.updatedAt.toISOString(),
    ...(job.startedAt ? { started_at: job.startedAt.toISOString() } : {}),
    ...(job.finishedAt ? { finished_at: job.finishedAt.toISOString() } : {}),
    ...(job.failure ? { failure: job.failure } : {}),
  };
}

/** The same bytes uploaded by the same organization are the same job. */
export const importJobId = (org: string, sha256: string) => createHash('sha256').update(`${org}\n${sha256}`).digest('hex').slice(0, 32);

/** A page of jobs: `nextCursor` continues after its last job, `null` on the last page. */
export interface ImportJobPage {
  items: ImportJobView[];
  nextCursor: string | null;
}

/** The keyset of the list: the last job's creation time (epoch ms) and id. */
const JobCursor = z.object({ t: z.number().int().nonnegative().max(8.64e15), id: z.string().regex(/^[0-9a-f]{32}$/) }).strict();

/** Who set off the import: the organization, the admin, and the request id. */
export interface ImportCaller {
  org: string;
  actor: string;
  requestId: string;
}

/**
 * CSV imports: an upload is checked (size, UTF-8, CSV, header), stored and answered with a job at once;
 * its rows are created in the background by the worker, as ordinary creates.
 */
export class StudentImports {
  constructor(
    private readonly jobs: ImportJobs,
    private readonly worker: ImportWorker,
    private readonly maxBytes: number,
  ) {}

  /** `accepted` is false when this organization uploaded the same file before: that job is the answer. */
  async accept(caller: ImportCaller, body: AsyncIterable<Uint8Array>): Promise<{ job: ImportJobView; accepted: boolean }> {
    const upload = await readUpload(body, this.maxBytes);
    const id = importJobId(caller.org, upload.sha256);
    const existing = await this.jobs.find(caller.org, id);
    if (existing) return this.again(existing);
    const { columns, rows } = await inspectCsv(upload.chunks);
    const pieces = await this.jobs.saveSource(caller.org, id, upload.chunks);
    const now = new Date();
    const job: ImportJob = {
      _id: id,
      org: caller.org,
      status: 'queued',
      sha256: upload.sha256,
      bytes: upload.bytes,
      columns,
      pieces,
      total: rows,
      processed: 0,
      created: 0,
      failed: 0,
      errors: [],
      errorCount: 0,
      attempts: 0,
      createdBy: caller.actor,
      requestId: caller.requestId,
      createdAt: now,
      updatedAt: now,
      owner: null,
      leaseUntil: new Date(0),
      assigned: [],
    };
    if (!(await this.jobs.insert(job))) {
      // The same file uploaded twice at the same moment: the other upload made the job.
      const winner = await this.jobs.find(caller.org, id);
      if (!winner) throw new Error(`import ${id} vanished after a duplicate insert`);
      return this.again(winner);
    }
    this.worker.kick();
    return { job: toView(job), accepted: true };
  }

  async get(org: string, id: string): Promise<ImportJobView> {
    const job = await this.jobs.find(org, id);
    if (!job) throw new NotFoundError(`import ${id} not found`);
    return toView(job);
  }

  /** The same file again: its job; one that failed as a whole is queued again and resumes where it stopped. */
  /** The organization's jobs, newest first, a page at a time (a cursor this API did not make is a 400). */
  async list(org: string, query: ListImportsQuery): Promise<ImportJobPage> {
    const cursor = query.cursor === undefined ? undefined : decodeCursor(query.cursor, JobCursor);
    const jobs = await this.jobs.list(org, query.limit + 1, cursor && { createdAt: new Date(cursor.t), id: cursor.id });
    const page = jobs.slice(0, query.limit);
    const last = page.at(-1);
    return {
      items: page.map(toView),
      nextCursor: jobs.length > query.limit && last ? encodeCursor({ t: last.createdAt.getTime(), id: last._id }) : null,
    };
  }

  private async again(job: ImportJob): Promise<{ job: ImportJobView; accepted: boolean }> {
    if (job.status === 'failed' && (await this.jobs.requeue(job._id, new Date()))) {
      this.worker.kick();
      return { job: await this.get(job.org, job._id), accepted: true };
    }
    return { job: toView(job), accepted: false };
  }
}

class OrganizationGone extends Error {
  constructor() {
    super('the organization was deleted during the import');
  }
}

type Outcome = { kind: 'created' } | { kind: 'failed'; errors: RowError[] } | { kind: 'id_taken' };
interface ValidRow {
  record: CsvRecord;
  body: CreateBody;
}

/**
 * Runs import jobs in the background, one at a time per process, a chunk of rows at a time: the event
 * loop keeps serving requests in between. Each chunk first records the student id of every row, then
 * creates; a job resumed after a crash gives its rows the same ids, and a create that already happened
 * (its first event caused by `import:<job>:<row>`) counts as done, so nothing is created twice.
 */
export class ImportWorker implements Stoppable {
  readonly name = 'student imports';
  private readonly owner = randomUUID();
  private running: Promise<void> | undefined;
  private again = false;
  private stopping = false;
  private timer: NodeJS.Timeout | undefined;
  /**
   * Runs in the context the worker was made in (start-up), not in the request that kicked it: a job's
   * thousands of creates do not all join the upload's trace.
   */
  private readonly detachedDrain = AsyncResource.bind(() => this.drain());

  constructor(
    private readonly jobs: ImportJobs,
    private readonly students: Students,
    private readonly store: EventStore,
    private readonly logger: Logger,
  ) {}

  /** Resumes what a stopped or crashed process left, then looks again every SWEEP_MS. */
  start(): void {
    this.kick();
    this.timer = setInterval(() => this.kick(), SWEEP_MS);
    this.timer.unref();
  }

  /** Something may be waiting: run it now, or right after the current job. */
  kick(): void {
    if (this.stopping) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.detachedDrain()
      .catch((err: unknown) => this.logger.error({ err }, 'import worker failed; retrying at the next sweep'))
      .finally(() => {
        this.running = undefined;
        if (this.again) this.kick();
      });
  }

  /** Finishes the chunk in progress, gives the job back to the queue, and stops. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    await this.running;
  }

  private async drain(): Promise<void> {
    do {
      this.again = false;
      for (const id of await this.jobs.claimable(new Date())) {
        if (this.stopping) return;
        const job = await this.jobs.claim(id, this.owner, new Date(), LEASE_MS);
        if (job) await this.run(job);
      }
    } while (this.again && !this.stopping);
  }

  private async run(job: ImportJob): Promise<void> {
    const log = this.logger.child({ importId: job._id, org: job.org });
    log.info({ processed: job.processed, total: job.total }, 'import running');
    const progress: Progress = { processed: job.processed, created: job.created, failed: job.failed, errors: job.errors, errorCount: job.errorCount };
    let assigned = job.assigned;
    try {
      let batch: CsvRecord[] = [];
      const flush = async () => {
        const moved = await this.chunk(job, progress, assigned, batch);
        assigned = [];
        batch = [];
        return moved;
      };
      for await (const record of csvRecords(this.jobs.readSource(job))) {
        if (record.row === 0 || record.row <= progress.processed) continue;
        batch.push(record);
        if (batch.length < CHUNK_ROWS) continue;
        if (!(await flush())) return log.warn('import lease lost; another process carries on');
        if (this.stopping) {
          await this.jobs.release(job._id, this.owner, new Date());
          return log.info({ processed: progress.processed }, 'import paused for shutdown');
        }
      }
      if (batch.length > 0 && !(await flush())) return log.warn('import lease lost; another process carries on');
      const status = progress.failed > 0 ? 'completed_with_errors' : 'succeeded';
      if (await this.jobs.finish(job._id, this.owner, status, new Date())) {
        await this.jobs.deleteSource(job);
        log.info({ created: progress.created, failed: progress.failed }, 'import finished');
      }
    } catch (err) {
      if (err instanceof OrganizationGone) {
        log.info('import stopped: the organization was deleted');
        await this.jobs.finish(job._id, this.owner, 'failed', new Date(), err.message);
        return;
      }
      const attempts = job.attempts + 1;
      if (attempts >= MAX_ATTEMPTS) {
        log.error({ err, attempts }, 'import failed');
        await this.jobs.finish(job._id, this.owner, 'failed', new Date(), 'the import stopped on an internal error; upload the same file again to resume it');
      } else {
        log.warn({ err, attempts }, 'import interrupted; it resumes shortly');
        await this.jobs.retryLater(job._id, this.owner, attempts, new Date(Date.now() + RETRY_DELAY_MS * attempts));
      }
    }
  }

  /** One chunk: validate, give ids (recorded first), create, then move the job past it. */
  private async chunk(job: ImportJob, progress: Progress, previous: Assignment[], batch: CsvRecord[]): Promise<boolean> {
    const columns = job.columns as Column[];
    const errors: RowError[] = [];
    const failedRows = new Set<number>();
    const valid: ValidRow[] = [];
    for (const record of batch) {
      const result = rowToCreate(columns, record.cells);
      if (result.ok) valid.push({ record, body: result.body });
      else {
        failedRows.add(record.row);
        errors.push(...result.issues.map((i) => rowError(record, i.code, i.message, i.column)));
      }
    }

    const ids = await this.giveIds(job, progress.processed, previous, valid);
    if (!ids) return false;

    const outcomes = new Map<number, Outcome>();
    const [firsts, repeats] = splitRepeats(valid, ids);
    await eachLimit(firsts, ROW_CONCURRENCY, async (row) => outcomes.set(row.record.row, await this.createRow(job, row, ids.get(row.record.row)!)));
    for (const row of repeats) outcomes.set(row.record.row, await this.createRow(job, row, ids.get(row.record.row)!));
    // A server id that a client took in the meantime (by choosing it): the row gets the next one.
    for (const row of valid) {
      for (let attempt = 0; outcomes.get(row.record.row)?.kind === 'id_taken'; attempt++) {
        if (attempt >= 3) throw new Error(`no free id for row ${row.record.row}`);
        ids.set(row.record.row, await this.students.ids.next(job.org));
        if (!(await this.jobs.assign(job._id, this.owner, progress.processed, assignments(valid, ids), leaseEnd()))) return false;
        outcomes.set(row.record.row, await this.createRow(job, row, ids.get(row.record.row)!));
      }
    }

    let created = 0;
    for (const [row, outcome] of outcomes) {
      if (outcome.kind === 'created') created++;
      else if (outcome.kind === 'failed') {
        failedRows.add(row);
        errors.push(...outcome.errors);
      }
    }
    errors.sort((a, b) => a.row - b.row);
    const from = progress.processed;
    const next: Progress = {
      processed: from + batch.length,
      created: progress.created + created,
      failed: progress.failed + failedRows.size,
      errors: [...progress.errors, ...errors].slice(0, MAX_ERRORS),
      errorCount: progress.errorCount + errors.length,
    };
    if (!(await this.jobs.advance(job._id, this.owner, from, next, leaseEnd(), new Date()))) return false;
    Object.assign(progress, next);
    return true;
  }

  /**
   * The id each valid row creates its student under: its own `id` column, or one from the
   * organization's counter, in row order. Recorded on the job before any create; a chunk resumed
   * after a crash reuses what was recorded. Undefined when the lease was lost.
   */
  private async giveIds(job: ImportJob, processed: number, previous: Assignment[], valid: ValidRow[]): Promise<Map<number, number> | undefined> {
    const ids = new Map(previous.map((a) => [a.row, a.id]));
    const chosen = valid.flatMap((r) => (r.body.id === undefined ? [] : [r.body.id]));
    // Server ids continue above the ids this chunk chose, so none of its rows collide with another.
    if (chosen.length > 0) await this.students.ids.observe(job.org, Math.max(...chosen));
    const needing = valid.filter((r) => r.body.id === undefined && !ids.has(r.record.row));
    const fresh: number[] = [];
    await eachLimit(needing, ROW_CONCURRENCY, async () => void fresh.push(await this.students.ids.next(job.org)));
    fresh.sort((a, b) => a - b);
    needing.forEach((r, i) => ids.set(r.record.row, fresh[i]!));
    for (const r of valid) if (r.body.id !== undefined) ids.set(r.record.row, r.body.id);
    const recorded = await this.jobs.assign(job._id, this.owner, processed, assignments(valid, ids), leaseEnd());
    return recorded ? ids : undefined;
  }

  /** An ordinary create; a create that an earlier attempt of this row already made counts as created. */
  private async createRow(job: ImportJob, { record, body }: ValidRow, id: number): Promise<Outcome> {
    const cause = `import:${job._id}:${record.row}`;
    const meta = { tenant: job.org, actor: job.createdBy, correlationId: `import:${job._id}`, causationId: cause };
    try {
      await this.students.create(job.org, { ...body, id }, meta);
      return { kind: 'created' };
    } catch (err) {
      const exists = err instanceof ConcurrencyError || (err instanceof ConflictError && err.code === 'student_exists');
      if (exists) {
        const { events } = await this.store.readStream(streamOf(job.org, id));
        if (events[0]?.causationId === cause) return { kind: 'created' };
        if (body.id === undefined) return { kind: 'id_taken' };
        return { kind: 'failed', errors: [rowError(record, 'student_exists', `a student with id ${id} already exists`, 'id')] };
      }
      // A create answers 404 only for an organization that was deleted meanwhile: no row can succeed.
      if (err instanceof NotFoundError) throw new OrganizationGone();
      if (err instanceof AppError && err.status < 500) {
        return { kind: 'failed', errors: [rowError(record, err.code, err.message, err.code === 'roll_no_taken' ? 'roll_no' : undefined)] };
      }
      throw err;
    }
  }
}

const leaseEnd = () => new Date(Date.now() + LEASE_MS);

const rowError = (record: CsvRecord, code: string, message: string, column?: string): RowError => ({
  row: record.row,
  line: record.line,
  ...(column ? { column } : {}),
  code,
  message,
});

/** Only the server-given ids need recording: a chosen id is in the file. */
const assignments = (valid: ValidRow[], ids: Map<number, number>): Assignment[] =>
  valid.filter((r) => r.body.id === undefined).map((r) => ({ row: r.record.row, id: ids.get(r.record.row)! }));

/**
 * Rows that repeat an earlier row's roll number or id run after the others, one by one, so the first
 * row in the file always wins and a repeat gets a clear per-row error.
 */
function splitRepeats(valid: ValidRow[], ids: Map<number, number>): [ValidRow[], ValidRow[]] {
  const seen = new Set<string>();
  const firsts: ValidRow[] = [];
  const repeats: ValidRow[] = [];
  for (const row of valid) {
    const keys = [`roll:${row.body.roll_no.toLowerCase()}`, `id:${ids.get(row.record.row)}`];
    (keys.some((k) => seen.has(k)) ? repeats : firsts).push(row);
    for (const k of keys) seen.add(k);
  }
  return [firsts, repeats];
}

/** Runs `fn` over `items` with at most `limit` in flight. */
async function eachLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}
