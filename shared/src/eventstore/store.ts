import { EventEmitter } from 'node:events';
import { context, propagation } from '@opentelemetry/api';
import type { Collection, Db } from 'mongodb';
import { ConcurrencyError } from '../errors';
import { stampEvents, type EventEnvelope, type EventMetadata, type PendingEvent } from '../events';
import type { EventRegistry } from '../events';
import { isDuplicateKey } from '../mongo';

/**
 * One commit = the events of one command, stored as ONE document: the append, the optimistic
 * concurrency check and the outbox entry are a single atomic insert (no transactions needed).
 * `_id` is `<stream>@<expectedVersion>`: two writers that loaded the same version collide on it.
 */
export interface CommitDocument {
  _id: string;
  stream: string;
  tenant: string;
  fromVersion: number;
  toVersion: number;
  events: EventEnvelope[];
  committedAt: Date;
  /** Outbox flag: false until the relay has published every event of the commit to Kafka. */
  published: boolean;
  publishedAt?: Date;
  /** W3C trace context of the command, so the publish span joins the request's trace. */
  trace?: Record<string, string>;
}

export interface StreamRead {
  version: number;
  events: EventEnvelope[];
}

export interface AppendResult {
  version: number;
  events: EventEnvelope[];
}

export interface EventStoreOptions {
  /** `source` of the envelope, e.g. `students`. */
  source: string;
  /** Kafka topic the relay publishes these events to. */
  topic: string;
  registry: EventRegistry;
  collection?: string;
}

export class EventStore {
  readonly commits: Collection<CommitDocument>;
  /** Emits `appended` after each commit so an in-process relay publishes at once instead of polling. */
  readonly signals = new EventEmitter();

  constructor(db: Db, readonly options: EventStoreOptions) {
    this.commits = db.collection<CommitDocument>(options.collection ?? 'event_commits');
  }

  async setup(): Promise<void> {
    await this.commits.createIndex({ stream: 1, fromVersion: 1 }, { unique: true });
    await this.commits.createIndex({ published: 1, committedAt: 1 });
  }

  async readStream(stream: string): Promise<StreamRead> {
    const commits = await this.commits.find({ stream }).sort({ fromVersion: 1 }).toArray();
    const events = commits.flatMap((c) => c.events);
    return { version: commits.at(-1)?.toVersion ?? 0, events };
  }

  /**
   * Appends events after `expectedVersion` (0 for a new stream). A stale expected version raises a
   * ConcurrencyError and writes nothing.
   */
  async append(stream: string, expectedVersion: number, pending: readonly PendingEvent[], meta: EventMetadata): Promise<AppendResult> {
    if (pending.length === 0) return { version: expectedVersion, events: [] };
    // The unique `_id` catches two writers racing from the same version; this read catches an expected
    // version that is not the stream's head at all (a stale client version inside a multi-event commit).
    const current = await this.currentVersion(stream);
    if (current !== expectedVersion) throw new ConcurrencyError(stream, expectedVersion, current);
    const events = stampEvents(this.options.source, stream, expectedVersion + 1, pending, meta).map((e) =>
      this.options.registry.validate(e),
    );
    const trace: Record<string, string> = {};
    propagation.inject(context.active(), trace);
    const commit: CommitDocument = {
      _id: `${stream}@${expectedVersion}`,
      stream,
      tenant: meta.tenant,
      fromVersion: expectedVersion + 1,
      toVersion: expectedVersion + events.length,
      events,
      committedAt: new Date(),
      published: false,
      ...(Object.keys(trace).length > 0 ? { trace } : {}),
    };
    try {
      await this.commits.insertOne(commit);
    } catch (err) {
      if (isDuplicateKey(err)) {
        const current = await this.currentVersion(stream);
        throw new ConcurrencyError(stream, expectedVersion, current);
      }
      throw err;
    }
    this.signals.emit('appended');
    return { version: commit.toVersion, events };
  }

  async currentVersion(stream: string): Promise<number> {
    const last = await this.commits.find({ stream }, { projection: { toVersion: 1 } }).sort({ fromVersion: -1 }).limit(1).next();
    return last?.toVersion ?? 0;
  }

  /** Unpublished commits, oldest first; one stream's commits always in version order. */
  async pending(limit: number): Promise<CommitDocument[]> {
    const batch = await this.commits.find({ published: false }).sort({ committedAt: 1 }).limit(limit).toArray();
    return batch.sort((a, b) => (a.stream === b.stream ? a.fromVersion - b.fromVersion : 0));
  }

  async markPublished(ids: string[]): Promise<void> {
    if (ids.length > 0) await this.commits.updateMany({ _id: { $in: ids } }, { $set: { published: true, publishedAt: new Date() } });
  }

  async backlog(): Promise<number> {
    return this.commits.countDocuments({ published: false });
  }
}
