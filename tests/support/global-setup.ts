import { resolveTestInfra } from './infra';

/**
 * Starts (or reuses) the infrastructure the integration and end-to-end tests run against, and hands
 * its endpoints to the test workers through the environment.
 */
export default async function globalSetup(): Promise<void> {
  const infra = await resolveTestInfra();
  process.env.TEST_KAFKA_BROKERS = infra.kafkaBrokers;
  process.env.TEST_MONGO_URL = infra.mongoUrl;
  process.env.TEST_ZIPKIN_URL = infra.zipkinUrl;
  (globalThis as { __testInfra?: typeof infra }).__testInfra = infra;
}
