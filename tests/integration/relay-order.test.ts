import type { KafkaMessage } from 'kafkajs';
import { EventStore, OutboxRelay, relayProducerConfig } from '@sms/shared/eventstore';
import { backboneContext, eventually, sampleRegistry, silentLogger, unique, SampleCreated, SampleRenamed, type BackboneContext } from '../support/backbone';

let ctx: BackboneContext;
beforeAll(async () => {
  ctx = await backboneContext('order');
});
afterAll(() => ctx.close());

it('publishes one aggregate in version order even when a skewed clock sorts its commits backwards', async () => {
  const store = new EventStore(ctx.db, { source: 'tests', topic: ctx.topic, registry: sampleRegistry() });
  await store.setup();
  const meta = { tenant: 'org-a', actor: 'user-1' };
  await store.append('skewed', 0, [{ type: SampleCreated.type, data: { name: 'v1' } }], meta);
  await store.append('skewed', 1, [{ type: SampleRenamed.type, data: { name: 'v2' } }], meta);
  // Another instance's clock ran an hour ahead when it appended version 1.
  await ctx.db.collection('event_commits').updateOne({ _id: 'skewed@0' as never }, { $set: { committedAt: new Date(Date.now() + 3_600_000) } });

  const producer = ctx.kafka.producer(relayProducerConfig());
  await producer.connect();
  const relay = new OutboxRelay(store, producer, { logger: silentLogger, batchSize: 1 });
  expect(await relay.publishPending()).toBe(2);
  await producer.disconnect();

  const consumer = ctx.kafka.consumer({ groupId: unique('reader'), maxWaitTimeInMs: 100 });
  const seen: KafkaMessage[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic: ctx.topic, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void seen.push(message) });
  await eventually(async () => seen.length >= 2);
  await consumer.disconnect();
  expect(seen.map((m) => JSON.parse(m.value!.toString()).version)).toEqual([1, 2]);
  expect(await store.backlog()).toBe(0);
});
