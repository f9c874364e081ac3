import type { Express } from 'express';
import type { Admin, Kafka } from 'kafkajs';
import type { Db, MongoClient } from 'mongodb';
import type { Logger } from 'pino';
import { createHealthKit, type HealthCheck } from '../health';
import { createHttpApp, finishApp, listen } from '../http';
import { createKafka, kafkaHealthCheck } from '../kafka';
import { onShutdown, type ShutdownStep } from '../lifecycle';
import { createLogger } from '../logging';
import { createMetrics, type Metrics } from '../metrics';
import { connectMongo, mongoHealthCheck } from '../mongo';
import { stopTelemetry } from '../telemetry';
import type { BaseConfig } from '../config';

export interface ServiceConfig extends BaseConfig {
  PORT: number;
  MONGO_DB?: string;
}

export interface ServiceContext<C extends ServiceConfig = ServiceConfig> {
  name: string;
  config: C;
  logger: Logger;
  metrics: Metrics;
  /** Present when the service declared `uses.mongo`. */
  mongo?: { client: MongoClient; db: Db };
  /** Present when the service declared `uses.kafka`. */
  kafka?: { kafka: Kafka; admin: Admin };
}

/** Something started with the service that must stop, in reverse order, when it drains. */
export interface Stoppable {
  name: string;
  stop(): Promise<void>;
}

export interface ServiceDefinition<C extends ServiceConfig> {
  name: string;
  config: C;
  uses: { mongo: boolean; kafka: boolean };
  /** Adds routes; may start consumers or relays and return them to stop on shutdown. */
  setup?(app: Express, ctx: ServiceContext<C>): Promise<Stoppable[] | void>;
  /** Paths that also accept form-encoded bodies. */
  formPaths?: string[];
  /** False for the gateway: bodies are proxied, not parsed. */
  parseBodies?: boolean;
  /** Paths whose routes read the body themselves (uploads). */
  rawBodyPaths?: string[];
  /** Larger declared-length limits for some exact paths (the gateway's upload routes). */
  bodyLimits?: Record<string, string>;
  /** With parseBodies false: the paths whose declared length is checked up front (all by default). */
  declaredLengthPaths?: (path: string) => boolean;
  /** Readiness checks beyond the MongoDB and Kafka ones. */
  checks?(ctx: ServiceContext<C>): HealthCheck[];
}

export interface RunningService<C extends ServiceConfig = ServiceConfig> {
  url: string;
  port: number;
  context: ServiceContext<C>;
  /** Drains HTTP, then stops consumers and relays, then closes Kafka and MongoDB. */
  stop(): Promise<void>;
}

/** The composition every service shares: config → connect → HTTP + workers → drain. */
export async function startService<C extends ServiceConfig>(def: ServiceDefinition<C>): Promise<RunningService<C>> {
  const { config } = def;
  const logger = createLogger(def.name, config.LOG_LEVEL);
  const metrics = createMetrics(def.name);
  const ctx: ServiceContext<C> = { name: def.name, config, logger, metrics };
  const steps: ShutdownStep[] = [];
  if (def.uses.mongo) {
    const client = await connectMongo(config.MONGO_URL, def.name);
    ctx.mongo = { client, db: client.db(config.MONGO_DB ?? `sms_${def.name}`) };
  }
  if (def.uses.kafka) {
    const kafka = createKafka(config.KAFKA_BROKERS, def.name, logger);
    const admin = kafka.admin();
    await admin.connect();
    ctx.kafka = { kafka, admin };
  }
  const checks: HealthCheck[] = [
    ...(ctx.mongo ? [mongoHealthCheck(ctx.mongo.db)] : []),
    ...(ctx.kafka ? [kafkaHealthCheck(ctx.kafka.admin)] : []),
    ...(def.checks?.(ctx) ?? []),
  ];
  const health = createHealthKit(def.name, checks);
  const app = createHttpApp({ logger, bodyLimit: config.BODY_LIMIT, health, metrics, ...(def.formPaths ? { formPaths: def.formPaths } : {}), ...(def.parseBodies === false ? { parseBodies: false } : {}), ...(def.rawBodyPaths ? { rawBodyPaths: def.rawBodyPaths } : {}), ...(def.bodyLimits ? { bodyLimits: def.bodyLimits } : {}), ...(def.declaredLengthPaths ? { declaredLengthPaths: def.declaredLengthPaths } : {}) });
  const workers = (await def.setup?.(app, ctx)) ?? [];
  finishApp(app, logger);
  const server = await listen(app, config.PORT, config.HOST);
  logger.info({ url: server.url }, `${def.name} listening`);

  steps.push({ name: 'readiness off', run: async () => health.setDraining() });
  steps.push({ name: 'http', run: () => server.close() });
  for (const w of [...workers].reverse()) steps.push({ name: w.name, run: () => w.stop() });
  if (ctx.kafka) steps.push({ name: 'kafka', run: () => ctx.kafka!.admin.disconnect() });
  if (ctx.mongo) steps.push({ name: 'mongodb', run: () => ctx.mongo!.client.close() });

  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      for (const step of steps) {
        try {
          await step.run();
        } catch (err) {
          logger.error({ err, step: step.name }, 'shutdown step failed');
        }
      }
    })());
  return { url: server.url, port: server.port, context: ctx, stop };
}

/** For main.ts: start, then drain on SIGTERM/SIGINT; a start-up failure exits with its message. */
export async function runService<C extends ServiceConfig>(def: () => ServiceDefinition<C>): Promise<void> {
  try {
    const d = def();
    const running = await startService(d);
    onShutdown(running.context.logger, [
      { name: 'service', run: () => running.stop() },
      { name: 'telemetry', run: () => stopTelemetry() },
    ], d.config.SHUTDOWN_TIMEOUT_MS);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(1);
  }
}

export { startEventFlow, type ProjectionSpec } from './event-flow';
