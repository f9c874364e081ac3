import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { context, propagation, ROOT_CONTEXT } from '@opentelemetry/api';
import type { Producer } from 'kafkajs';
import type { Collection } from 'mongodb';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import { isDuplicateKey } from '../mongo';
import { EVENT_CONTENT_TYPE, HEADER_CONTENT_TYPE, HEADER_EVENT_TYPE } from '../kafka';
import type { CommitDocument, EventStore } from './store';

interface LeaseDocument {
  _id: string;
  owner: string;
  expiresAt: Date;
}

export interface RelayOptions {
  logger: Logger;
  batchSize?: number;
  /** How often to wake up when nothing was appended in this process. */
  pollMs?: number;
  /**
   * How often to scan the whole outbox for unpublished commits: those of a crashed process, or of
   * other instances of the service. Commits appended in this process are published at once.
   */
  scanMs?: number;
  /** Only one relay per topic publishes at a time, so one aggregate's events stay in order. */
  leaseMs?: number;
  metrics?: Registry;
}

/**
 * The outbox relay: publishes committed events to Kafka in per-aggregate order with an idempotent
 * producer, then marks their commit published. A crash between the two re-publishes the commit on
 * restart (at least once); projectors are idempotent through the version, so nothing is lost or doubled.
 */
export class OutboxRelay {
  private readonly owner = randomUUID();
  private readonly leases: Collection<LeaseDocument>;
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  /** Commits appended by this process since the last round: published without scanning the outbox. */
  private readonly fresh: CommitDocument[] = [];
  /** The last version this relay published per stream, so a fresh commit's predecessor needs no read. */
  private readonly lastPublished = new Map<string, number>();
  private lastScan = 0;
  private leaseUntil = 0;
  private readonly onAppended = (commit: CommitDocument) => {
    this.fresh.push(commit);
    this.wake?.();
  };
  private readonly published?: Counter;
  private readonly backlog?: Gauge;

  constructor(
    private readonly store: EventStore,
    private readonly producer: Producer,
    private readonly options: RelayOptions,
  ) {
    this.leases = store.commits.db.collection<LeaseDocument>('relay_leases');
    if (options.metrics) {
      this.published = new Counter({ name: 'outbox_published_events_total', help: 'Events published by the outbox relay', registers: [options.metrics] });
      this.backlog = new Gauge({
        name: 'outbox_backlog_commits',
        help: 'Commits appended but not yet published',
        registers: [options.metrics],
        collect: async () => this.backlog?.set(await this.store.backlog()),
      });
    }
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.store.signals.on('appended', this.onAppended);
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.store.signals.off('appended', this.onAppended);
    this.wake?.();
    await this.loop;
    await this.leases.deleteOne({ _id: this.leaseId, owner: this.owner }).catch(() => undefined);
  }

  /** Publishes everything pending once; returns how many events went out. */
  async publishPending(): Promise<number> {
    let total = 0;
    for (;;) {
      const batch = await this.store.pending(this.options.batchSize ?? 500);
      if (batch.length === 0) return total;
      total += await this.publish(await this.inOrder(batch));
    }
  }

  /**
   * The batch in publishable order: a commit whose predecessor is neither published nor earlier in
   * the batch (another instance's, or sorted late by a skewed clock) is preceded by its unpublished
   * predecessors, fetched by `(stream, toVersion)`. Each commit appears once.
   */
  private async inOrder(batch: CommitDocument[]): Promise<CommitDocument[]> {
    const ordered: CommitDocument[] = [];
    const included = new Set<string>();
    const upTo = new Map<string, number>();
    const add = (c: CommitDocument) => {
      ordered.push(c);
      included.add(c._id);
      upTo.set(c.stream, c.toVersion);
    };
    for (const commit of batch) {
      if (included.has(commit._id)) continue;
      const missing: CommitDocument[] = [];
      let previous = commit.fromVersion - 1;
      while (previous > 0 && upTo.get(commit.stream) !== previous && this.lastPublished.get(commit.stream) !== previous) {
        const before = await this.store.commitEndingAt(commit.stream, previous);
        if (!before || before.published) break;
        missing.unshift(before);
        previous = before.fromVersion - 1;
      }
      for (const c of missing) if (!included.has(c._id)) add(c);
      add(commit);
    }
    return ordered;
  }

  private async round(): Promise<void> {
    if (Date.now() - this.lastScan >= (this.options.scanMs ?? 5_000)) {
      this.lastScan = Date.now();
      this.fresh.length = 0;
      await this.publishPending();
      return;
    }
    while (this.fresh.length > 0) {
      const batch = this.fresh.splice(0, this.options.batchSize ?? 500);
      await this.publish(await this.inOrder(batch));
    }
  }

  private get leaseId(): string {
    return `relay:${this.store.options.topic}`;
  }

  /** Takes or renews the lease; renewal is skipped while most of the current lease is left. */
  private async holdLease(): Promise<boolean> {
    const leaseMs = this.options.leaseMs ?? 10_000;
    const now = Date.now();
    if (now < this.leaseUntil - (leaseMs * 2) / 3) return true;
    try {
      await this.leases.updateOne(
        { _id: this.leaseId, $or: [{ owner: this.owner }, { expiresAt: { $lt: new Date(now) } }] },
        { $set: { owner: this.owner, expiresAt: new Date(now + leaseMs) } },
        { upsert: true },
      );
      this.leaseUntil = now + leaseMs;
      return true;
    } catch (err) {
      if (isDuplicateKey(err)) return false; // another instance holds a live lease
      throw err;
    }
  }

  private async run(): Promise<void> {
    const pollMs = this.options.pollMs ?? 500;
    while (this.running) {
      try {
        if (await this.holdLease()) await this.round();
        else this.fresh.length = 0; // the lease holder's scan publishes them
      } catch (err) {
        this.options.logger.warn({ err }, 'outbox relay round failed; retrying');
      }
      if (!this.running) break;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        void sleep(pollMs, undefined, { ref: false }).then(resolve);
      });
      this.wake = undefined;
    }
  }

  /**
   * Consecutive commits that share a trace context go in one send, under that context, so the
   * kafkajs produce spans join the trace of the request that appended them.
   */
  private async publish(batch: CommitDocument[]): Promise<number> {
    let count = 0;
    let group: CommitDocument[] = [];
    const flush = async () => {
      if (group.length === 0) return;
      const carrier = group[0]?.trace;
      const parent = carrier ? propagation.extract(ROOT_CONTEXT, carrier) : ROOT_CONTEXT;
      const messages = group.flatMap((commit) =>
        commit.events.map((event) => {
          const headers: Record<string, string> = { [HEADER_EVENT_TYPE]: event.type, [HEADER_CONTENT_TYPE]: EVENT_CONTENT_TYPE };
          propagation.inject(parent, headers);
          return { key: commit.stream, value: JSON.stringify(event), headers };
        }),
      );
      await context.with(parent, () => this.producer.send({ topic: this.store.options.topic, acks: -1, messages }));
      await this.store.markPublished(group.map((c) => c._id));
      if (this.lastPublished.size > 50_000) this.lastPublished.clear();
      for (const c of group) this.lastPublished.set(c.stream, c.toVersion);
      count += messages.length;
      this.published?.inc(messages.length);
      group = [];
    };
    for (const commit of batch) {
      if (group.length > 0 && JSON.stringify(group[0]?.trace) !== JSON.stringify(commit.trace)) await flush();
      group.push(commit);
    }
    await flush();
    return count;
  }
}

/** A producer fit for the relay: idempotent (no duplicates from its own retries), one request in flight. */
export function relayProducerConfig() {
  return { idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false } as const;
}
