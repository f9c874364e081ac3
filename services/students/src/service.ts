import { createTokenVerifier } from '@sms/shared/auth';
import { EventRegistry } from '@sms/shared/events';
import { EventStore } from '@sms/shared/eventstore';
import { startEventFlow, type ServiceDefinition } from '@sms/shared/service';
import { deletedOrganizationsOf, organizationDeletionRegistry, organizationDeletions } from '@sms/shared/tenancy';
import { ImportWorker, StudentImports } from './application/import';
import { Students } from './application/students';
import type { Config } from './config';
import { studentsContractRoutes } from './contracts/asyncapi';
import { openApiRoute } from './http/openapi';
import { studentEvents } from './domain/student.events';
import { IMPORTS_PATH, importRoutes } from './http/import.routes';
import { studentsRoutes } from './http/students.routes';
import { ImportJobs } from './infrastructure/import-jobs';
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
    // The CSV upload streams its own body (size limit, encoding) instead of the JSON parser.
    rawBodyPaths: [IMPORTS_PATH],
    async setup(app, ctx) {
      const { db } = ctx.mongo!;
      const topic = config.EVENTS_TOPIC;
      const store = new EventStore(db, { source: 'students', topic, registry: studentsRegistry() });
      const students = new Students(db, store);
      const deletions = organizationDeletions(deletedOrganizationsOf(db), (org) => students.purgeOrganization(org));
      const flow = await startEventFlow(ctx, store, [
        { groupId: `${config.MONGO_DB}.students`, projection: studentsProjection, registry: studentsRegistry() },
        { groupId: `${config.MONGO_DB}.organization-deletions`, projection: deletions, registry: organizationDeletionRegistry(), topics: [config.ORGANIZATIONS_EVENTS_TOPIC] },
      ]);
      const verifier = createTokenVerifier({ jwksUri: config.AUTH_JWKS_URL, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE });
      // Public (no token): mounted before the students routes, which require one on /api/v1/students*.
      app.use(studentsContractRoutes(topic));
      app.get('/openapi.json', openApiRoute());
      const importJobs = new ImportJobs(db);
      await importJobs.ensureIndexes();
      const importWorker = new ImportWorker(importJobs, students, store, ctx.logger);
      const imports = new StudentImports(importJobs, importWorker, config.IMPORT_MAX_BYTES);
      // Before the students routes: there, `GET /api/v1/students/:id` would answer `/imports` as a bad id (404).
      app.use(importRoutes({ imports, verifier, maxBytes: config.IMPORT_MAX_BYTES }));
      app.use(studentsRoutes({ students, db, verifier }));
      importWorker.start();
      return [...flow, importWorker];
    },
  };
}
