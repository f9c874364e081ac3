import { createTokenVerifier } from '@sms/shared/auth';
import { EventRegistry } from '@sms/shared/events';
import { EventStore, OutboxRelay, relayProducerConfig } from '@sms/shared/eventstore';
import { ensureTopics } from '@sms/shared/kafka';
import { Projector } from '@sms/shared/projection';
import type { ServiceDefinition } from '@sms/shared/service';
import { Students } from './application/students';
import type { Config } from './config';
import { studentEvents } from './domain/student.events';
import { studentsRoutes } from './http/students.routes';
import { studentsProjection } from './projections/students';

export const studentsRegistry = () => new EventRegistry([...studentEvents]);

/**
 * The students service: student records of every organization. Owns its MongoDB database and the
 * `students.events` topic; verifies auth's tokens itself against auth's JWKS.
 */
export function studentsService(config: Config): ServiceDefinition<Config> {
  return {
    name: 'students',
    config,
    uses: { mongo: true, kafka: true },
    async setup(app, ctx) {
      const { db } = ctx.mongo!;
      const { kafka, admin } = ctx.kafka!;
      const topic = config.EVENTS_TOPIC;
      const group = `${config.MONGO_DB}.students`;
      await ensureTopics(admin, [topic, `${group}.dlq`]);
      const store = new EventStore(db, { source: 'students', topic, registry: studentsRegistry() });
      await store.setup();
      const verifier = createTokenVerifier({ jwksUri: config.AUTH_JWKS_URL, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE });
      app.use(studentsRoutes({ students: new Students(db, store), db, verifier }));

      const producer = kafka.producer(relayProducerConfig());
      await producer.connect();
      const relay = new OutboxRelay(store, producer, { logger: ctx.logger, metrics: ctx.metrics.registry });
      relay.start();
      const projector = new Projector({
        kafka, db, topics: [topic], groupId: group, registry: studentsRegistry(), projection: studentsProjection, logger: ctx.logger, metrics: ctx.metrics.registry,
      });
      await projector.start();
      return [
        { name: 'students projector', stop: () => projector.stop() },
        { name: 'outbox relay', stop: async () => { await relay.stop(); await producer.disconnect(); } },
      ];
    },
  };
}
