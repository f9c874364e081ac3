/**
 * Local infrastructure without Docker: a single-node Kafka broker (KRaft), a MongoDB wire-protocol
 * server (mongo-java-server) and Zipkin, each a detached JVM started from jars that Maven fetches
 * on first use.
 *
 * All state lives under `<repo>/.local/` (delete it to reset everything):
 *   .local/jars/<server>/                 jars (+ `.pom-sha256`, the hash of stack/pom.xml they came from)
 *   .local/stack/<profile>/pids/*.pid     one JSON pid file per running server
 *   .local/stack/<profile>/logs/*.log     stdout+stderr of each server (previous run: *.prev.log)
 *   .local/stack/<profile>/kafka/         server.properties, cluster id, data
 *   .local/stack/<profile>/mongo/         H2 file of the persistent (dev) MongoDB
 *
 * Used by stack/cli.ts, the `npm start` orchestrator and the jest globalSetup.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { MongoClient } from 'mongodb';

export type ServerName = 'kafka' | 'mongo' | 'zipkin';
export const SERVERS: readonly ServerName[] = ['kafka', 'mongo', 'zipkin'];

export interface StackProfile {
  name: 'dev' | 'test' | 'bench';
  kafkaPort: number;
  kafkaControllerPort: number;
  mongoPort: number;
  zipkinPort: number;
  /** dev: MongoDB data in an H2 file that survives restarts; test: in memory. */
  mongoPersistent: boolean;
  /** test: Kafka data is wiped and reformatted each time the broker starts, and on stackDown. */
  freshKafka: boolean;
  /** JVM heap flags of the MongoDB server (bench: a million students in memory, sized up front so no full GC stalls it). */
  mongoHeap: readonly string[];
}

export interface StackEndpoints {
  /** `host:port[,host:port]` for kafkajs `brokers` (split on ','). */
  kafkaBrokers: string;
  mongoUrl: string;
  /** Base URL: UI at `${zipkinUrl}/zipkin/`, spans at `${zipkinUrl}/api/v2/spans`. */
  zipkinUrl: string;
}

export type StackStatus = Record<ServerName, 'up' | 'down'>;

/** Root of the repository (this file is `<root>/stack/stack.ts`). */
export const REPO_ROOT = path.resolve(__dirname, '..');
export const LOCAL_DIR = path.join(REPO_ROOT, '.local');
const STACK_SRC = path.join(REPO_ROOT, 'stack');
const POM = path.join(STACK_SRC, 'pom.xml');
const JARS_DIR = path.join(LOCAL_DIR, 'jars');

const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 20_000;
const LOCK_TIMEOUT_MS = 180_000;

/** Start-up oriented flags for every JVM; STACK_JVM_FLAGS (space-separated) replaces them. */
const DEFAULT_JVM_FLAGS = ['-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-XX:+ExitOnOutOfMemoryError'];
function jvmFlags(): string[] {
  const custom = process.env['STACK_JVM_FLAGS'];
  return [...(custom !== undefined ? custom.split(/\s+/).filter(Boolean) : DEFAULT_JVM_FLAGS), '-Djava.awt.headless=true'];
}
const HEAP: Record<Exclude<ServerName, 'mongo'>, string> = { kafka: '-Xmx512m', zipkin: '-Xmx192m' };
const LABEL: Record<ServerName, string> = { kafka: 'Kafka', mongo: 'MongoDB', zipkin: 'Zipkin' };

const DEFAULTS = {
  dev: { kafkaPort: 9092, kafkaControllerPort: 9093, mongoPort: 27017, zipkinPort: 9411, mongoPersistent: true, freshKafka: false, mongoHeap: ['-Xmx256m'] },
  test: { kafkaPort: 19092, kafkaControllerPort: 19093, mongoPort: 27117, zipkinPort: 19411, mongoPersistent: false, freshKafka: true, mongoHeap: ['-Xmx256m'] },
  /** Benchmarks that load more than the test stack should hold (bench/students.bench.ts starts only its MongoDB). */
  bench: { kafkaPort: 29092, kafkaControllerPort: 29093, mongoPort: 27217, zipkinPort: 29411, mongoPersistent: false, freshKafka: true, mongoHeap: ['-Xms12g', '-Xmx12g', '-Xmn1g'] },
} as const;

const PORT_ENV = {
  kafkaPort: 'STACK_KAFKA_PORT',
  kafkaControllerPort: 'STACK_KAFKA_CONTROLLER_PORT',
  mongoPort: 'STACK_MONGO_PORT',
  zipkinPort: 'STACK_ZIPKIN_PORT',
} as const;
type PortKey = keyof typeof PORT_ENV;

/** The error thrown by this module: `message` is meant for humans, as is. */
export class StackError extends Error {
  override name = 'StackError';
}

// ---------------------------------------------------------------------------------------------
// Profiles and endpoints

export function profileFromEnv(name: 'dev' | 'test' | 'bench', env: NodeJS.ProcessEnv = process.env): StackProfile {
  if (name !== 'dev' && name !== 'test' && name !== 'bench') {
    throw new StackError(`Unknown stack profile "${String(name)}": use "dev", "test" or "bench".`);
  }
  const d = DEFAULTS[name];
  const port = (key: PortKey): number => {
    const raw = env[PORT_ENV[key]];
    if (raw === undefined || raw.trim() === '') return d[key];
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1 || n > 65535) {
      throw new StackError(`${PORT_ENV[key]}="${raw}" is not a valid TCP port (1-65535).`);
    }
    return n;
  };
  const p: StackProfile = {
    name,
    kafkaPort: port('kafkaPort'),
    kafkaControllerPort: port('kafkaControllerPort'),
    mongoPort: port('mongoPort'),
    zipkinPort: port('zipkinPort'),
    mongoPersistent: d.mongoPersistent,
    freshKafka: d.freshKafka,
    mongoHeap: d.mongoHeap,
  };
  const ports = (Object.keys(PORT_ENV) as PortKey[]).map((k) => p[k]);
  if (new Set(ports).size !== ports.length) {
    throw new StackError(`Stack profile "${name}" uses the same port twice (${ports.join(', ')}); check the STACK_*_PORT variables.`);
  }
  return p;
}

export function stackEndpoints(p: StackProfile): StackEndpoints {
  return {
    kafkaBrokers: `${HOST}:${p.kafkaPort}`,
    mongoUrl: `mongodb://${HOST}:${p.mongoPort}/?directConnection=true`,
    zipkinUrl: `http://${HOST}:${p.zipkinPort}`,
  };
}

// ---------------------------------------------------------------------------------------------
// Paths and small helpers

function profileDir(p: StackProfile): string {
  return path.join(LOCAL_DIR, 'stack', p.name);
}
function pidFile(p: StackProfile, s: ServerName): string {
  return path.join(profileDir(p), 'pids', `${s}.pid`);
}
function logFile(p: StackProfile, s: ServerName): string {
  return path.join(profileDir(p), 'logs', `${s}.log`);
}
function kafkaDir(p: StackProfile): string {
  return path.join(profileDir(p), 'kafka');
}
function jarDir(s: ServerName): string {
  return path.join(JARS_DIR, s);
}
/** Put on each JVM's command line so that a pid can be recognised as ours (and not a recycled pid). */
function marker(p: StackProfile, s: ServerName): string {
  return `-Dlocal.stack=${s}:${p.name}:${REPO_ROOT}`;
}
function portsOf(p: StackProfile, s: ServerName): Array<{ port: number; env: string }> {
  switch (s) {
    case 'kafka':
      return [
        { port: p.kafkaPort, env: PORT_ENV.kafkaPort },
        { port: p.kafkaControllerPort, env: PORT_ENV.kafkaControllerPort },
      ];
    case 'mongo':
      return [{ port: p.mongoPort, env: PORT_ENV.mongoPort }];
    case 'zipkin':
      return [{ port: p.zipkinPort, env: PORT_ENV.zipkinPort }];
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function tail(text: string, lines = 40): string {
  const all = text.replace(/\s+$/, '').split('\n');
  return all.slice(-lines).map((l) => `    ${l}`).join('\n');
}
function tailFile(file: string, lines = 40): string {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const len = Math.min(size, 64 * 1024);
      const buf = Buffer.alloc(len);
      fs.readSync(fd, buf, 0, len, size - len);
      return tail(buf.toString('utf8'), lines) || '    (empty)';
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return '    (no log file)';
  }
}

function sha256File(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // A zombie (exited, not yet reaped by its parent) counts as dead.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return process.platform !== 'linux';
  }
}

/** Whether `pid` is a live process started by this module as server `s` of profile `p`. */
function isOurProcess(pid: number, p: StackProfile, s: ServerName): boolean {
  if (!isAlive(pid)) return false;
  try {
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return cmdline.includes(marker(p, s));
  } catch {
    return process.platform !== 'linux'; // no /proc: trust the pid file
  }
}

interface PidInfo {
  pid: number;
  server: ServerName;
  profile: string;
  ports: number[];
  startedAt: string;
}
function readPid(p: StackProfile, s: ServerName): PidInfo | undefined {
  try {
    const info = JSON.parse(fs.readFileSync(pidFile(p, s), 'utf8')) as PidInfo;
    return typeof info.pid === 'number' ? info : undefined;
  } catch {
    return undefined;
  }
}
/** The pid of our running server `s`, if any (from the pid file, else by scanning /proc for the marker). */
function runningPid(p: StackProfile, s: ServerName): number | undefined {
  const info = readPid(p, s);
  if (info && isOurProcess(info.pid, p, s)) return info.pid;
  if (process.platform === 'linux') {
    // Pid file lost (e.g. .local deleted while running): look for the marker.
    const m = marker(p, s);
    for (const entry of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        if (fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').includes(m)) return Number(entry);
      } catch {
        /* process went away */
      }
    }
  }
  return undefined;
}

/** Resolves true if nothing listens on HOST:port (we can bind it). */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host: HOST, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** Inter-process lock (a directory holding the owner's pid); stale locks of dead processes are taken over. */
async function withLock<T>(dir: string, what: string, fn: () => Promise<T>): Promise<T> {
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const deadline = Date.now() + LOCK_TIMEOUT_MS;
  for (;;) {
    try {
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(dir, 'owner'), String(process.pid));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let owner = NaN;
      try {
        owner = Number(fs.readFileSync(path.join(dir, 'owner'), 'utf8'));
      } catch {
        /* being created or removed */
      }
      if (Number.isInteger(owner) && owner > 0 && !isAlive(owner)) {
        fs.rmSync(dir, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new StackError(`Timed out waiting for another process (pid ${owner}) that holds the ${what} lock ${dir}.`);
      }
      await sleep(200);
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Java and jars

let javaChecked = false;
function checkJava(): void {
  if (javaChecked) return;
  const r = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    throw new StackError(
      code === 'ENOENT'
        ? 'No `java` on the PATH. The local stack (Kafka, MongoDB server, Zipkin) runs on Java 17 or newer: install a JDK/JRE 17+ and put its bin/ on the PATH.'
        : `Could not run \`java -version\`: ${r.error.message}`,
    );
  }
  const out = `${r.stderr}${r.stdout}`;
  const m = /version "(\d+)(?:\.(\d+))?/.exec(out);
  const major = m ? (m[1] === '1' ? Number(m[2]) : Number(m[1])) : NaN;
  if (!(major >= 17)) {
    throw new StackError(
      `The \`java\` on the PATH is ${m ? `Java ${major}` : 'of an unknown version'}; the local stack needs Java 17 or newer.\n${tail(out, 5)}`,
    );
  }
  javaChecked = true;
}

/** Fetches the jars of `s` into .local/jars/<s>/ unless already there for the current stack/pom.xml. */
async function ensureJars(s: ServerName, log: (line: string) => void): Promise<string> {
  const dir = jarDir(s);
  const markerFile = path.join(dir, '.pom-sha256');
  const hash = sha256File(POM);
  const current = () => {
    try {
      return fs.readFileSync(markerFile, 'utf8').trim() === hash;
    } catch {
      return false;
    }
  };
  if (current()) return dir;
  // One Maven at a time (all processes): they share ~/.m2, which Maven 3.8 does not lock.
  return withLock(path.join(JARS_DIR, '.lock'), 'jar download', async () => {
    if (current()) return dir;
    log(`${LABEL[s]}: fetching jars with Maven into ${path.relative(REPO_ROOT, dir)}/ (first use only)`);
    const tmp = `${dir}.tmp-${process.pid}`;
    fs.rmSync(tmp, { recursive: true, force: true });
    const args = ['-q', '-B', '-Dstyle.color=never', '-f', POM, '-P', s, 'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${tmp}`];
    const started = Date.now();
    const { code, output, error } = await run('mvn', args);
    if (error?.code === 'ENOENT') {
      throw new StackError(`No \`mvn\` on the PATH: the local stack fetches the ${LABEL[s]} jars with Maven 3.8+ on first use. Install Maven (or copy .local/jars/ from another checkout).`);
    }
    const jars = fs.existsSync(tmp) ? fs.readdirSync(tmp).filter((f) => f.endsWith('.jar')) : [];
    if (code !== 0 || jars.length === 0) {
      fs.rmSync(tmp, { recursive: true, force: true });
      throw new StackError(
        `Maven could not download the ${LABEL[s]} jars (mvn ${args.join(' ')} exited with ${error ? error.message : code}). Is Maven Central reachable?\nLast lines of its output:\n${tail(output || '(no output)')}`,
      );
    }
    fs.writeFileSync(path.join(tmp, '.pom-sha256'), `${hash}\n`);
    const old = `${dir}.old-${process.pid}`;
    if (fs.existsSync(dir)) fs.renameSync(dir, old); // a running JVM keeps its open jars
    fs.renameSync(tmp, dir);
    fs.rmSync(old, { recursive: true, force: true });
    log(`${LABEL[s]}: ${jars.length} jars fetched in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return dir;
  });
}

function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; logTo?: string } = {}): Promise<{ code: number | null; output: string; error?: NodeJS.ErrnoException }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: REPO_ROOT, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (b: Buffer) => {
      output += b.toString('utf8');
      if (output.length > 256 * 1024) output = output.slice(-128 * 1024);
      if (opts.logTo) fs.appendFileSync(opts.logTo, b);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('error', (error: NodeJS.ErrnoException) => resolve({ code: null, output, error }));
    child.once('close', (code) => resolve({ code, output }));
  });
}

// ---------------------------------------------------------------------------------------------
// Health probes (each a single quick attempt)

process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';

async function kafkaHealthy(port: number): Promise<boolean> {
  const kafka = new Kafka({
    clientId: 'local-stack-probe',
    brokers: [`${HOST}:${port}`],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1500,
    requestTimeout: 3000,
    retry: { retries: 0 },
  });
  const admin = kafka.admin({ retry: { retries: 0 } });
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0 && cluster.controller !== null;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * A new broker creates __consumer_offsets on the first FindCoordinator request, answering "group
 * coordinator is not available" meanwhile (kafkajs logs it as an error and retries). Do it now.
 */
async function warmUpGroupCoordinator(port: number): Promise<void> {
  const kafka = new Kafka({ clientId: 'local-stack-warmup', brokers: [`${HOST}:${port}`], logLevel: logLevel.NOTHING });
  const admin = kafka.admin({ retry: { retries: 40, initialRetryTime: 50, maxRetryTime: 200, factor: 0.2 } });
  try {
    await admin.connect();
    await admin.describeGroups(['local-stack-warmup']);
  } catch {
    /* best effort: clients retry anyway */
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

async function mongoHealthy(port: number): Promise<boolean> {
  const client = new MongoClient(`mongodb://${HOST}:${port}/?directConnection=true`, {
    serverSelectionTimeoutMS: 1500,
    connectTimeoutMS: 1500,
    socketTimeoutMS: 3000,
  });
  try {
    await client.connect();
    const r = await client.db('admin').command({ ping: 1 });
    return r['ok'] === 1;
  } catch {
    return false;
  } finally {
    await client.close().catch(() => undefined);
  }
}

async function zipkinHealthy(port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://${HOST}:${port}/health`, { signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer().catch(() => undefined);
    return res.status === 200;
  } catch {
    return false;
  }
}

function healthy(p: StackProfile, s: ServerName): Promise<boolean> {
  switch (s) {
    case 'kafka':
      return kafkaHealthy(p.kafkaPort);
    case 'mongo':
      return mongoHealthy(p.mongoPort);
    case 'zipkin':
      return zipkinHealthy(p.zipkinPort);
  }
}

// ---------------------------------------------------------------------------------------------
// Starting

interface Launch {
  args: string[];
  env: NodeJS.ProcessEnv;
  /** Kafka: the storage was formatted just now (so __consumer_offsets does not exist yet). */
  formatted?: boolean;
}

/** Writes server.properties, formats the storage if needed, and returns the broker's command line. */
async function prepareKafka(p: StackProfile, jars: string, log: (line: string) => void): Promise<Launch> {
  const dir = kafkaDir(p);
  const dataDir = path.join(dir, 'data');
  if (p.freshKafka) fs.rmSync(dataDir, { recursive: true, force: true });
  fs.mkdirSync(dataDir, { recursive: true });

  const props = path.join(dir, 'server.properties');
  fs.writeFileSync(
    props,
    [
      '# Generated by stack/stack.ts at every start: edit stack.ts, not this file.',
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@${HOST}:${p.kafkaControllerPort}`,
      `listeners=PLAINTEXT://${HOST}:${p.kafkaPort},CONTROLLER://${HOST}:${p.kafkaControllerPort}`,
      `advertised.listeners=PLAINTEXT://${HOST}:${p.kafkaPort}`,
      'controller.listener.names=CONTROLLER',
      'inter.broker.listener.name=PLAINTEXT',
      'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
      `log.dirs=${dataDir}`,
      'num.partitions=3',
      'default.replication.factor=1',
      'offsets.topic.replication.factor=1',
      'offsets.topic.num.partitions=3',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'transaction.state.log.num.partitions=3',
      'group.initial.rebalance.delay.ms=0',
      'auto.create.topics.enable=false',
      'log.retention.ms=-1',
      'log.retention.bytes=-1',
      '',
    ].join('\n'),
  );

  const common = [HEAP.kafka, ...jvmFlags(), `-Dlog4j.configuration=file:${path.join(STACK_SRC, 'log4j.properties')}`, '-cp', path.join(jars, '*')];
  const formatted = !fs.existsSync(path.join(dataDir, 'meta.properties'));
  if (formatted) {
    const idFile = path.join(dir, 'cluster-id');
    let clusterId = !p.freshKafka && fs.existsSync(idFile) ? fs.readFileSync(idFile, 'utf8').trim() : '';
    if (!clusterId) {
      do clusterId = randomBytes(16).toString('base64url');
      while (clusterId.startsWith('-'));
      fs.writeFileSync(idFile, `${clusterId}\n`);
    }
    log(`Kafka: formatting ${path.relative(REPO_ROOT, dataDir)} (cluster id ${clusterId})`);
    const format = ['-Xmx256m', ...common.slice(1), 'kafka.tools.StorageTool', 'format', '-c', props, '-t', clusterId, '-g'];
    const r = await run('java', format, { logTo: logFile(p, 'kafka') });
    if (r.code !== 0) {
      throw new StackError(`Kafka: formatting the storage failed (exit code ${r.code ?? r.error?.message}).\nLast lines of its output:\n${tail(r.output)}`);
    }
  }
  return { args: [marker(p, 'kafka'), ...common, 'kafka.Kafka', props], env: process.env, formatted };
}

function prepareMongo(p: StackProfile, jars: string): Launch {
  let storage = 'memory';
  if (p.mongoPersistent) {
    const dir = path.join(profileDir(p), 'mongo');
    fs.mkdirSync(dir, { recursive: true });
    storage = path.join(dir, 'data.mv');
  }
  return {
    args: [marker(p, 'mongo'), ...p.mongoHeap, ...jvmFlags(), '-cp', path.join(jars, '*'), path.join(STACK_SRC, 'MongoServerLauncher.java'), HOST, String(p.mongoPort), storage],
    env: process.env,
  };
}

function prepareZipkin(p: StackProfile, jars: string): Launch {
  const jar = fs.readdirSync(jars).find((f) => /^zipkin-server-.*-slim\.jar$/.test(f));
  if (!jar) throw new StackError(`Zipkin: no zipkin-server-*-slim.jar in ${jars}; delete ${jars} to fetch it again.`);
  // Clean environment: variables such as KAFKA_BOOTSTRAP_SERVERS or STORAGE_TYPE reconfigure Zipkin.
  const env: NodeJS.ProcessEnv = {};
  for (const k of ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'JAVA_HOME']) {
    if (process.env[k] !== undefined) env[k] = process.env[k];
  }
  return {
    args: [
      marker(p, 'zipkin'),
      HEAP.zipkin,
      ...jvmFlags(),
      '-jar',
      path.join(jars, jar),
      `--armeria.ports[0].ip=${HOST}`,
      `--armeria.ports[0].port=${p.zipkinPort}`,
      '--armeria.ports[0].protocols[0]=http',
    ],
    env,
  };
}

/** Spawns a detached JVM that outlives this process; stdout+stderr go to the server's log. */
function launch(p: StackProfile, s: ServerName, l: Launch): ChildProcess {
  const out = fs.openSync(logFile(p, s), 'a');
  let child: ChildProcess;
  try {
    child = spawn('java', l.args, { cwd: REPO_ROOT, env: l.env, detached: true, stdio: ['ignore', out, out] });
  } finally {
    fs.closeSync(out);
  }
  child.unref();
  return child;
}

function rotateLog(p: StackProfile, s: ServerName): void {
  const file = logFile(p, s);
  if (fs.existsSync(file)) fs.renameSync(file, file.replace(/\.log$/, '.prev.log'));
  fs.writeFileSync(file, `--- ${LABEL[s]} (${p.name} profile) starting at ${new Date().toISOString()}\n`);
}

/** Polls `healthy` until it succeeds; fails early if the process dies. */
async function waitReady(p: StackProfile, s: ServerName, pid: number, exited: () => string | undefined): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  const log = path.relative(process.cwd(), logFile(p, s)) || logFile(p, s);
  for (;;) {
    const gone = exited() ?? (isAlive(pid) ? undefined : 'exited');
    if (gone) {
      throw new StackError(`${LABEL[s]} (${p.name} profile) ${gone} during startup. Last lines of ${log}:\n${tailFile(logFile(p, s))}`);
    }
    if (await healthy(p, s)) return;
    if (Date.now() > deadline) {
      throw new StackError(
        `${LABEL[s]} (${p.name} profile, pid ${pid}) did not become ready within ${READY_TIMEOUT_MS / 1000} s. Last lines of ${log}:\n${tailFile(logFile(p, s))}`,
      );
    }
    await sleep(250);
  }
}

async function assertPortsFree(p: StackProfile, s: ServerName): Promise<void> {
  for (const { port, env } of portsOf(p, s)) {
    if (!(await portFree(port))) {
      throw new StackError(
        `Port ${port} (${LABEL[s]}, ${p.name} profile) is already in use by another process that is not this stack's ${LABEL[s]}. ` +
          `Stop that process, or choose another port with ${env}=<port>.`,
      );
    }
  }
}

async function startServer(p: StackProfile, s: ServerName, log: (line: string) => void): Promise<'started' | 'reused'> {
  let existing = runningPid(p, s);
  const wanted = portsOf(p, s).map((x) => x.port);
  const had = readPid(p, s)?.ports;
  if (existing !== undefined && had && had.join(',') !== wanted.join(',')) {
    await assertPortsFree(p, s);
    log(`${LABEL[s]}: running on port(s) ${had.join(', ')} but port(s) ${wanted.join(', ')} are configured; restarting it`);
    await stopServer(p, s);
    existing = undefined;
  }
  if (existing !== undefined) {
    await waitReady(p, s, existing, () => undefined);
    if (readPid(p, s)?.pid !== existing) {
      // Found by its marker (the pid file was lost): record it again.
      const info: PidInfo = { pid: existing, server: s, profile: p.name, ports: wanted, startedAt: 'unknown' };
      fs.writeFileSync(pidFile(p, s), `${JSON.stringify(info)}\n`);
    }
    log(`${LABEL[s]}: already running (pid ${existing}), reused`);
    return 'reused';
  }
  fs.rmSync(pidFile(p, s), { force: true });

  await assertPortsFree(p, s);

  const jars = await ensureJars(s, log);
  rotateLog(p, s);
  const started = Date.now();
  const l = s === 'kafka' ? await prepareKafka(p, jars, log) : s === 'mongo' ? prepareMongo(p, jars) : prepareZipkin(p, jars);
  const child = launch(p, s, l);
  let exitReason: string | undefined;
  child.once('exit', (code, signal) => (exitReason = `exited (${signal ? `signal ${signal}` : `exit code ${code}`})`));
  child.once('error', (e) => (exitReason = `could not be started (${e.message})`));
  if (child.pid === undefined) {
    await sleep(50);
    throw new StackError(`${LABEL[s]}: could not start java (${exitReason ?? 'unknown error'}).`);
  }
  const info: PidInfo = { pid: child.pid, server: s, profile: p.name, ports: wanted, startedAt: new Date().toISOString() };
  fs.writeFileSync(pidFile(p, s), `${JSON.stringify(info)}\n`);
  log(`${LABEL[s]}: started (pid ${child.pid}), waiting for it to be ready`);
  try {
    await waitReady(p, s, child.pid, () => exitReason);
  } catch (e) {
    await stopServer(p, s).catch(() => undefined);
    throw e;
  }
  if (l.formatted) await warmUpGroupCoordinator(p.kafkaPort);
  log(`${LABEL[s]}: ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return 'started';
}

/**
 * Starts whatever is not already running (in parallel) and waits until all three servers (or `only`
 * those) are ready. Servers of this profile that are already up and healthy are reused. On failure,
 * the servers this call started are stopped again and a StackError explains what went wrong.
 */
export async function stackUp(
  p: StackProfile,
  log: (line: string) => void = () => undefined,
  only: readonly ServerName[] = SERVERS,
): Promise<StackEndpoints & { started: string[] }> {
  checkJava();
  for (const d of ['pids', 'logs']) fs.mkdirSync(path.join(profileDir(p), d), { recursive: true });
  return withLock(path.join(profileDir(p), '.lock'), `${p.name} stack`, async () => {
    const which = SERVERS.filter((s) => only.includes(s));
    const results = await Promise.allSettled(which.map((s) => startServer(p, s, log)));
    const started = which.filter((_, i) => results[i]?.status === 'fulfilled' && (results[i] as PromiseFulfilledResult<string>).value === 'started');
    const errors = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    if (errors.length > 0) {
      if (started.length > 0) {
        log(`stopping ${started.join(', ')} again after the failure`);
        await stackDownUnlocked(p, started);
      }
      const text = errors.map((e) => (e instanceof Error ? e.message : String(e))).join('\n\n');
      throw new StackError(`The ${p.name} stack could not be started:\n\n${text}`);
    }
    return { ...stackEndpoints(p), started };
  });
}

// ---------------------------------------------------------------------------------------------
// Stopping and status

async function stopServer(p: StackProfile, s: ServerName): Promise<void> {
  const pid = runningPid(p, s);
  if (pid !== undefined) {
    const signal = (sig: NodeJS.Signals) => {
      try {
        process.kill(pid, sig);
      } catch {
        /* already gone */
      }
    };
    signal('SIGTERM');
    const deadline = Date.now() + STOP_TIMEOUT_MS;
    while (isAlive(pid) && Date.now() < deadline) await sleep(100);
    if (isAlive(pid)) {
      signal('SIGKILL');
      const killDeadline = Date.now() + 5000;
      while (isAlive(pid) && Date.now() < killDeadline) await sleep(50);
    }
  }
  fs.rmSync(pidFile(p, s), { force: true });
  if (s === 'kafka' && p.freshKafka) fs.rmSync(path.join(kafkaDir(p), 'data'), { recursive: true, force: true });
}

async function stackDownUnlocked(p: StackProfile, only?: string[]): Promise<void> {
  const unknown = (only ?? []).filter((s) => !SERVERS.includes(s as ServerName));
  if (unknown.length > 0) throw new StackError(`Unknown server(s) ${unknown.join(', ')}: use ${SERVERS.join(', ')}.`);
  const which = SERVERS.filter((s) => !only || only.includes(s));
  await Promise.all(which.map((s) => stopServer(p, s)));
}

/** Stops the profile's servers (all, or `only` those named): SIGTERM, then SIGKILL after 20 s. */
export async function stackDown(p: StackProfile, only?: string[]): Promise<void> {
  await withLock(path.join(profileDir(p), '.lock'), `${p.name} stack`, () => stackDownUnlocked(p, only));
}

/** 'up' = this stack's server is running and answers its health check. */
export async function stackStatus(p: StackProfile): Promise<StackStatus> {
  const entries = await Promise.all(
    SERVERS.map(async (s) => [s, runningPid(p, s) !== undefined && (await healthy(p, s)) ? 'up' : 'down'] as const),
  );
  return Object.fromEntries(entries) as StackStatus;
}

/** Where a server's log is (for messages). */
export function stackLogFile(p: StackProfile, s: ServerName): string {
  return logFile(p, s);
}
