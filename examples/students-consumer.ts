/**
 * A downstream consumer of the students events, as another team would write it: plain kafkajs, its own
 * consumer group, nothing imported from this repository's services. Prints every event.
 *
 *   npm run example:students-consumer
 *
 * Environment (defaults in brackets): KAFKA_BROKERS [127.0.0.1:9092], EVENTS_TOPIC [students.events],
 * CONSUMER_GROUP [example.students-consumer], FROM_BEGINNING [true: a new group reads the whole history].
 *
 * The contract it relies on: the AsyncAPI document and JSON Schemas served at
 * `GET /contracts/students/asyncapi.json` and `/contracts/students/schemas/<type>.json` (committed in
 * services/students/contracts/). Delivery is at least once and in order per student (key = aggregate id):
 * deduplicate by `id`, or keep the highest `version` per `subject`. Skip types you do not know.
 */
import { Kafka, logLevel } from 'kafkajs';

process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';

const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',').map((b) => b.trim()).filter(Boolean);
const topic = process.env.EVENTS_TOPIC ?? 'students.events';
const groupId = process.env.CONSUMER_GROUP ?? 'example.students-consumer';
const fromBeginning = (process.env.FROM_BEGINNING ?? 'true') !== 'false';

/** The envelope fields this consumer uses (the full contract is in the JSON Schemas). */
interface StudentEvent {
  id: string;
  type: string;
  subject: string;
  tenant: string;
  version: number;
  time: string;
  actor: string;
  data: Record<string, unknown>;
}

const KNOWN = /^students\.student\.(created|updated|deleted)\.v1$/;

function parse(value: Buffer | null): StudentEvent | string {
  if (value === null) return 'empty message';
  try {
    const event = JSON.parse(value.toString('utf8')) as Partial<StudentEvent>;
    if (typeof event.type !== 'string' || typeof event.subject !== 'string' || typeof event.version !== 'number' || typeof event.data !== 'object') {
      return 'not a students event envelope';
    }
    return event as StudentEvent;
  } catch {
    return 'not JSON';
  }
}

async function main(): Promise<void> {
  const kafka = new Kafka({ clientId: groupId, brokers, logLevel: logLevel.WARN });
  const consumer = kafka.consumer({ groupId });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.error(`${signal}: leaving the consumer group`);
    await consumer.disconnect().catch(() => undefined);
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning });
  console.error(`consuming ${topic} on ${brokers.join(',')} as group ${groupId} (Ctrl-C to stop)`);
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      const event = parse(message.value);
      const where = `p${partition}@${message.offset}`;
      if (typeof event === 'string') {
        console.log(`${where} skipped: ${event}`);
        return;
      }
      if (!KNOWN.test(event.type)) {
        // Forward compatible: a new type (or a .v2) is not an error for an old consumer.
        console.log(`${where} skipped unknown type ${event.type}`);
        return;
      }
      console.log(`${where} ${event.type} subject=${event.subject} version=${event.version} tenant=${event.tenant} time=${event.time} data=${JSON.stringify(event.data)}`);
    },
  });
}

main().catch((e: unknown) => {
  console.error(`students consumer failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
