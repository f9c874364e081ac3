import { setTimeout as sleep } from 'node:timers/promises';
import { propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Batch, Consumer, Kafka, KafkaMessage, Producer } from 'kafkajs';
import type { Db } from 'mongodb';
import type { Logger } from 'pino';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { EventEnvelope, EventRegistry } from '../events';
import type { HealthCheck } from '../health';
import { HEADER_EVENT_TYPE, headerString } from '../kafka';

const tracer = trace.getTracer('@sms/shared/projection');
/** Messages folded per step of a batch: different aggregates in parallel, one aggregate in order. */
const CHUNK = 64;

/** A read model: how to index it, drop it, and fold one event into it (idempotently, by version). */
export interface Projection {
  name: string;
  setup(db: Db): Promise<void>;
  reset(db: Db): Promise<void>;
  apply(event: EventEnvelope, db: Db): Promise<void>;
}

export interface ProjectorOptions {
  kafka: Kafka;
  db: Db;
  topics: string[];
  groupId: string;
  registry: EventRegistry;
  projection: Projection;
  logger: Logger;
  /** Attempts before a failing message is dead-lettered. */
  attempts?: number;
  retryBaseMs?: number;
  /** Where poison messages go, with the reason in headers. Default `<groupId>.dlq`. */
  dlqTopic?: string;
  metrics?: Registry;
  fromBeginning?: boolean;
}

export const DLQ_REASON_HEADER = 'dlq-reason';

interface ProjectorMetrics {
  lag: Gauge;
  applied: Counter;
  deadLettered: Counter;
  delay: Histogram;
}

const metricsByRegistry = new WeakMap<Registry, ProjectorMetrics>();

function projectorMetrics(registry: Registry): ProjectorMetrics {
  let m = metricsByRegistry.get(registry);
  if (!m) {
    const registers = [registry];
    m = {
      lag: new Gauge({ name: 'projector_consumer_lag', help: 'Messages behind the partition head', labelNames: ['group', 'topic', 'partition'], registers }),
      applied: new Counter({ name: 'projector_events_applied_total', help: 'Events folded into read models', labelNames: ['group'], registers }),
      deadLettered: new Counter({ name: 'projector_dead_lettered_total', help: 'Messages sent to the dead-letter topic', labelNames: ['group'], registers }),
      delay: new Histogram({
        name: 'projector_event_delay_seconds',
        help: 'Time from an event being recorded to its projection',
        labelNames: ['group'],
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        registers,
      }),
    };
    metricsByRegistry.set(registry, m);
  }
  return m;
}

/**
 * Runs a projection over a consumer group. Unknown event types are skipped; a malformed message or one
 * that keeps failing after retries with backoff is published to the dead-letter topic with its reason,
 * and consumption carries on. The offset is committed after the write (at least once; the projection's
 * version guard makes redelivery harmless).
 */
export class Projector {
  private consumer: Consumer | undefined;
  private dlqProducer: Producer | undefined;
  private readonly metrics?: ProjectorMetrics;
  private readonly positions = new Map<string, { offset: bigint; high: bigint }>();
  /** Called after each message with its topic, partition and offset (rebuild progress uses it). */
  onProcessed?: (topic: string, partition: number, offset: string) => void;

  constructor(private readonly options: ProjectorOptions) {
    if (options.metrics) this.metrics = projectorMetrics(options.metrics);
  }

  get dlqTopic(): string {
    return this.options.dlqTopic ?? `${this.options.groupId}.dlq`;
  }

  async start(): Promise<void> {
    const { kafka, groupId, topics, projection, db } = this.options;
    await projection.setup(db);
    this.dlqProducer = kafka.producer({ allowAutoTopicCreation: false });
    await this.dlqProducer.connect();
    this.consumer = kafka.consumer({
      groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: 15_000,
      heartbeatInterval: 1_000,
      // A short fetch wait keeps latency low and lets disconnect() return quickly on shutdown.
      maxWaitTimeInMs: 250,
    });
    this.consumer.on(this.consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      this.metrics?.lag.set({ group: groupId, topic: payload.topic, partition: String(payload.partition) }, Number(payload.offsetLag));
      this.positions.set(`${payload.topic}:${payload.partition}`, {
        offset: BigInt(payload.lastOffset),
        high: BigInt(payload.highWatermark),
      });
    });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics, fromBeginning: this.options.fromBeginning ?? true });
    await this.consumer.run({
      partitionsConsumedConcurrently: 3,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        for (let i = 0; i < batch.messages.length && isRunning() && !isStale(); i += CHUNK) {
          const chunk = batch.messages.slice(i, i + CHUNK);
          await this.handleChunk(batch, chunk);
          resolveOffset(chunk[chunk.length - 1]!.offset);
          await heartbeat();
        }
      },
    });
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
    await this.dlqProducer?.disconnect();
    this.consumer = undefined;
    this.dlqProducer = undefined;
  }

  /** Total messages behind the heads of the partitions seen so far (readiness and tests use it). */
  lag(): number {
    let total = 0n;
    for (const { offset, high } of this.positions.values()) total += high - 1n - offset;
    return Number(total);
  }

  /** One aggregate's events stay in order (same key); different aggregates are folded concurrently. */
  private async handleChunk(batch: Batch, chunk: KafkaMessage[]): Promise<void> {
    const byKey = new Map<string, KafkaMessage[]>();
    for (const message of chunk) {
      const key = message.key?.toString() ?? `offset:${message.offset}`;
      const list = byKey.get(key);
      if (list) list.push(message);
      else byKey.set(key, [message]);
    }
    await Promise.all(
      [...byKey.values()].map(async (messages) => {
        for (const message of messages) await this.traced(batch.topic, batch.partition, message);
      }),
    );
  }

  /** A consumer span per message, child of the producer's span carried in the headers: one trace. */
  private traced(topic: string, partition: number, message: KafkaMessage): Promise<void> {
    const traceparent = headerString(message.headers, 'traceparent');
    const parent = traceparent ? propagation.extract(ROOT_CONTEXT, { traceparent }) : ROOT_CONTEXT;
    const attributes = {
      'messaging.system': 'kafka',
      'messaging.destination.name': topic,
      'messaging.operation.type': 'process',
      'messaging.consumer.group.name': this.options.groupId,
      'messaging.kafka.offset': message.offset,
      'messaging.destination.partition.id': String(partition),
    };
    return tracer.startActiveSpan(`project ${topic}`, { kind: SpanKind.CONSUMER, attributes }, parent, async (span) => {
      try {
        await this.handle(topic, partition, message);
      } catch (err) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
        throw err;
      } finally {
        span.end();
      }
    });
  }

  private async handle(topic: string, partition: number, message: KafkaMessage): Promise<void> {
    const { registry, projection, db, logger, groupId } = this.options;
    const outcome = registry.parse(message.value);
    if (outcome.kind === 'malformed') {
      await this.deadLetter(topic, partition, message, outcome.reason);
    } else if (outcome.kind === 'unknown-type') {
      logger.debug({ topic, type: outcome.type }, 'skipping event of a type this projection does not know');
    } else {
      const event = outcome.event;
      const attempts = this.options.attempts ?? 5;
      for (let attempt = 1; ; attempt++) {
        try {
          await projection.apply(event, db);
          this.metrics?.applied.inc({ group: groupId });
          this.metrics?.delay.observe({ group: groupId }, Math.max(0, Date.now() - Date.parse(event.time)) / 1000);
          break;
        } catch (err) {
          if (attempt >= attempts) {
            await this.deadLetter(topic, partition, message, `projection failed after ${attempts} attempts: ${(err as Error).message}`);
            break;
          }
          logger.warn({ err, eventId: event.id, type: event.type, attempt }, 'projection failed; retrying');
          await sleep((this.options.retryBaseMs ?? 100) * 2 ** (attempt - 1));
        }
      }
    }
    this.onProcessed?.(topic, partition, message.offset);
  }

  private async deadLetter(topic: string, partition: number, message: KafkaMessage, reason: string): Promise<void> {
    this.options.logger.error({ topic, partition, offset: message.offset, reason, dlq: this.dlqTopic }, 'dead-lettering message');
    await this.dlqProducer?.send({
      topic: this.dlqTopic,
      acks: -1,
      messages: [
        {
          key: message.key,
          value: message.value,
          headers: {
            ...message.headers,
            [DLQ_REASON_HEADER]: reason.slice(0, 1_000),
            'dlq-source-topic': topic,
            'dlq-source-partition': String(partition),
            'dlq-source-offset': message.offset,
            'dlq-group': this.options.groupId,
            'dlq-time': new Date().toISOString(),
            ...(message.headers?.[HEADER_EVENT_TYPE] ? {} : { [HEADER_EVENT_TYPE]: 'unknown' }),
          },
        },
      ],
    });
    this.metrics?.deadLettered.inc({ group: this.options.groupId });
  }
}

/** Readiness detail: reports the projector's lag, and fails (non-critically) beyond `maxLag` messages. */
export function projectorLagCheck(name: string, projector: Projector, maxLag = 1_000): HealthCheck {
  return {
    name: `${name}-lag`,
    critical: false,
    check: async () => {
      const lag = projector.lag();
      if (lag > maxLag) throw new Error(`${lag} messages behind (more than ${maxLag})`);
    },
  };
}
