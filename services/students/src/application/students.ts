import type { Db } from 'mongodb';
import { escapeRegex } from '@sms/shared/mongo';
import { deletedOrganizationsOf, type DeletedOrganizations } from '@sms/shared/tenancy';
import { ConcurrencyError, ConflictError, NotFoundError, PreconditionFailedError } from '@sms/shared/errors';
import type { EventMetadata } from '@sms/shared/events';
import type { EventStore } from '@sms/shared/eventstore';
import { staleVersion, type IfMatchVersions } from '@sms/shared/http';
import { studentDecider, type StudentCommand, type StudentRecord, type StudentState } from '../domain/student.decide';
import type { PendingStudentEvent, StudentChanges, StudentFields } from '../domain/student.events';
import { IdCounter } from '../infrastructure/id-counter';
import { RollClaims, ROLL_CLAIMS } from '../infrastructure/roll-claims';
import { IDEMPOTENCY_KEYS } from '@sms/shared/idempotency';
import { IMPORT_JOBS, IMPORT_SOURCES } from '../infrastructure/import-jobs';
import { purgeStudentsReadModel } from '../projections/students';

export interface StudentView extends StudentRecord {
  version: number;
}

/** One stream per student, unique across organizations; the envelope's tenant is the organization. */
export const streamOf = (org: string, id: number) => `${org}:${id}`;

/** Attempts at a server-assigned id before giving up (a client may have taken the next ones). */
const ASSIGN_ATTEMPTS = 5;

export interface HistoryEntry {
  version: number;
  type: string;
  time: string;
  actor: string;
  correlationId: string;
  data: Record<string, unknown>;
}

/**
 * The students use cases. Every call is bounded by the caller's organization: the stream id contains
 * it, so another organization's student simply does not exist here (404).
 */
export class Students {
  readonly rolls: RollClaims;
  readonly ids: IdCounter;
  private readonly deleted: DeletedOrganizations;

  constructor(
    private readonly db: Db,
    private readonly store: EventStore,
  ) {
    this.rolls = new RollClaims(db);
    this.ids = new IdCounter(db);
    this.deleted = deletedOrganizationsOf(db);
  }

  /**
   * What a deleted organization leaves here: its read-model rows, roll-number claims, id counter and
   * idempotency records. Its events stay in the topic (history); commands and reads of it are 404s.
   * Idempotent.
   */
  async purgeOrganization(org: string): Promise<void> {
    const prefix = { $regex: `^${escapeRegex(org)}:` };
    await purgeStudentsReadModel(this.db, org);
    await this.db.collection<{ _id: string }>(ROLL_CLAIMS).deleteMany({ _id: prefix });
    await this.db.collection<{ _id: string }>(IDEMPOTENCY_KEYS).deleteMany({ _id: prefix });
    await this.db.collection<{ org: string }>(IMPORT_JOBS).deleteMany({ org });
    await this.db.collection<{ _id: string }>(IMPORT_SOURCES).deleteMany({ _id: prefix });
    await this.ids.forget(org);
  }

  async create(org: string, input: StudentFields & { id?: number }, meta: EventMetadata): Promise<StudentView> {
    await this.deleted.assertExists(org);
    const { id, ...fields } = input;
    if (id !== undefined) {
      const view = await this.createAs(org, id, fields, meta);
      await this.ids.observe(org, id);
      return view;
    }
    for (let attempt = 1; ; attempt++) {
      const next = await this.ids.next(org);
      try {
        return await this.createAs(org, next, fields, meta);
      } catch (err) {
        // A client chose this id before the counter got there: take the next one.
        const taken = err instanceof ConcurrencyError || (err instanceof ConflictError && err.code === 'student_exists');
        if (!taken || attempt >= ASSIGN_ATTEMPTS) throw err;
      }
    }
  }

  async get(org: string, id: number): Promise<StudentView> {
    await this.deleted.assertExists(org);
    const { state, version } = await this.load(streamOf(org, id));
    if (state.status !== 'active') throw new NotFoundError(`student ${id} not found`);
    return { ...state.student, version };
  }

  /** The student's events in order, with who did what when; a deleted student keeps its history. */
  async history(org: string, id: number): Promise<HistoryEntry[]> {
    await this.deleted.assertExists(org);
    const { events } = await this.store.readStream(streamOf(org, id));
    if (events.length === 0) throw new NotFoundError(`student ${id} not found`);
    return events.map((e) => ({ version: e.version, type: e.type, time: e.time, actor: e.actor, correlationId: e.correlationId, data: e.data }));
  }

  /** PUT (every field given; absent optional fields are cleared) and PATCH (only the given fields). */
  async update(org: string, id: number, changes: StudentChanges, meta: EventMetadata, ifMatch?: IfMatchVersions): Promise<StudentView> {
    await this.deleted.assertExists(org);
    const stream = streamOf(org, id);
    const result = await this.execute(stream, { kind: 'update', changes, at: meta.now ?? new Date() }, meta, ifMatch, async (events, before) => {
      const rollNo = events[0]?.type === 'students.student.updated.v1' ? events[0].data.changed.roll_no : undefined;
      if (rollNo === undefined || before.status !== 'active') return async () => undefined;
      await this.rolls.claim(org, rollNo, stream);
      return async (ok) => {
        if (!ok) await this.releaseUnlessHeld(org, rollNo, stream);
        else if (before.student.roll_no.toLowerCase() !== rollNo.toLowerCase()) await this.rolls.release(org, before.student.roll_no, stream);
      };
    });
    return this.view(id, result);
  }

  async delete(org: string, id: number, meta: EventMetadata, ifMatch?: IfMatchVersions): Promise<void> {
    await this.deleted.assertExists(org);
    const stream = streamOf(org, id);
    await this.execute(stream, { kind: 'delete', at: meta.now ?? new Date() }, meta, ifMatch, async (_events, before) => async (ok) => {
      if (ok && before.status === 'active') await this.rolls.release(org, before.student.roll_no, stream);
    });
  }

  private async createAs(org: string, id: number, fields: StudentFields, meta: EventMetadata): Promise<StudentView> {
    const stream = streamOf(org, id);
    const result = await this.execute(stream, { kind: 'create', id, fields, at: meta.now ?? new Date() }, meta, undefined, async () => {
      await this.rolls.claim(org, fields.roll_no, stream);
      return async (ok) => {
        if (!ok) await this.releaseUnlessHeld(org, fields.roll_no, stream);
      };
    });
    return this.view(id, result);
  }

  /**
   * Load → decide → (claims) → append with the expected version. `prepare` runs between the decision
   * and the append (uniqueness claims) and returns what to do once the append succeeded or failed.
   * A concurrent append is a 409, or a 412 when the client sent If-Match.
   */
  private async execute(
    stream: string,
    command: StudentCommand,
    meta: EventMetadata,
    ifMatch: IfMatchVersions | undefined,
    prepare: (events: PendingStudentEvent[], before: StudentState) => Promise<(ok: boolean) => Promise<void>>,
  ): Promise<{ state: StudentState; version: number }> {
    const { state, version } = await this.load(stream);
    if (ifMatch !== undefined && !ifMatch.includes(version)) {
      if (state.status !== 'active') throw new NotFoundError('student not found');
      throw staleVersion('the student', version, ifMatch);
    }
    const events = studentDecider.decide(command, state);
    if (events.length === 0) return { state, version };
    const finish = await prepare(events, state);
    try {
      const appended = await this.store.append(stream, version, events, meta);
      const next = appended.events.reduce<StudentState>((s, e) => studentDecider.evolve(s, e), state);
      await finish(true);
      return { state: next, version: appended.version };
    } catch (err) {
      await finish(false).catch(() => undefined);
      if (err instanceof ConcurrencyError && ifMatch !== undefined) {
        throw new PreconditionFailedError('the student was changed concurrently; reload and retry');
      }
      throw err;
    }
  }

  /** After a failed append: a concurrent winner on the same stream may hold the same roll number. */
  private async releaseUnlessHeld(org: string, rollNo: string, stream: string): Promise<void> {
    const { state } = await this.load(stream);
    if (state.status === 'active' && state.student.roll_no.toLowerCase() === rollNo.toLowerCase()) return;
    await this.rolls.release(org, rollNo, stream);
  }

  private async load(stream: string): Promise<{ state: StudentState; version: number }> {
    const { version, events } = await this.store.readStream(stream);
    return { state: events.reduce<StudentState>((s, e) => studentDecider.evolve(s, e), studentDecider.initialState), version };
  }

  private view(id: number, { state, version }: { state: StudentState; version: number }): StudentView {
    if (state.status !== 'active') throw new NotFoundError(`student ${id} not found`);
    return { ...state.student, version };
  }
}
