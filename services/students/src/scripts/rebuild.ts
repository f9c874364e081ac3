/**
 * Rebuilds the students read model (`students` collection) from the events topic, with a progress bar
 * on stderr:
 *
 *   npm run students:rebuild
 *
 * Drops the read model, then replays `EVENTS_TOPIC` from offset 0 with a throw-away consumer group up to
 * the partition heads seen at the start. Reads the service's own configuration (MONGO_URL, MONGO_DB,
 * KAFKA_BROKERS, EVENTS_TOPIC). The running service may stay up: its projector and the rebuild both write
 * through the version guard, so the result is the same; lists and searches are incomplete until the
 * rebuild ends. Exit codes: 0 rebuilt; 2 bad environment; 1 anything else.
 */
import { ConfigError } from '@sms/shared/config';
import { EventRegistry } from '@sms/shared/events';
import { createKafka } from '@sms/shared/kafka';
import { createLogger } from '@sms/shared/logging';
import { connectMongo, type MongoClient } from '@sms/shared/mongo';
import { rebuildProjection, type RebuildProgress } from '@sms/shared/projection';
import { readConfig } from '../config';
import { studentEvents } from '../domain/student.events';
import { studentsCollection, studentsProjection } from '../projections/students';

const tty = process.stderr.isTTY === true;
const WIDTH = 30;

/** `[██████░░░░]  60%  600/1000 events  1200 events/s` */
function progressLine({ processed, total, eventsPerSecond, done }: RebuildProgress): string {
  const ratio = total === 0 ? (done ? 1 : 0) : Math.min(1, processed / total);
  const filled = Math.round(ratio * WIDTH);
  const percent = `${Math.floor(ratio * 100)}%`.padStart(4);
  return `[${'█'.repeat(filled)}${'░'.repeat(WIDTH - filled)}] ${percent}  ${processed}/${total} events  ${eventsPerSecond} events/s`;
}

function draw(progress: RebuildProgress): void {
  // On a terminal the bar redraws in place; piped (CI, logs) it prints one line per tick.
  if (tty) process.stderr.write(`\r${progressLine(progress)}\x1b[K${progress.done ? '\n' : ''}`);
  else process.stderr.write(`${progressLine(progress)}\n`);
}

async function main(): Promise<number> {
  const config = readConfig();
  const logger = createLogger('students-rebuild', config.LOG_LEVEL === 'silent' ? 'silent' : 'warn');
  const topic = config.EVENTS_TOPIC;
  const group = `${config.MONGO_DB}.students`;
  let mongo: MongoClient | undefined;
  const kafka = createKafka(config.KAFKA_BROKERS, 'students-rebuild', logger);
  const admin = kafka.admin();
  try {
    mongo = await connectMongo(config.MONGO_URL, 'students-rebuild');
    const db = mongo.db(config.MONGO_DB);
    await admin.connect();
    if (!(await admin.listTopics()).includes(topic)) throw new Error(`topic ${topic} does not exist on ${config.KAFKA_BROKERS.join(',')}`);
    process.stderr.write(`rebuilding ${config.MONGO_DB}.${studentsCollection(db).collectionName} from ${topic}\n`);
    const result = await rebuildProjection(
      { kafka, admin, db, topics: [topic], groupId: group, registry: new EventRegistry([...studentEvents]), projection: studentsProjection, logger },
      draw,
      tty ? 200 : 1_000,
    );
    const rows = await studentsCollection(db).estimatedDocumentCount();
    process.stdout.write(`rebuilt the students read model: ${result.processed} events replayed, ${rows} students (tombstones included)\n`);
    return 0;
  } finally {
    await admin.disconnect().catch(() => undefined);
    await mongo?.close();
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (tty) process.stderr.write('\n');
    process.stderr.write(`students:rebuild failed: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(e instanceof ConfigError ? 2 : 1);
  },
);
