import { createTokenVerifier } from '@sms/shared/auth';
import { organizationEvents } from '@sms/shared/contracts';
import { EventRegistry } from '@sms/shared/events';
import { EventStore } from '@sms/shared/eventstore';
import { startEventFlow, type ServiceDefinition } from '@sms/shared/service';
import { Organizations } from './application/organizations';
import type { Config } from './config';
import { organizationsContractRoutes } from './contracts/asyncapi';
import { openApiRoute } from './http/openapi';
import { organizationsRoutes } from './http/organizations.routes';
import { AuthClient } from './infrastructure/auth-client';
import { authUserEvents } from './projections/auth-users';
import { organizationsProjection } from './projections/organizations';

export const organizationsRegistry = () => new EventRegistry([...organizationEvents]);

/**
 * The organizations service: the tenants. Owns its MongoDB database (the `organizations` master
 * collection and one `org_<name>` collection per organization) and the `organizations.events` topic;
 * creates each organization's first admin through auth's internal API.
 */
export function organizationsService(config: Config): ServiceDefinition<Config> {
  return {
    name: 'organizations',
    config,
    uses: { mongo: true, kafka: true },
    async setup(app, ctx) {
      const { db } = ctx.mongo!;
      const store = new EventStore(db, { source: 'organizations', topic: config.EVENTS_TOPIC, registry: organizationsRegistry() });
      const flow = await startEventFlow(ctx, store, [{
        groupId: `${config.MONGO_DB}.organizations`,
        projection: organizationsProjection,
        registry: new EventRegistry([...organizationEvents, ...authUserEvents]),
        topics: [config.EVENTS_TOPIC, config.AUTH_EVENTS_TOPIC],
      }]);
      const auth = new AuthClient({ baseUrl: config.AUTH_URL, internalToken: config.INTERNAL_API_TOKEN, timeoutMs: config.AUTH_TIMEOUT_MS });
      const organizations = new Organizations(db, store, auth, ctx.logger);
      const verifier = createTokenVerifier({ jwksUri: config.AUTH_JWKS_URL, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE });
      app.get('/openapi.json', openApiRoute());
      app.use(organizationsContractRoutes(config.EVENTS_TOPIC));
      app.use(organizationsRoutes({ organizations, db, verifier }));

      // Creations left half-way by a process that died are finished or compensated.
      const sweep = () => organizations.recover(config.CREATION_TIMEOUT_MS)
        .then((n) => { if (n > 0) ctx.logger.info({ recovered: n }, 'finished or undid interrupted organization creations'); })
        .catch((err: Error) => ctx.logger.warn({ err: err.message }, 'organization creation sweep failed'));
      const timer = setInterval(sweep, Math.max(1_000, config.CREATION_TIMEOUT_MS / 2));
      timer.unref();
      return [...flow, { name: 'creation sweeper', stop: async () => clearInterval(timer) }];
    },
  };
}
