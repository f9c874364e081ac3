import { ConcurrencyError, PreconditionFailedError } from '@sms/shared/errors';
import { EventStore, handleCommand } from '@sms/shared/eventstore';
import { backboneContext, sampleDecider, sampleRegistry, SampleCreated, SampleRenamed, type BackboneContext } from '../support/backbone';

const meta = { tenant: 'org-a', actor: 'user-1' };
let ctx: BackboneContext;
let store: EventStore;

beforeAll(async () => {
  ctx = await backboneContext('store');
  store = new EventStore(ctx.db, { source: 'tests', topic: ctx.topic, registry: sampleRegistry() });
  await store.setup();
});
afterAll(() => ctx.close());

describe('EventStore.append', () => {
  it('appends a new stream and reads it back in order', async () => {
    const first = await store.append('s-1', 0, [{ type: SampleCreated.type, data: { name: 'a' } }], meta);
    const second = await store.append('s-1', 1, [
      { type: SampleRenamed.type, data: { name: 'b' } },
      { type: SampleRenamed.type, data: { name: 'c' } },
    ], meta);
    expect(first.version).toBe(1);
    expect(second.version).toBe(3);
    const read = await store.readStream('s-1');
    expect(read.version).toBe(3);
    expect(read.events.map((e) => [e.version, e.data.name])).toEqual([[1, 'a'], [2, 'b'], [3, 'c']]);
    expect(read.events.every((e) => e.tenant === 'org-a' && e.actor === 'user-1' && e.source === 'tests')).toBe(true);
  });

  describe('with a stale expected version', () => {
    it.each([
      ['the previous head', 1],
      ['a version inside a multi-event commit', 2],
      ['a version that never existed', 9],
      ['zero on an existing stream', 0],
    ])('rejects %s with a conflict and writes nothing', async (_case, expected) => {
      const before = await ctx.db.collection('event_commits').countDocuments();
      await expect(store.append('s-1', expected, [{ type: SampleRenamed.type, data: { name: 'x' } }], meta)).rejects.toThrow(ConcurrencyError);
      expect(await ctx.db.collection('event_commits').countDocuments()).toBe(before);
      expect((await store.readStream('s-1')).version).toBe(3);
    });
  });

  it('lets exactly one of two racing writers win', async () => {
    await store.append('race', 0, [{ type: SampleCreated.type, data: { name: 'start' } }], meta);
    const attempts = await Promise.allSettled(
      Array.from({ length: 5 }, (_, i) => store.append('race', 1, [{ type: SampleRenamed.type, data: { name: `w${i}` } }], meta)),
    );
    expect(attempts.filter((a) => a.status === 'fulfilled')).toHaveLength(1);
    expect(attempts.filter((a) => a.status === 'rejected' && a.reason instanceof ConcurrencyError)).toHaveLength(4);
    expect((await store.readStream('race')).events).toHaveLength(2);
  });

  it('refuses an event whose data breaks its schema', async () => {
    await expect(store.append('bad', 0, [{ type: SampleCreated.type, data: { name: 42 } }], meta)).rejects.toThrow(/invalid data/);
    expect(await store.readStream('bad')).toEqual({ version: 0, events: [] });
  });

  it('records each commit as unpublished in the outbox, atomically with the events', async () => {
    const commit = await ctx.db.collection('event_commits').findOne({ stream: 's-1', fromVersion: 1 });
    expect(commit).toMatchObject({ published: false, fromVersion: 1, toVersion: 1 });
  });
});

describe('handleCommand', () => {
  it('folds, decides and appends, returning the new state and version', async () => {
    const created = await handleCommand(store, sampleDecider, 'h-1', { kind: 'create', name: 'one' }, meta);
    expect(created).toMatchObject({ version: 1, state: { status: 'active', name: 'one' } });
    const renamed = await handleCommand(store, sampleDecider, 'h-1', { kind: 'rename', name: 'two' }, meta, 1);
    expect(renamed).toMatchObject({ version: 2, state: { name: 'two' } });
  });

  it('answers a stale If-Match with a precondition failure and writes nothing', async () => {
    await expect(handleCommand(store, sampleDecider, 'h-1', { kind: 'rename', name: 'three' }, meta, 1)).rejects.toThrow(PreconditionFailedError);
    expect((await store.readStream('h-1')).version).toBe(2);
  });

  it('propagates the domain decision', async () => {
    await expect(handleCommand(store, sampleDecider, 'h-1', { kind: 'create', name: 'again' }, meta)).rejects.toThrow('already exists');
  });
});
