import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin, Kafka } from 'kafkajs';
import type { Db, MongoClient } from 'mongodb';
import { z } from 'zod';
import { defineEvent, EventRegistry, type Decider, type EventEnvelope } from '@sms/shared/events';
import { NotFoundError, ValidationError } from '@sms/shared/errors';
import { createKafka, ensureTopics } from '@sms/shared/kafka';
import { createLogger } from '@sms/shared/logging';
import { connectMongo } from '@sms/shared/mongo';
import { applyVersioned, ensureVersionIndex, type Projection } from '@sms/shared/projection';

export const silentLogger = createLogger('test', process.env.TEST_LOG_LEVEL ?? 'silent');

export function testEndpoints() {
  const kafkaBrokers = process.env.TEST_KAFKA_BROKERS;
  const mongoUrl = process.env.TEST_MONGO_URL;
  if (!kafkaBrokers || !mongoUrl) throw new Error('the platform tests need TEST_KAFKA_BROKERS and TEST_MONGO_URL (set by globalSetup)');
  return { kafkaBrokers: kafkaBrokers.split(','), mongoUrl, zipkinUrl: process.env.TEST_ZIPKIN_URL ?? '' };
}

export const unique = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

/** Polls until `probe` returns a value other than undefined/false; never a fixed sleep. */
export async function eventually<T>(probe: () => Promise<T | undefined | false>, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ''}`);
}

/** A sample aggregate for exercising the backbone: a named thing that can be renamed. */
export const SampleCreated = defineEvent('tests.sample.created.v1', z.object({ name: z.string() }).strict());
export const SampleRenamed = defineEvent('tests.sample.renamed.v1', z.object({ name: z.string() }).strict());
export const sampleRegistry = () => new EventRegistry([SampleCreated, SampleRenamed]);

export type SampleCommand = { kind: 'create'; name: string } | { kind: 'rename'; name: string };
export type SampleState = { status: 'none' } | { status: 'active'; name: string };
type SampleEvent = { type: typeof SampleCreated.type | typeof SampleRenamed.type; data: { name: string } };

export const sampleDecider: Decider<SampleCommand, SampleEvent, SampleState> = {
  initialState: { status: 'none' },
  decide(command, state) {
    switch (command.kind) {
      case 'create':
        if (state.status !== 'none') throw new ValidationError('already exists');
        return [{ type: SampleCreated.type, data: { name: command.name } }];
      case 'rename':
        if (state.status !== 'active') throw new NotFoundError('no such sample');
        return [{ type: SampleRenamed.type, data: { name: command.name } }];
      default: {
        const unhandled: never = command;
        return unhandled;
      }
    }
  },
  evolve(_state, event) {
    return { status: 'active', name: (event.data as { name: string }).name };
  },
};

export interface SampleRow {
  _id: string;
  version: number;
  name: string;
  tenant: string;
  /** How many times an event was folded in: proves redeliveries change nothing. */
  applied: number;
}

/** The sample read model, written through the version guard. `failOn` simulates a poison event. */
export function sampleProjection(collection: string, failOn?: (e: EventEnvelope) => boolean): Projection {
  return {
    name: collection,
    setup: async (db) => {
      await ensureVersionIndex(db.collection(collection));
      await db.collection(collection).createIndex({ tenant: 1, name: 1 });
    },
    reset: async (db) => void (await db.collection(collection).drop().catch(() => undefined)),
    apply: async (event, db) => {
      if (failOn?.(event)) throw new Error(`cannot project ${event.id}`);
      await applyVersioned(db.collection<SampleRow>(collection), event.subject, event.version, {
        $set: { name: (event.data as { name: string }).name, tenant: event.tenant },
        $inc: { applied: 1 },
      });
    },
  };
}

export interface BackboneContext {
  mongo: MongoClient;
  db: Db;
  kafka: Kafka;
  admin: Admin;
  topic: string;
  close(): Promise<void>;
}

/** A database and topics of their own for one test file, dropped at the end. */
export async function backboneContext(name: string): Promise<BackboneContext> {
  const { kafkaBrokers, mongoUrl } = testEndpoints();
  const mongo = await connectMongo(mongoUrl, name);
  const db = mongo.db(unique(`t_${name}`).replace(/-/g, '_'));
  const kafka = createKafka(kafkaBrokers, unique(name), silentLogger);
  const admin = kafka.admin();
  await admin.connect();
  const topic = unique(`${name}.events`);
  await ensureTopics(admin, [topic]);
  return {
    mongo,
    db,
    kafka,
    admin,
    topic,
    close: async () => {
      await db.dropDatabase().catch(() => undefined);
      await admin.disconnect();
      await mongo.close();
    },
  };
}

/** The same resources as another process's context, for child processes in crash tests. */
export async function backboneContextFor(dbName: string, topic: string): Promise<Omit<BackboneContext, 'close'>> {
  const { kafkaBrokers, mongoUrl } = testEndpoints();
  const mongo = await connectMongo(mongoUrl, 'child');
  const kafka = createKafka(kafkaBrokers, unique('child'), silentLogger);
  const admin = kafka.admin();
  return { mongo, db: mongo.db(dbName), kafka, admin, topic };
}

/**
 * The environment of a service started in a test: the test servers, port 0, quiet logs, and a
 * database and topic of its own (a rebuild then replays only this run's events). Overrides win.
 */
export function serviceTestEnv(name: string, overrides: Record<string, string> = {}): Record<string, string> {
  const { kafkaBrokers, mongoUrl } = testEndpoints();
  const db = overrides.MONGO_DB ?? unique(`t_${name}`).replace(/-/g, '_');
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    PORT: '0',
    KAFKA_BROKERS: kafkaBrokers.join(','),
    MONGO_URL: mongoUrl,
    MONGO_DB: db,
    EVENTS_TOPIC: `${db}.${name}.events`,
    ...overrides,
  };
}
