/**
 * Brings up the infrastructure half of docker-compose.yml (kafka, mongo,
 * redis, zipkin) through testcontainers, for integration tests on machines
 * that have a Docker engine. Guard suites with `dockerAvailable()`:
 *
 *   const docker = await dockerAvailable();
 *   (docker ? describe : describe.skip)('...', () => { ... });
 *
 * Host endpoints:
 * - kafka: the compose file's host listener, published on 127.0.0.1:9094 and
 *   advertised as localhost:9094. It is a fixed port (the advertised address
 *   must be known in advance), so a running `docker compose up` stack or a
 *   second concurrent run conflicts with it. Same for zipkin's 9411.
 * - mongo, redis: not published by docker-compose.yml (only the gateway,
 *   zipkin and kafka are). A throw-away override file adds ephemeral
 *   127.0.0.1 ports for them, so docker-compose.yml stays the single source
 *   of truth for images, commands and health checks.
 *
 * Every service waits on its compose `healthcheck` (Wait.forHealthCheck());
 * mongo's health check also runs rs.initiate(), so the replica set is ready.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import {
  DockerComposeEnvironment,
  getContainerRuntimeClient,
  Wait,
  type StartedDockerComposeEnvironment,
} from 'testcontainers';

export interface ComposeInfra {
  /** Kafka bootstrap servers for host-side clients: `127.0.0.1:9094`. */
  kafkaBrokers: string;
  /** `mongodb://127.0.0.1:<mapped>/?directConnection=true` (replica set rs0, primary). */
  mongoUrl: string;
  /** `redis://127.0.0.1:<mapped>`. */
  redisUrl: string;
  /** Zipkin base URL, e.g. `http://localhost:9411` (UI; spans at /api/v2/spans). */
  zipkinUrl: string;
  /** Stops and removes the containers, network and volumes. Idempotent. */
  down(): Promise<void>;
}

/** Repository root: this file lives in <root>/tests/support. */
const ROOT_DIR = path.resolve(__dirname, '..', '..');
const COMPOSE_FILE = 'docker-compose.yml';
const INFRA_SERVICES = ['kafka', 'mongo', 'redis', 'zipkin'] as const;

/** Must match the host listener in docker-compose.yml (KAFKA_ADVERTISED_LISTENERS PLAINTEXT_HOST). */
const KAFKA_HOST_BROKERS = '127.0.0.1:9094';
const MONGO_PORT = 27017;
const REDIS_PORT = 6379;
const ZIPKIN_PORT = 9411;

/** Kafka's JVM and mongo's rs.initiate() can be slow on a cold machine. */
const STARTUP_TIMEOUT_MS = 180_000;

/** Test-only additions to docker-compose.yml: publish mongo/redis on ephemeral loopback ports. */
const TEST_OVERRIDE_YAML = [
  'services:',
  '  mongo:',
  '    ports:',
  `      - "127.0.0.1::${MONGO_PORT}"`,
  '  redis:',
  '    ports:',
  `      - "127.0.0.1::${REDIS_PORT}"`,
  '',
].join('\n');

/** True when testcontainers can reach a container runtime (Docker, Podman, ...). */
export async function dockerAvailable(): Promise<boolean> {
  try {
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

export async function startComposeInfra(): Promise<ComposeInfra> {
  const overrideDir = await mkdtemp(path.join(tmpdir(), 'sms-compose-'));
  const overrideFile = path.join(overrideDir, 'docker-compose.test.yml');
  await writeFile(overrideFile, TEST_OVERRIDE_YAML, 'utf8');

  let environment: StartedDockerComposeEnvironment;
  try {
    environment = await new DockerComposeEnvironment(ROOT_DIR, [COMPOSE_FILE, overrideFile])
      .withDefaultWaitStrategy(Wait.forHealthCheck())
      .withStartupTimeout(STARTUP_TIMEOUT_MS)
      .up([...INFRA_SERVICES]);
  } catch (error) {
    await rm(overrideDir, { recursive: true, force: true });
    throw error;
  }

  // Compose v2 container names are "<project>-<service>-<index>"; testcontainers
  // strips the project prefix, leaving "<service>-1".
  const mongo = environment.getContainer('mongo-1');
  const redis = environment.getContainer('redis-1');
  const zipkin = environment.getContainer('zipkin-1');

  let downed: Promise<void> | undefined;
  const down = (): Promise<void> => {
    downed ??= (async () => {
      try {
        await environment.down({ removeVolumes: true, timeout: 0 });
      } finally {
        await rm(overrideDir, { recursive: true, force: true });
      }
    })();
    return downed;
  };

  return {
    kafkaBrokers: KAFKA_HOST_BROKERS,
    // Ports are bound to 127.0.0.1 only; directConnection=true because the
    // replica-set member is registered as mongo:27017, unresolvable from the host.
    mongoUrl: `mongodb://127.0.0.1:${mongo.getMappedPort(MONGO_PORT)}/?directConnection=true`,
    redisUrl: `redis://127.0.0.1:${redis.getMappedPort(REDIS_PORT)}`,
    zipkinUrl: `http://${zipkin.getHost()}:${zipkin.getMappedPort(ZIPKIN_PORT)}`,
    down,
  };
}
