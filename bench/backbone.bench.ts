// Backbone benchmark: outbox → Kafka → projector, beside raw baselines measured in the same run.
//   npm run bench:backbone            (starts or reuses the test-profile local stack)
//   BENCH_EVENTS=20000 BENCH_RATE=500 BENCH_SECONDS=10 npm run bench:backbone
// Reports sustained events/s and end-to-end lag (append → read model written) p50/p99 at a fixed
// offered rate, and the same for raw kafkajs produce+consume and raw mongodb bulkWrite, as ratios.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Db } from 'mongodb';
import { EventStore, OutboxRelay, relayProducerConfig } from '@sms/shared/eventstore';
import { stampEvents, type EventEnvelope } from '@sms/shared/events';
import { createKafka, ensureTopics } from '@sms/shared/kafka';
import { connectMongo } from '@sms/shared/mongo';
import { applyVersioned, ensureVersionIndex, Projector, type Projection } from '@sms/shared/projection';
import { profileFromEnv, stackDown, stackUp } from '../stack/stack';
import { sampleRegistry, silentLogger, SampleCreated, type SampleRow } from '../tests/support/backbone';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 20_000);
const RATE = Number(process.env.BENCH_RATE ?? 500);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const ms = (n: number) => `${n.toFixed(1)} ms`;

interface Result {
  throughput: number; // events/s, burst of EVENTS
  p50: number; // lag at RATE, ms
  p99: number;
}

/** A projection that records when each event landed, keyed by subject. */
function timedProjection(collection: string, landed: Map<string, number>): Projection {
  return {
    name: collection,
    setup: (db) => ensureVersionIndex(db.collection(collection)),
    reset: async (db) => void (await db.collection(collection).drop().catch(() => undefined)),
    apply: async (event, db) => {
      await applyVersioned(db.collection<SampleRow>(collection), event.subject, event.version, {
        $set: { name: (event.data as { name: string }).name, tenant: event.tenant },
        $inc: { applied: 1 },
      });
      landed.set(event.subject, performance.now());
    },
  };
}

async function waitFor(what: string, done: () => boolean, timeoutMs = 300_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`benchmark timed out waiting for ${what}`);
    await sleep(5);
  }
  process.stderr.write(`bench: ${what} done\n`);
}

/** Runs `count` operations with at most CONCURRENCY in flight. */
async function burst(count: number, op: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < count) await op(next++);
  }));
}

/** Starts one operation every 1/RATE s for SECONDS, without waiting for each to finish. */
async function paced(op: (i: number) => Promise<unknown>): Promise<number> {
  const total = RATE * SECONDS;
  const started = performance.now();
  const inflight: Promise<unknown>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    inflight.push(op(i));
  }
  await Promise.all(inflight);
  return total;
}

function lagStats(sent: Map<string, number>, landed: Map<string, number>): { p50: number; p99: number } {
  const lags = [...sent].map(([id, t]) => (landed.get(id) ?? NaN) - t).sort((a, b) => a - b);
  return { p50: percentile(lags, 50), p99: percentile(lags, 99) };
}

/** The burst, then the paced run, of one path: `send(id)` starts an event, `landed` records its arrival. */
async function measure(label: string, send: (id: string) => Promise<unknown>, landed: Map<string, number>): Promise<Result> {
  const t0 = performance.now();
  await burst(EVENTS, (i) => send(`burst-${i}`));
  await waitFor(`${label} burst`, () => landed.size >= EVENTS);
  const throughput = EVENTS / ((performance.now() - t0) / 1000);

  landed.clear();
  const sent = new Map<string, number>();
  const total = await paced(async (i) => {
    const id = `paced-${i}`;
    sent.set(id, performance.now());
    await send(id);
  });
  await waitFor(`${label} paced`, () => landed.size >= total);
  return { throughput, ...lagStats(sent, landed) };
}

async function outboxPipeline(db: Db, kafka: ReturnType<typeof createKafka>, topic: string): Promise<Result> {
  const registry = sampleRegistry();
  const store = new EventStore(db, { source: 'bench', topic, registry });
  await store.setup();
  const producer = kafka.producer(relayProducerConfig());
  await producer.connect();
  const relay = new OutboxRelay(store, producer, { logger: silentLogger, pollMs: 50 });
  relay.start();
  const landed = new Map<string, number>();
  const groupId = `bench-${randomUUID()}`;
  const projector = new Projector({ kafka, db, topics: [topic], groupId, registry, projection: timedProjection('outbox_rows', landed), logger: silentLogger, fromBeginning: false });
  await projector.start();
  await sleep(1_000); // let the group settle before measuring
  const meta = { tenant: 'bench', actor: 'bench' };
  const result = await measure('outbox', (id) => store.append(id, 0, [{ type: SampleCreated.type, data: { name: id } }], meta), landed);
  await projector.stop();
  await relay.stop();
  await producer.disconnect();
  return result;
}

async function rawKafka(kafka: ReturnType<typeof createKafka>, topic: string, payload: (id: string) => EventEnvelope): Promise<Result> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const landed = new Map<string, number>();
  const consumer = kafka.consumer({ groupId: `raw-${randomUUID()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: false });
  await consumer.run({ partitionsConsumedConcurrently: 3, eachMessage: async ({ message }) => void landed.set(message.key!.toString(), performance.now()) });
  await sleep(1_000);
  const send = (id: string) => producer.send({ topic, acks: -1, messages: [{ key: id, value: JSON.stringify(payload(id)) }] });
  const result = await measure('raw kafka', send, landed);
  await consumer.disconnect();
  await producer.disconnect();
  return result;
}

async function rawBulkWrite(db: Db): Promise<number> {
  const rows = db.collection<SampleRow>('bulk_rows');
  const t0 = performance.now();
  for (let i = 0; i < EVENTS; i += 500) {
    const ops = Array.from({ length: Math.min(500, EVENTS - i) }, (_, j) => ({
      updateOne: { filter: { _id: `bulk-${i + j}` }, update: { $set: { name: `bulk-${i + j}`, tenant: 'bench', version: 1 }, $inc: { applied: 1 } }, upsert: true },
    }));
    await rows.bulkWrite(ops, { ordered: false });
  }
  return EVENTS / ((performance.now() - t0) / 1000);
}

async function main(): Promise<void> {
  const profile = profileFromEnv('test');
  const endpoints = process.env.KAFKA_BROKERS && process.env.MONGO_URL
    ? { kafkaBrokers: process.env.KAFKA_BROKERS, mongoUrl: process.env.MONGO_URL, started: [] as string[] }
    : await stackUp(profile, (l) => process.stderr.write(`[stack] ${l}\n`));
  const mongo = await connectMongo(endpoints.mongoUrl, 'bench');
  const db = mongo.db(`bench_${randomUUID().slice(0, 8)}`);
  const kafka = createKafka(endpoints.kafkaBrokers.split(','), 'bench', silentLogger);
  const admin = kafka.admin();
  await admin.connect();
  const outboxTopic = `bench.outbox.${randomUUID().slice(0, 8)}`;
  const rawTopic = `bench.raw.${randomUUID().slice(0, 8)}`;
  await ensureTopics(admin, [outboxTopic, rawTopic]);
  const payload = (id: string) => stampEvents('bench', id, 1, [{ type: SampleCreated.type, data: { name: id } }], { tenant: 'bench', actor: 'bench' })[0]!;

  process.stderr.write(`bench: ${EVENTS} events burst (concurrency ${CONCURRENCY}), then ${RATE}/s for ${SECONDS} s\n`);
  const raw = await rawKafka(kafka, rawTopic, payload);
  const outbox = await outboxPipeline(db, kafka, outboxTopic);
  const bulk = await rawBulkWrite(db);

  const rows = [
    ['outbox → Kafka → projector', outbox.throughput.toFixed(0), ms(outbox.p50), ms(outbox.p99)],
    ['raw kafkajs produce + consume', raw.throughput.toFixed(0), ms(raw.p50), ms(raw.p99)],
    ['raw mongodb bulkWrite (500/batch)', bulk.toFixed(0), '-', '-'],
  ];
  console.log(`\n| path | events/s (burst of ${EVENTS}) | lag p50 at ${RATE}/s | lag p99 at ${RATE}/s |\n|---|---|---|---|`);
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  console.log(`\nratios: throughput outbox/raw-kafka = ${(outbox.throughput / raw.throughput).toFixed(2)}, outbox/bulkWrite = ${(outbox.throughput / bulk).toFixed(2)}; lag p50 outbox/raw-kafka = ${(outbox.p50 / raw.p50).toFixed(2)}, p99 = ${(outbox.p99 / raw.p99).toFixed(2)}`);

  await admin.deleteTopics({ topics: [outboxTopic, rawTopic] }).catch(() => undefined);
  await admin.disconnect();
  await db.dropDatabase();
  await mongo.close();
  if (endpoints.started.length > 0) await stackDown(profile, endpoints.started);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
