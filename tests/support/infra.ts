import { dockerAvailable, startComposeInfra } from './compose-stack';
import { profileFromEnv, stackDown, stackUp } from '../../stack/stack';

export interface TestInfra {
  kafkaBrokers: string;
  mongoUrl: string;
  zipkinUrl: string;
  /** Stops what this run started; a stack that was already running is left as it was. */
  release(): Promise<void>;
}

/**
 * Which servers the tests use, in order of precedence:
 * 1. TEST_KAFKA_BROKERS + TEST_MONGO_URL (+ TEST_ZIPKIN_URL): servers someone else runs;
 * 2. TEST_STACK=compose: Kafka, MongoDB, Redis and Zipkin from docker-compose.yml via testcontainers;
 * 3. otherwise the project's own local stack (test profile: its own ports, in-memory MongoDB).
 */
export async function resolveTestInfra(env: NodeJS.ProcessEnv = process.env): Promise<TestInfra> {
  if (env.TEST_KAFKA_BROKERS && env.TEST_MONGO_URL) {
    return {
      kafkaBrokers: env.TEST_KAFKA_BROKERS,
      mongoUrl: env.TEST_MONGO_URL,
      zipkinUrl: env.TEST_ZIPKIN_URL ?? 'http://127.0.0.1:9411',
      release: async () => undefined,
    };
  }
  if (env.TEST_STACK === 'compose') {
    if (!(await dockerAvailable())) throw new Error('TEST_STACK=compose, but no working Docker engine was found');
    const compose = await startComposeInfra();
    return { ...compose, release: () => compose.down() };
  }
  const profile = profileFromEnv('test', env);
  const up = await stackUp(profile, (line) => process.stderr.write(`[stack] ${line}\n`));
  return {
    kafkaBrokers: up.kafkaBrokers,
    mongoUrl: up.mongoUrl,
    zipkinUrl: up.zipkinUrl,
    release: () => (up.started.length > 0 && env.TEST_KEEP_STACK !== '1' ? stackDown(profile, up.started) : Promise.resolve()),
  };
}
