import { createTokenVerifier } from '@sms/shared/auth';
import { EventRegistry } from '@sms/shared/events';
import { EventStore } from '@sms/shared/eventstore';
import { startEventFlow, type ServiceDefinition } from '@sms/shared/service';
import { Students } from './application/students';
import type { Config } from './config';
import { contractRoutes } from './contracts/routes';
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
      const topic = config.EVENTS_TOPIC;
      const store = new EventStore(db, { source: 'students', topic, registry: studentsRegistry() });
      const flow = await startEventFlow(ctx, store, [{ groupId: `${config.MONGO_DB}.students`, projection: studentsProjection, registry: studentsRegistry() }]);
      const verifier = createTokenVerifier({ jwksUri: config.AUTH_JWKS_URL, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE });
      // Public (no token): mounted before the students routes, which require one on /api/v1/students*.
      app.use(contractRoutes(topic));
      app.use(studentsRoutes({ students: new Students(db, store), db, verifier }));
      return flow;
    },
  };
}
