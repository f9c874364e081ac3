import { startService, type RunningService } from '@sms/shared/service';
import { readConfig as authConfig } from '../../services/auth/src/config';
import { authService } from '../../services/auth/src/service';
import { readConfig as gatewayConfig } from '../../services/gateway/src/config';
import { gatewayService } from '../../services/gateway/src/service';
import { readConfig as organizationsConfig } from '../../services/organizations/src/config';
import { organizationsService } from '../../services/organizations/src/service';
import { readConfig as studentsConfig } from '../../services/students/src/config';
import { studentsService } from '../../services/students/src/service';
import { testEndpoints, unique } from './backbone';

export interface Platform {
  gateway: RunningService;
  auth: RunningService;
  students: RunningService;
  organizations: RunningService;
  stop(): Promise<void>;
}

/**
 * The four services in this process on free ports, against the test Kafka and MongoDB, each with a
 * database of its own for this run. The same composition as `npm start`, minus the child processes.
 */
export async function startPlatform(): Promise<Platform> {
  const { kafkaBrokers, mongoUrl } = testEndpoints();
  const run = unique('e2e').replace(/-/g, '_');
  const env = { NODE_ENV: 'test', LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent', PORT: '0', KAFKA_BROKERS: kafkaBrokers.join(','), MONGO_URL: mongoUrl };
  const topics = { AUTH_EVENTS_TOPIC: `${run}.auth.events`, ORGANIZATIONS_EVENTS_TOPIC: `${run}.organizations.events` };
  const auth = await startService(authService(authConfig({
    ...env, ...topics, MONGO_DB: `${run}_auth`, EVENTS_TOPIC: topics.AUTH_EVENTS_TOPIC, BCRYPT_COST: '4', THROTTLE_KEY_PREFIX: `test:${run}`,
  })));
  // Students and organizations verify tokens against auth's keys, and organizations calls auth: they start once auth is up.
  const jwks = `${auth.url}/.well-known/jwks.json`;
  const [students, organizations] = await Promise.all([
    startService(studentsService(studentsConfig({ ...env, ...topics, MONGO_DB: `${run}_students`, EVENTS_TOPIC: `${run}.students.events`, AUTH_JWKS_URL: jwks }))),
    startService(organizationsService(organizationsConfig({
      ...env, ...topics, MONGO_DB: `${run}_orgs`, EVENTS_TOPIC: topics.ORGANIZATIONS_EVENTS_TOPIC, AUTH_URL: auth.url, AUTH_JWKS_URL: jwks,
    }))),
  ]);
  const gateway = await startService(
    gatewayService(gatewayConfig({ ...env, ...topics, AUTH_URL: auth.url, STUDENTS_URL: students.url, ORGANIZATIONS_URL: organizations.url,
      // Rate-limit counters of this run only, and limits no test file's traffic reaches (gateway-edge.test.ts tests the limits).
      RATE_LIMIT_PREFIX: `test:${run}:gw`, RATE_LIMIT_PER_MINUTE: '100000', RATE_LIMIT_USER_PER_MINUTE: '100000', RATE_LIMIT_AUTH_PER_MINUTE: '100000' })),
  );
  return {
    gateway,
    auth,
    students,
    organizations,
    stop: async () => {
      await gateway.stop();
      await Promise.all([auth, students, organizations].map(async (s) => {
        await s.context.mongo?.db.dropDatabase().catch(() => undefined);
        await s.stop();
      }));
    },
  };
}
