import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { EventStore, OutboxRelay, relayProducerConfig } from '@sms/shared/eventstore';
import { Projector } from '@sms/shared/projection';
import { backboneContext, eventually, sampleProjection, sampleRegistry, silentLogger, unique, type BackboneContext, type SampleRow } from '../support/backbone';

const root = join(__dirname, '..', '..');
let ctx: BackboneContext;

beforeAll(async () => {
  ctx = await backboneContext('crash');
});
afterAll(() => ctx.close());

it('publishes an event accepted just before the process was killed, and the read model converges', async () => {
  const stream = unique('crash');
  const child = promisify(execFile)(process.execPath, ['--conditions=source', '--import', 'tsx', join(root, 'tests', 'fixtures', 'append-then-crash.ts'), ctx.db.databaseName, ctx.topic, stream], {
    cwd: root,
    env: process.env,
  });
  await expect(child).rejects.toMatchObject({ signal: 'SIGKILL' });

  // Accepted (committed) but not published: the relay died with the process.
  const store = new EventStore(ctx.db, { source: 'tests', topic: ctx.topic, registry: sampleRegistry() });
  expect(await ctx.db.collection('event_commits').findOne({ stream })).toMatchObject({ published: false, toVersion: 1 });
  const offsets = await ctx.admin.fetchTopicOffsets(ctx.topic);
  expect(offsets.every((o) => o.high === '0')).toBe(true);

  // "Restart": a new relay and the projector pick up where the dead process stopped.
  const producer = ctx.kafka.producer(relayProducerConfig());
  await producer.connect();
  const relay = new OutboxRelay(store, producer, { logger: silentLogger, pollMs: 100 });
  relay.start();
  const projector = new Projector({
    kafka: ctx.kafka, db: ctx.db, topics: [ctx.topic], groupId: unique('crash'), registry: sampleRegistry(),
    projection: sampleProjection('samples'), logger: silentLogger,
  });
  await projector.start();
  try {
    const row = await eventually(async () => (await ctx.db.collection<SampleRow>('samples').findOne({ _id: stream })) ?? undefined);
    expect(row).toMatchObject({ name: 'survives the crash', version: 1, applied: 1 });
    expect(await store.backlog()).toBe(0);
  } finally {
    await projector.stop();
    await relay.stop();
    await producer.disconnect();
  }
});
