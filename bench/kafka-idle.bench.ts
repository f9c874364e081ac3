// Idle CPU of a Kafka client: what kafkajs 2.2.4's request-queue timer loop costs (tulios/kafkajs#1556)
// and what shared/kafka's fix (request-queue-fix.ts) leaves. Two child processes side by side in the
// same run, each with an admin, a producer and a consumer on the test stack's broker, as a service
// has; one with kafkajs as published, one with the fix. After they are connected, their CPU (user +
// system, from the OS) is read over the same idle interval.
//   npm run bench:kafka-idle        BENCH_SECONDS=20 npm run bench:kafka-idle
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { profileFromEnv, stackUp } from '../stack/stack';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);

/** The child: connects, sends one message, consumes it, says "ready", then idles until stopped. */
const CHILD = `
const { Kafka, logLevel } = require('kafkajs');
if (process.env.FIXED === '1') require('./shared/src/kafka/request-queue-fix.ts').fixRequestQueueTimerLoop();
(async () => {
  const kafka = new Kafka({ brokers: process.env.BROKERS.split(','), clientId: 'idle-bench', logLevel: logLevel.NOTHING });
  const topic = process.env.TOPIC;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic }] }).catch(() => undefined);
  const producer = kafka.producer();
  await producer.connect();
  const consumer = kafka.consumer({ groupId: topic + '-' + process.env.FIXED, maxWaitTimeInMs: 1000 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise((resolve) => { consumer.run({ eachMessage: async () => resolve() }); producer.send({ topic, messages: [{ value: 'x' }] }); });
  process.stdout.write('ready\\n');
  process.on('SIGTERM', () => Promise.all([consumer.disconnect(), producer.disconnect(), admin.disconnect()]).finally(() => process.exit(0)));
})();
`;

/** User + system CPU of a process so far, in ms (from /proc; clock ticks of 10 ms). */
async function cpuMs(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function main(): Promise<void> {
  const endpoints = process.env.KAFKA_BROKERS
    ? { kafkaBrokers: process.env.KAFKA_BROKERS }
    : await stackUp(profileFromEnv('test'), (l) => process.stderr.write(`[stack] ${l}\n`));
  const topic = `bench_idle_${randomUUID().slice(0, 8)}`;
  const start = (fixed: boolean): { child: ChildProcess; ready: Promise<unknown> } => {
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', CHILD], {
      env: { ...process.env, BROKERS: endpoints.kafkaBrokers, TOPIC: topic, FIXED: fixed ? '1' : '0' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    return { child, ready: once(child.stdout!, 'data') };
  };
  const stock = start(false);
  const fixed = start(true);
  try {
    await Promise.all([stock.ready, fixed.ready]);
    const before = await Promise.all([cpuMs(stock.child.pid!), cpuMs(fixed.child.pid!)]);
    await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
    const after = await Promise.all([cpuMs(stock.child.pid!), cpuMs(fixed.child.pid!)]);
    const [stockRate, fixedRate] = [0, 1].map((i) => (after[i]! - before[i]!) / SECONDS);
    console.log(`\nIdle Kafka client (admin + producer + consumer), CPU over ${SECONDS} s\n`);
    console.log('| kafkajs 2.2.4 | CPU, ms per second idle |\n|---|---|');
    console.log(`| as published | ${stockRate!.toFixed(1)} |`);
    console.log(`| with shared/kafka's request-queue fix | ${fixedRate!.toFixed(1)} |`);
    console.log(`\nfixed / as published = ${(fixedRate! / stockRate!).toFixed(2)}`);
  } finally {
    for (const { child } of [stock, fixed]) child.kill('SIGTERM');
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
