import type { Consumer, KafkaMessage } from 'kafkajs';
import { EventStore, OutboxRelay, relayProducerConfig } from '@sms/shared/eventstore';
import { stampEvents } from '@sms/shared/events';
import { DLQ_REASON_HEADER, Projector } from '@sms/shared/projection';
import { ensureTopics, headerString } from '@sms/shared/kafka';
import {
  backboneContext, eventually, sampleProjection, sampleRegistry, silentLogger, unique, SampleCreated, SampleRenamed,
  type BackboneContext, type SampleRow,
} from '../support/backbone';

const meta = { tenant: 'org-a', actor: 'user-1' };
let ctx: BackboneContext;
let store: EventStore;
let relay: OutboxRelay;
let projector: Projector;
const producer = () => ctx.kafka.producer(relayProducerConfig());
let relayProducer: ReturnType<typeof producer>;
const poison = new Set<string>();
const rows = () => ctx.db.collection<SampleRow>('samples');

beforeAll(async () => {
  ctx = await backboneContext('relay');
  store = new EventStore(ctx.db, { source: 'tests', topic: ctx.topic, registry: sampleRegistry() });
  await store.setup();
  relayProducer = producer();
  await relayProducer.connect();
  relay = new OutboxRelay(store, relayProducer, { logger: silentLogger, pollMs: 100 });
  relay.start();
  projector = new Projector({
    kafka: ctx.kafka, db: ctx.db, topics: [ctx.topic], groupId: unique('samples'), registry: sampleRegistry(),
    projection: sampleProjection('samples', (e) => poison.has(e.subject)), logger: silentLogger, retryBaseMs: 10, attempts: 3,
  });
  await ensureTopics(ctx.admin, [projector.dlqTopic], 1);
  await projector.start();
});

afterAll(async () => {
  await projector.stop();
  await relay.stop();
  await relayProducer.disconnect();
  await ctx.close();
});

/** Reads every message of a topic from the start with a throw-away group, until `count` arrived. */
async function readTopic(topic: string, count: number): Promise<KafkaMessage[]> {
  const consumer: Consumer = ctx.kafka.consumer({ groupId: unique('reader') });
  const seen: KafkaMessage[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void seen.push(message) });
  try {
    await eventually(async () => seen.length >= count, 20_000, `${count} messages on ${topic}`);
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

describe('outbox relay and projector', () => {
  it('publish appended events and converge the read model', async () => {
    await store.append('p-1', 0, [{ type: SampleCreated.type, data: { name: 'first' } }], meta);
    await store.append('p-1', 1, [{ type: SampleRenamed.type, data: { name: 'second' } }, { type: SampleRenamed.type, data: { name: 'third' } }], meta);
    const row = await eventually(async () => (await rows().findOne({ _id: 'p-1', version: 3 })) ?? undefined);
    expect(row).toMatchObject({ name: 'third', tenant: 'org-a', applied: 3 });
    expect(await store.backlog()).toBe(0);
  });

  it('keep one aggregate in version order on the topic, keyed by its id', async () => {
    for (let v = 0; v < 20; v++) await store.append('ordered', v, [{ type: v === 0 ? SampleCreated.type : SampleRenamed.type, data: { name: `n${v}` } }], meta);
    const messages = await readTopic(ctx.topic, 23);
    const ordered = messages.filter((m) => m.key?.toString() === 'ordered');
    expect(ordered.map((m) => JSON.parse(m.value!.toString()).version)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(headerString(ordered[0]!.headers, 'event-type')).toBe(SampleCreated.type);
    expect(headerString(ordered[0]!.headers, 'content-type')).toBe('application/json');
  });

  it('leaves the read model as it was when the same event is delivered twice', async () => {
    const [event] = stampEvents('tests', 'dup', 1, [{ type: SampleCreated.type, data: { name: 'once' } }], meta);
    const message = { key: 'dup', value: JSON.stringify(event) };
    const raw = producer();
    await raw.connect();
    await raw.send({ topic: ctx.topic, messages: [message] });
    const afterFirst = await eventually(async () => (await rows().findOne({ _id: 'dup' })) ?? undefined);
    await raw.send({ topic: ctx.topic, messages: [message] });
    // A later marker event on the same partition proves the duplicate was consumed before we look.
    const [marker] = stampEvents('tests', 'dup', 2, [{ type: SampleRenamed.type, data: { name: 'once' } }], meta);
    await raw.send({ topic: ctx.topic, messages: [{ key: 'dup', value: JSON.stringify(marker) }] });
    await raw.disconnect();
    const final = await eventually(async () => (await rows().findOne({ _id: 'dup', version: 2 })) ?? undefined);
    expect(afterFirst).toEqual({ _id: 'dup', version: 1, name: 'once', tenant: 'org-a', applied: 1 });
    expect(final.applied).toBe(2); // the first event and the marker; the duplicate changed nothing
  });

  it('dead-letters a malformed message with its reason and carries on', async () => {
    const raw = producer();
    await raw.connect();
    await raw.send({ topic: ctx.topic, messages: [{ key: 'poison', value: '{"not": "an event"' }] });
    const [after] = stampEvents('tests', 'poison', 1, [{ type: SampleCreated.type, data: { name: 'after the poison' } }], meta);
    await raw.send({ topic: ctx.topic, messages: [{ key: 'poison', value: JSON.stringify(after) }] });
    await raw.disconnect();
    const [dead] = await readTopic(projector.dlqTopic, 1);
    expect(headerString(dead!.headers, DLQ_REASON_HEADER)).toBe('message value is not valid JSON');
    expect(headerString(dead!.headers, 'dlq-source-topic')).toBe(ctx.topic);
    expect(dead!.value?.toString()).toBe('{"not": "an event"');
    await eventually(async () => (await rows().findOne({ _id: 'poison', name: 'after the poison' })) ?? undefined);
  });

  it('retries a failing projection, then dead-letters the event and carries on', async () => {
    poison.add('fails');
    await store.append('fails', 0, [{ type: SampleCreated.type, data: { name: 'never projected' } }], meta);
    await store.append('fine', 0, [{ type: SampleCreated.type, data: { name: 'projected' } }], meta);
    const dead = await readTopic(projector.dlqTopic, 2);
    const reason = headerString(dead.find((m) => m.key?.toString() === 'fails')!.headers, DLQ_REASON_HEADER);
    expect(reason).toMatch(/projection failed after 3 attempts: cannot project/);
    await eventually(async () => (await rows().findOne({ _id: 'fine' })) ?? undefined);
    expect(await rows().findOne({ _id: 'fails' })).toBeNull();
  });
});
