// `npm start`: the whole platform in the foreground. Starts the local infrastructure (unless
// KAFKA_BROKERS and MONGO_URL point elsewhere), then the four services, prints the gateway URL once
// every service is ready, and on Ctrl-C / SIGTERM stops what it started.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { profileFromEnv, stackDown, stackUp, type StackProfile } from '../stack/stack';

const root = join(__dirname, '..');
const env = process.env;
const READY_TIMEOUT_MS = Number(env.START_READY_TIMEOUT_MS ?? 90_000);

interface ServiceSpec {
  name: 'auth' | 'students' | 'organizations' | 'gateway';
  port: number;
}

const services: ServiceSpec[] = [
  { name: 'auth', port: Number(env.AUTH_PORT ?? 8001) },
  { name: 'students', port: Number(env.STUDENTS_PORT ?? 8002) },
  { name: 'organizations', port: Number(env.ORGANIZATIONS_PORT ?? 8003) },
  { name: 'gateway', port: Number(env.GATEWAY_PORT ?? env.PORT ?? 8000) },
];
const url = (s: ServiceSpec) => `http://127.0.0.1:${s.port}`;
const byName = (name: ServiceSpec['name']) => services.find((s) => s.name === name)!;

const say = (line: string) => process.stderr.write(`[start] ${line}\n`);
const children = new Map<string, ChildProcess>();
let profile: StackProfile | undefined;
let startedInfra: string[] = [];
let stopping = false;

async function waitReady(s: ServiceSpec): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (stopping) return;
    try {
      const res = await fetch(`${url(s)}/health/ready`, { signal: AbortSignal.timeout(2_000) });
      if (res.status === 200) return;
      last = `HTTP ${res.status}: ${await res.text()}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(250);
  }
  throw new Error(`${s.name} was not ready after ${READY_TIMEOUT_MS / 1000} s (${last})`);
}

async function shutdown(code: number): Promise<never> {
  if (stopping) return new Promise(() => undefined);
  stopping = true;
  say('stopping services ...');
  await Promise.all(
    [...children.values()].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
          setTimeout(() => child.kill('SIGKILL'), 15_000).unref();
        }),
    ),
  );
  if (profile && startedInfra.length > 0) {
    say(`stopping the local infrastructure this run started (${startedInfra.join(', ')}) ...`);
    await stackDown(profile, startedInfra);
  }
  say('stopped');
  process.exit(code);
}

async function main(): Promise<void> {
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));

  let kafkaBrokers = env.KAFKA_BROKERS;
  let mongoUrl = env.MONGO_URL;
  let zipkinEndpoint = env.OTEL_EXPORTER_ZIPKIN_ENDPOINT;
  if (!kafkaBrokers || !mongoUrl) {
    profile = profileFromEnv('dev', env);
    say('starting the local infrastructure (Kafka, MongoDB server, Zipkin) ...');
    const up = await stackUp(profile, say);
    startedInfra = up.started;
    kafkaBrokers ??= up.kafkaBrokers;
    mongoUrl ??= up.mongoUrl;
    zipkinEndpoint ??= `${up.zipkinUrl}/api/v2/spans`;
    say(`infrastructure ready (Zipkin UI: ${up.zipkinUrl}/zipkin/)`);
  }

  const shared = {
    ...env,
    NODE_ENV: env.NODE_ENV ?? 'development',
    KAFKA_BROKERS: kafkaBrokers,
    MONGO_URL: mongoUrl,
    AUTH_URL: url(byName('auth')),
    AUTH_JWKS_URL: `${url(byName('auth'))}/.well-known/jwks.json`,
    STUDENTS_URL: url(byName('students')),
    ORGANIZATIONS_URL: url(byName('organizations')),
    OTEL_TRACES_EXPORTER: env.OTEL_TRACES_EXPORTER ?? (zipkinEndpoint ? 'zipkin' : 'none'),
    ...(zipkinEndpoint ? { OTEL_EXPORTER_ZIPKIN_ENDPOINT: zipkinEndpoint } : {}),
  };
  for (const s of services) {
    const dir = join(root, 'services', s.name);
    const child = spawn(process.execPath, ['--require', './dist/instrumentation.js', './dist/main.js'], {
      cwd: dir,
      env: { ...shared, PORT: String(s.port), OTEL_SERVICE_NAME: s.name },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    children.set(s.name, child);
    child.on('exit', (code, signal) => {
      if (stopping) return;
      say(`${s.name} exited unexpectedly (${signal ?? `code ${code}`}); stopping the platform`);
      void shutdown(1);
    });
  }
  await Promise.all(services.map((s) => waitReady(s)));
  if (stopping) return;
  say(`platform ready: ${url(byName('gateway'))}  (Ctrl-C stops it)`);
  process.stdout.write(`${url(byName('gateway'))}\n`);
}

main().catch((err: Error) => {
  say(`failed: ${err.message}`);
  void shutdown(1);
});
