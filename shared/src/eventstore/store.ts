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

  /**
   * Every lookup on the write path is an equality match on a unique key (`_id`, or `stream` plus a
   * version): the one shape that mongo-java-server serves from an index, and the cheapest on MongoDB.
   */
  async setup(): Promise<void> {
    await this.commits.createIndex({ stream: 1, fromVersion: 1 }, { unique: true });
    await this.commits.createIndex({ stream: 1, toVersion: 1 }, { unique: true });
    await this.commits.createIndex({ published: 1, committedAt: 1 });
  }

  /** Follows the chain of commits `<stream>@0`, `<stream>@<toVersion>`, ... to the head. */
  async readStream(stream: string): Promise<StreamRead> {
    const events: EventEnvelope[] = [];
    let version = 0;
    for (;;) {
      const commit = await this.commits.findOne({ _id: `${stream}@${version}` });
      if (!commit) return { version, events };
      events.push(...commit.events);
      version = commit.toVersion;
    }
  }

  /**
   * Appends events after `expectedVersion` (0 for a new stream). A stale expected version raises a
   * ConcurrencyError and writes nothing.
   */
  async append(stream: string, expectedVersion: number, pending: readonly PendingEvent[], meta: EventMetadata): Promise<AppendResult> {
    if (pending.length === 0) return { version: expectedVersion, events: [] };
    // Commits are contiguous: each starts where an existing one ends. So `expectedVersion` is the head
    // exactly when a commit ends there (checked here) and none starts after it (the unique `_id` of
    // the insert below, which is also what stops two writers racing from the same version).
    if (expectedVersion > 0 && !(await this.commits.findOne({ stream, toVersion: expectedVersion }, { projection: { _id: 1 } }))) {
      throw new ConcurrencyError(stream, expectedVersion, await this.currentVersion(stream));
    }
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
    this.signals.emit('appended', commit);
    return { version: commit.toVersion, events };
  }

  async currentVersion(stream: string): Promise<number> {
    let version = 0;
    for (;;) {
      const commit = await this.commits.findOne({ _id: `${stream}@${version}` }, { projection: { toVersion: 1 } });
      if (!commit) return version;
      version = commit.toVersion;
    }
  }

  /** Unpublished commits, oldest first; one stream's commits always in version order. */
  async pending(limit: number): Promise<CommitDocument[]> {
    const batch = await this.commits.find({ published: false }).sort({ committedAt: 1 }).limit(limit).toArray();
    // Clocks of different instances may disagree: order each stream by version, streams by first sight.
    const byStream = new Map<string, CommitDocument[]>();
    for (const commit of batch) byStream.set(commit.stream, [...(byStream.get(commit.stream) ?? []), commit]);
    return [...byStream.values()].flatMap((commits) => commits.sort((a, b) => a.fromVersion - b.fromVersion));
  }

  /** One update per commit by `_id`: each an index lookup, where a `$in` would scan on mongo-java-server. */
  async markPublished(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    const publishedAt = new Date();
    await this.commits.bulkWrite(
      ids.map((_id) => ({ updateOne: { filter: { _id }, update: { $set: { published: true, publishedAt } } } })),
      { ordered: false },
    );
  }

  /** The commit that ends at `version` (an index lookup on the unique `(stream, toVersion)`). */
  commitEndingAt(stream: string, version: number): Promise<CommitDocument | null> {
    return this.commits.findOne({ stream, toVersion: version });
  }

  async backlog(): Promise<number> {
    return this.commits.countDocuments({ published: false });
  }
}
