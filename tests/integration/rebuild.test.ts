import { EventStore, OutboxRelay, relayProducerConfig } from '@sms/shared/eventstore';
import { Projector, rebuildProjection, type RebuildProgress } from '@sms/shared/projection';
import {
  backboneContext, eventually, sampleProjection, sampleRegistry, silentLogger, unique, SampleCreated, SampleRenamed,
  type BackboneContext, type SampleRow,
} from '../support/backbone';

const STREAMS = 2_000; // 3 + 2 events each: 10,000 events in 4,000 commits
let ctx: BackboneContext;

beforeAll(async () => {
  ctx = await backboneContext('rebuild');
});
afterAll(() => ctx.close());

async function inChunks<T>(items: T[], size: number, run: (item: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(run));
}

it('drops a read model, replays 10,000 events and gets an identical read model', async () => {
  const registry = sampleRegistry();
  const store = new EventStore(ctx.db, { source: 'tests', topic: ctx.topic, registry });
  await store.setup();
  const ids = Array.from({ length: STREAMS }, (_, i) => `r-${i}`);
  await inChunks(ids, 50, (id) =>
    store.append(id, 0, [
      { type: SampleCreated.type, data: { name: `${id}-a` } },
      { type: SampleRenamed.type, data: { name: `${id}-b` } },
      { type: SampleRenamed.type, data: { name: `${id}-c` } },
    ], { tenant: `org-${id.length % 3}`, actor: 'loader' }),
  );
  await inChunks(ids, 50, (id) =>
    store.append(id, 3, [
      { type: SampleRenamed.type, data: { name: `${id}-d` } },
      { type: SampleRenamed.type, data: { name: `${id}-e` } },
    ], { tenant: `org-${id.length % 3}`, actor: 'loader' }),
  );
  const producer = ctx.kafka.producer(relayProducerConfig());
  await producer.connect();
  const relay = new OutboxRelay(store, producer, { logger: silentLogger });
  expect(await relay.publishPending()).toBe(STREAMS * 5);
  await producer.disconnect();

  const groupId = unique('samples');
  const projection = sampleProjection('samples');
  const live = new Projector({ kafka: ctx.kafka, db: ctx.db, topics: [ctx.topic], groupId, registry, projection, logger: silentLogger });
  await live.start();
  const rows = ctx.db.collection<SampleRow>('samples');
  await eventually(async () => (await rows.countDocuments({ version: 5 })) === STREAMS, 120_000, 'the live projection');
  await live.stop();
  const before = await rows.find().sort({ _id: 1 }).toArray();

  const reports: RebuildProgress[] = [];
  const result = await rebuildProjection(
    { kafka: ctx.kafka, admin: ctx.admin, db: ctx.db, topics: [ctx.topic], groupId, registry, projection, logger: silentLogger },
    (p) => reports.push(p),
    250,
  );
  process.stdout.write(`rebuild: ${result.processed} events in ${(result.processed / Math.max(result.eventsPerSecond, 1)).toFixed(1)} s, ${result.eventsPerSecond} events/s\n`);

  expect(result).toMatchObject({ processed: STREAMS * 5, total: STREAMS * 5, done: true });
  expect(reports.at(-1)?.done).toBe(true);
  const after = await rows.find().sort({ _id: 1 }).toArray();
  expect(after).toHaveLength(STREAMS);
  expect(after).toEqual(before);
}, 180_000);
