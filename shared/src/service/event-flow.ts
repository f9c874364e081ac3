import type { EventRegistry } from '../events';
import { OutboxRelay, relayProducerConfig, type EventStore } from '../eventstore';
import { ensureTopics } from '../kafka';
import { Projector, type Projection } from '../projection';
import type { ServiceContext, Stoppable } from './index';

export interface ProjectionSpec {
  /** Consumer group; its dead letters go to `<groupId>.dlq`. */
  groupId: string;
  projection: Projection;
  registry: EventRegistry;
  /** The topics it folds; default: the store's own topic. Another service's topic is read as a consumer of its contract. */
  topics?: string[];
}

/**
 * The event flow of a service that owns a store: the outbox relay publishing its commits, and the
 * projectors folding its topic into read models. Returns them as workers to stop, projectors first.
 */
export async function startEventFlow(ctx: ServiceContext, store: EventStore, projections: ProjectionSpec[]): Promise<Stoppable[]> {
  const { kafka, admin } = ctx.kafka!;
  const { db } = ctx.mongo!;
  const topic = store.options.topic;
  await ensureTopics(admin, [...new Set([topic, ...projections.flatMap((p) => [...(p.topics ?? []), `${p.groupId}.dlq`])])]);
  await store.setup();
  const producer = kafka.producer(relayProducerConfig());
  await producer.connect();
  const relay = new OutboxRelay(store, producer, { logger: ctx.logger, metrics: ctx.metrics.registry });
  relay.start();
  const workers: Stoppable[] = [{ name: 'outbox relay', stop: async () => { await relay.stop(); await producer.disconnect(); } }];
  for (const { groupId, projection, registry, topics } of projections) {
    const projector = new Projector({ kafka, db, topics: topics ?? [topic], groupId, registry, projection, logger: ctx.logger, metrics: ctx.metrics.registry });
    await projector.start();
    workers.push({ name: `${projection.name} projector`, stop: () => projector.stop() });
  }
  // startService stops workers in reverse order: projectors, then the relay.
  return workers;
}
