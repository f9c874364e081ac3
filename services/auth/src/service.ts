import { Redis } from 'ioredis';
import { createTokenVerifier } from '@sms/shared/auth';
import { EventRegistry } from '@sms/shared/events';
import { EventStore } from '@sms/shared/eventstore';
import { usersProjection } from './projections/users';
import { startEventFlow, type ServiceDefinition } from '@sms/shared/service';
import { organizationDeletionRegistry, organizationDeletions } from '@sms/shared/tenancy';
import { Accounts } from './application/accounts';
import type { Config } from './config';
import { sessionEvents } from './domain/session.events';
import { userEvents } from './domain/user.events';
import { internalRoutes } from './http/internal.routes';
import { openApiRoute } from './http/openapi';
import { authContractRoutes } from './contracts/asyncapi';
import { authRoutes } from './http/routes';
import { createPasswordHasher } from './passwords/hasher';
import { createLoginThrottle } from './passwords/throttle';
import { loadSigningKeys, type KeyRing } from './tokens/keys';
import type { Db } from 'mongodb';

export const authRegistry = () => new EventRegistry([...userEvents, ...sessionEvents]);

/** The event store, signing keys and use cases, as the service and the create-user script both use them. */
export function composeAccounts(db: Db, config: Config): { store: EventStore; ring: KeyRing; accounts: Accounts } {
  const store = new EventStore(db, { source: 'auth', topic: config.EVENTS_TOPIC, registry: authRegistry() });
  const ring = loadSigningKeys({
    ...(config.AUTH_SIGNING_KEYS ? { privateKeysPem: config.AUTH_SIGNING_KEYS } : {}),
    keyDir: config.AUTH_KEY_DIR,
    allowGenerate: config.NODE_ENV !== 'production',
  });
  const accounts = new Accounts(db, store, createPasswordHasher(config.BCRYPT_COST), ring, {
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    accessTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
    refreshTtlSeconds: config.REFRESH_TOKEN_TTL_SECONDS,
  });
  return { store, ring, accounts };
}

/**
 * The auth service: identities, credentials and sessions of every organization. Owns its MongoDB
 * database and the `auth.events` topic; signs access tokens and publishes its keys as a JWKS.
 */
export function authService(config: Config): ServiceDefinition<Config> {
  return {
    name: 'auth',
    config,
    uses: { mongo: true, kafka: true },
    formPaths: ['/api/v1/auth/login'],
    async setup(app, ctx) {
      app.set('trust proxy', config.TRUST_PROXY === 'false' ? false : config.TRUST_PROXY);
      const { db } = ctx.mongo!;
      const { store, ring, accounts } = composeAccounts(db, config);
      const purges = organizationDeletions(accounts.deletedOrganizations, async (org, event) => {
        await accounts.purgeOrganization(org, { tenant: org, actor: 'system', correlationId: event.correlationId, causationId: event.id });
      });
      const flow = await startEventFlow(ctx, store, [
        { groupId: `${config.MONGO_DB}.users`, projection: usersProjection, registry: authRegistry() },
        { groupId: `${config.MONGO_DB}.organization-deletions`, projection: purges, registry: organizationDeletionRegistry(), topics: [config.ORGANIZATIONS_EVENTS_TOPIC] },
      ]);
      await accounts.setup();
      const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 1, enableOfflineQueue: false, commandTimeout: 500 });
      redis.on('error', (err) => ctx.logger.warn({ err: err.message }, 'redis unavailable'));
      const throttle = createLoginThrottle(redis, { keyPrefix: config.THROTTLE_KEY_PREFIX, logger: ctx.logger });
      const verifier = createTokenVerifier({ keys: () => ring.jwks().keys, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE });
      app.get('/openapi.json', openApiRoute());
      app.use(authContractRoutes(config.EVENTS_TOPIC));
      app.use('/internal/v1', internalRoutes(accounts, config.INTERNAL_API_TOKEN));
      app.use(authRoutes({ accounts, db, verifier, throttle, ring, defaultOrganization: config.DEFAULT_ORGANIZATION }));

      return [
        ...flow,
        { name: 'redis', stop: async () => void redis.disconnect() },
      ];
    },
  };
}
