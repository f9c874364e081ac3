import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel, type Admin, type IHeaders, type ITopicConfig, type LogEntry } from 'kafkajs';
import type { Logger } from 'pino';
import type { HealthCheck } from '../health';
import { fixRequestQueueTimerLoop } from './request-queue-fix';

export { Kafka, type Admin, type Consumer, type Producer, type KafkaMessage } from 'kafkajs';

process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';
fixRequestQueueTimerLoop();

export const HEADER_EVENT_TYPE = 'event-type';
export const HEADER_CONTENT_TYPE = 'content-type';
export const EVENT_CONTENT_TYPE = 'application/json';

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/** kafkajs logs through pino; its INFO chatter is demoted to debug. */
export function createKafka(brokers: string[], clientId: string, logger: Logger): Kafka {
  return new Kafka({
    clientId,
    brokers,
    connectionTimeout: 3_000,
    retry: { retries: 8, initialRetryTime: 100 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log }: LogEntry) => {
        const { message, ...rest } = log;
        const method = LEVELS[level] ?? 'info';
        logger[method === 'info' ? 'debug' : method]({ kafka: rest }, message);
      },
  });
}

/** Creates missing topics; unlimited retention: the topic is the history read models rebuild from. */
export async function ensureTopics(admin: Admin, topics: Array<string | ITopicConfig>, partitions = 3): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const wanted = topics
    .map((t) => (typeof t === 'string' ? { topic: t } : t))
    .filter((t) => !existing.has(t.topic))
    .map((t) => ({
      numPartitions: partitions,
      replicationFactor: -1,
      ...t,
      configEntries: [{ name: 'retention.ms', value: '-1' }, ...(t.configEntries ?? [])],
    }));
  // Not kafkajs's own wait for leaders: on a broker just started and busy, its metadata request can
  // fail with "This server does not host this topic-partition", which it does not retry (a CI run
  // failed so). The loop below waits, retrying that too; it also covers a topic another service
  // created a moment ago (then createTopics has nothing to wait for).
  if (wanted.length > 0) await admin.createTopics({ topics: wanted, waitForLeaders: false });
  // Every partition must have a leader, so that reading offsets right after does not fail.
  const names = topics.map((t) => (typeof t === 'string' ? t : t.topic));
  const attempts = 150;
  for (let attempt = 1; ; attempt++) {
    try {
      const { topics: meta } = await admin.fetchTopicMetadata({ topics: names });
      if (meta.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) return;
    } catch (err) {
      if (attempt >= attempts) throw err;
    }
    if (attempt >= attempts) return;
    await sleep(100);
  }
}

export function headerString(headers: IHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  if (value === undefined) return undefined;
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}

export function kafkaHealthCheck(admin: Admin): HealthCheck {
  return { name: 'kafka', check: async () => void (await admin.describeCluster()) };
}
