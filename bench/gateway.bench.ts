// Gateway benchmark: an authenticated read (GET /api/v1/students/<id> with a member token) through
// the gateway (JWT verification, revocation check, rate limits in Redis, route policy, circuit
// breaker, proxy), beside two baselines in the same run: the students service called directly, and a
// bare node:http proxy (no checks at all) in front of the same service, the practical limit. A third
// proxy, express + http-proxy-middleware alone, shows what the gateway's framework itself costs.
//   npm run build && npm run bench:gateway      (test-profile local stack; services from dist/)
//   BENCH_SECONDS=8 BENCH_ROUNDS=3 BENCH_CONNECTIONS=32 BENCH_RATE=50 npm run bench:gateway
//   BENCH_CPU_PROF=/tmp/gw-prof npm run bench:gateway   (CPU profiles of the gateway and students, written when they stop)
// Every service and the bare proxy run as child processes; autocannon (the load generator) runs in
// this process. Max throughput: BENCH_CONNECTIONS connections as fast as they go, one target at a
// time, in slices of BENCH_SLICE_SECONDS (2) taken in turn until each has had BENCH_SECONDS.
// Latency: a fixed offered rate of BENCH_RATE req/s to each target, evenly spaced and
// interleaved (open loop; default: all of them together offer a quarter of the slowest target's max
// throughput, at most 100/s each: on 2 shared cores, with the load generator, students and MongoDB on
// the same cores, half of saturation already queues), each response timed exactly (hrtime).
// BENCH_GATEWAY_ENV='LOG_LEVEL=warn OTEL_SDK_DISABLED=true': variables for the gateway alone (what a
// setting costs at the gateway).
// Trace sampling: every request is traced by default; the standard OTEL_* variables are passed on to
// every service, so `OTEL_TRACES_SAMPLER=parentbased_traceidratio OTEL_TRACES_SAMPLER_ARG=0.1` samples
// a tenth of the requests on every traced path alike (the bare and express proxies have no tracing).
// The targets alternate, round by round; each throughput and CPU number is the median over the
// rounds, each latency percentile is over every answer of every round.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { Kafka, logLevel } from 'kafkajs';
import { MongoClient } from 'mongodb';
import { profileFromEnv, REPO_ROOT, stackDown, stackUp } from '../stack/stack';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const SLICE = Number(process.env.BENCH_SLICE_SECONDS ?? 2);
const FIXED_RATE = process.env.BENCH_RATE ? Number(process.env.BENCH_RATE) : undefined;
const LOG_LEVEL = process.env.BENCH_LOG_LEVEL ?? 'info';
const password = 'correct horse battery staple';

const say = (line: string) => process.stderr.write(`bench: ${line}\n`);
const children: ChildProcess[] = [];

/**
 * A bare reverse proxy: node:http in, node:http out through a keep-alive agent (idle sockets retired
 * after 4 s, as the gateway's, before the service's 5 s keep-alive timeout), no checks, no logs.
 */
const BARE_PROXY = `
const http = require('node:http');
const target = new URL(process.env.BARE_TARGET);
const agent = new http.Agent({ keepAlive: true, timeout: 4000 });
http.createServer((req, res) => {
  const up = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers, agent }, (answer) => {
    res.writeHead(answer.statusCode, answer.headers);
    answer.pipe(res);
  });
  up.on('error', () => { if (!res.headersSent) res.writeHead(502); res.end(); });
  req.pipe(up);
}).listen(Number(process.env.BARE_PORT), '127.0.0.1');
`;

/**
 * The gateway's framework with nothing else: express and http-proxy-middleware (the plugins the
 * gateway keeps), the same kept-alive agent, no checks, logs or tracing. Not a target of the issue;
 * it splits the gateway's cost into what the mandated framework takes and what the checks add.
 */
const EXPRESS_PROXY = `
const http = require('node:http');
const express = require('express');
const { createProxyMiddleware, debugProxyErrorsPlugin, proxyEventsPlugin } = require('http-proxy-middleware');
const agent = new http.Agent({ keepAlive: true, timeout: 4000 });
const app = express();
app.disable('x-powered-by');
app.use(createProxyMiddleware({ target: process.env.BARE_TARGET, agent, xfwd: true, ejectPlugins: true, plugins: [debugProxyErrorsPlugin, proxyEventsPlugin] }));
app.listen(Number(process.env.BARE_PORT), '127.0.0.1');
`;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function spawnChild(name: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => { stderr = (stderr + chunk.toString()).slice(-4_000); });
  child.on('exit', (code, signal) => {
    if (!stopping) say(`${name} exited (${signal ?? `code ${code}`}) ${stderr.trim()}`);
  });
  children.push(child);
  return child;
}

let stopping = false;
async function stopChildren(): Promise<void> {
  stopping = true;
  await Promise.all(children.map((child) => new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
  })));
}
// Whatever happens, no child outlives the benchmark.
process.on('exit', () => { for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL'); });
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void stopChildren().finally(() => process.exit(130)));

async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return;
    await sleep(200);
  }
  throw new Error(`timed out waiting for ${what}`);
}

const ok = (url: string, headers: Record<string, string> = {}) => async () => (await fetch(url, { headers, signal: AbortSignal.timeout(2_000) })).status === 200;

interface Answer {
  status: number;
  body: { accessToken?: string; student?: { id: number } } | undefined;
}

async function post(url: string, body: unknown, token?: string): Promise<Answer> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json().catch(() => undefined)) as Answer['body'] };
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface Target {
  name: string;
  url: string;
  /** The process in front of the service (none for direct), and the service's. */
  hop?: ChildProcess;
  service: ChildProcess;
}

/** CPU time (user + system) a child has used so far, in ms; NaN where /proc is not there. */
const TICK_MS = (() => {
  try {
    return 1000 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
  } catch {
    return 10;
  }
})();
function cpuMs(child: ChildProcess | undefined): number {
  if (!child?.pid) return NaN;
  try {
    const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return NaN;
  }
}

interface Throughput {
  perSecond: number;
  /** CPU ms per request of the hop (gateway or bare proxy) and of the service. */
  hopCpu: number;
  serviceCpu: number;
}

/** As many requests as BENCH_CONNECTIONS connections get answered in BENCH_SECONDS: req/s, and the CPU they cost. */
async function maxThroughput(target: Target, headers: Record<string, string>, seconds = SECONDS): Promise<Throughput> {
  const before = [cpuMs(target.hop), cpuMs(target.service)];
  const result = await autocannon({ url: target.url, headers, connections: CONNECTIONS, duration: seconds });
  const after = [cpuMs(target.hop), cpuMs(target.service)];
  const n = result['2xx'];
  const bad = result.non2xx + result.errors + result.timeouts;
  const failures = `${target.name}: ${bad} of ${result.requests.total + result.errors} requests failed (non-2xx ${result.non2xx}, errors ${result.errors}, timeouts ${result.timeouts})`;
  if (bad > 0.01 * n) throw new Error(failures);
  if (bad > 0) say(`warning: ${failures}; only the 2xx answers are counted`);
  return { perSecond: n / seconds, hopCpu: target.hop ? (after[0]! - before[0]!) / n : 0, serviceCpu: (after[1]! - before[1]!) / n };
}

/**
 * One round of max throughput: each target gets `seconds` in all, in slices of BENCH_SLICE_SECONDS
 * taken in turn (a, b, c, d, a, b, ...), so a burst of background load (another process, a broker's
 * housekeeping) falls on every target alike instead of on whichever ran at that moment; each
 * target's req/s and CPU per request are over all of its slices.
 */
async function maxThroughputInterleaved(order: Target[], headers: Record<string, string>, seconds = SECONDS): Promise<Map<string, Throughput>> {
  const slices = Math.max(1, Math.round(seconds / SLICE));
  const totals = new Map(order.map((t) => [t.name, { n: 0, hop: 0, service: 0 }]));
  for (let i = 0; i < slices; i++) {
    for (const t of order) {
      const m = await maxThroughput(t, headers, seconds / slices);
      const total = totals.get(t.name)!;
      const n = m.perSecond * (seconds / slices);
      total.n += n;
      total.hop += m.hopCpu * n;
      total.service += m.serviceCpu * n;
    }
  }
  return new Map([...totals].map(([name, t]) => [name, { perSecond: t.n / seconds, hopCpu: t.hop / t.n, serviceCpu: t.service / t.n }]));
}

interface AtRate {
  /** Each answer's time in ms. */
  times: number[];
  failed: number;
  /** CPU ms per request of the hop at this rate (no contention). */
  hopCpu: number;
}

/**
 * A fixed offered rate, open loop and interleaved: one request every 1/(rate x targets) s on a schedule,
 * to the targets in turn (so each gets `rate` req/s, evenly spaced, and all of them meet the same
 * background: garbage collections, the brokers' housekeeping, the other processes), whatever the
 * answers before it. Not autocannon's `overallRate`: it sends each second's quota back to back at the
 * start of the second, which measures queueing behind its own burst. Each request is timed with hrtime
 * from its send to the end of its answer, over kept-alive connections (as many as are in flight).
 */
async function latencyAtRate(targets: Target[], headers: Record<string, string>, rate: number): Promise<Map<string, AtRate>> {
  const agent = new HttpAgent({ keepAlive: true });
  const results = new Map(targets.map((t) => [t.name, { times: [] as number[], failed: 0, hopCpu: 0 }]));
  const one = (target: Target) => new Promise<void>((resolve) => {
    const result = results.get(target.name)!;
    const sent = process.hrtime.bigint();
    const req = httpRequest(target.url, { agent, headers }, (res) => {
      res.resume();
      res.on('end', () => {
        if (res.statusCode === 200) result.times.push(Number(process.hrtime.bigint() - sent) / 1e6);
        else result.failed += 1;
        resolve();
      });
    });
    req.on('error', () => { result.failed += 1; resolve(); });
    req.end();
  });
  const perTarget = Math.round(rate * SECONDS);
  const interval = 1000 / (rate * targets.length);
  const cpuBefore = targets.map((t) => cpuMs(t.hop));
  const start = performance.now();
  const inFlight: Array<Promise<void>> = [];
  for (let i = 0; i < perTarget * targets.length; i++) {
    const wait = start + i * interval - performance.now();
    if (wait > 0) await sleep(wait);
    inFlight.push(one(targets[i % targets.length]!));
  }
  await Promise.all(inFlight);
  agent.destroy();
  for (const [i, t] of targets.entries()) {
    const result = results.get(t.name)!;
    result.hopCpu = t.hop ? (cpuMs(t.hop) - cpuBefore[i]!) / perTarget : 0;
    if (result.failed > 0.01 * perTarget) throw new Error(`${t.name}: ${result.failed} of ${perTarget} requests failed at ${rate}/s`);
  }
  return results;
}

/** Newest modification time of the files under `dir`, in ms. */
function newest(dir: string): number {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .reduce((m, e) => Math.max(m, statSync(join(e.parentPath, e.name)).mtimeMs), 0);
}

function checkBuilt(): void {
  for (const pkg of ['shared', 'services/auth', 'services/students', 'services/gateway']) {
    const built = join(REPO_ROOT, pkg, 'dist', '.tsbuildinfo');
    if (!existsSync(built)) throw new Error(`${pkg} is not built: run \`npm run build\` first`);
    if (newest(join(REPO_ROOT, pkg, 'src')) > statSync(built).mtimeMs) say(`warning: ${pkg}/src changed since the last build: run \`npm run build\` for current numbers`);
  }
}

async function main(): Promise<void> {
  checkBuilt();
  const profile = profileFromEnv('test');
  const up = process.env.KAFKA_BROKERS && process.env.MONGO_URL
    ? { kafkaBrokers: process.env.KAFKA_BROKERS, mongoUrl: process.env.MONGO_URL, started: [] as string[] }
    : await stackUp(profile, (l) => process.stderr.write(`[stack] ${l}\n`));
  const run = `bench_gw_${randomUUID().slice(0, 8)}`;
  const [authPort, studentsPort, gatewayPort, barePort, expressPort, nowherePort] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort(), freePort()]);
  const url = (port: number) => `http://127.0.0.1:${port}`;
  const topics = { auth: `${run}.auth.events`, students: `${run}.students.events`, organizations: `${run}.organizations.events` };
  const common: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    NODE_ENV: 'development',
    LOG_LEVEL,
    KAFKA_BROKERS: up.kafkaBrokers,
    MONGO_URL: up.mongoUrl,
    // Tracing instrumented but not exported unless OTEL_* variables say otherwise (they are passed on,
    // e.g. OTEL_SDK_DISABLED=true or OTEL_TRACES_SAMPLER=always_off to see what tracing costs).
    OTEL_TRACES_EXPORTER: 'none',
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('OTEL_'))),
  };
  // BENCH_CPU_PROF=<dir>: the gateway and students write V8 CPU profiles to <dir>/<name>/ when they stop (Chrome DevTools opens them).
  const profiling = (name: string) => (process.env.BENCH_CPU_PROF && name !== 'auth' ? ['--cpu-prof', `--cpu-prof-dir=${join(process.env.BENCH_CPU_PROF, name)}`] : []);
  const service = (name: string, env: NodeJS.ProcessEnv) => spawnChild(name, [...profiling(name), '--require', './dist/instrumentation.js', './dist/main.js'], join(REPO_ROOT, 'services', name), {
    ...common, ...env, OTEL_SERVICE_NAME: name,
  });

  const gatewayOnly = Object.fromEntries((process.env.BENCH_GATEWAY_ENV ?? '').split(/\s+/).filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
  say(`run ${run}: starting auth, students, gateway and the bare proxy as child processes`);
  service('auth', {
    PORT: String(authPort), MONGO_DB: `${run}_auth`, EVENTS_TOPIC: topics.auth, ORGANIZATIONS_EVENTS_TOPIC: topics.organizations,
    BCRYPT_COST: '4', THROTTLE_KEY_PREFIX: `bench:${run}:auth`,
  });
  await waitFor('auth', ok(`${url(authPort)}/health/ready`));
  const students = service('students', {
    PORT: String(studentsPort), MONGO_DB: `${run}_students`, EVENTS_TOPIC: topics.students, ORGANIZATIONS_EVENTS_TOPIC: topics.organizations,
    AUTH_JWKS_URL: `${url(authPort)}/.well-known/jwks.json`,
  });
  const gatewayProcess = service('gateway', {
    PORT: String(gatewayPort), AUTH_URL: url(authPort), STUDENTS_URL: url(studentsPort),
    // Organizations is not part of this benchmark: nothing listens there (the gateway does not call it).
    ORGANIZATIONS_URL: url(nowherePort), AUTH_EVENTS_TOPIC: topics.auth, ORGANIZATIONS_EVENTS_TOPIC: topics.organizations,
    // Limits this load never reaches, so the benchmark measures the checks, not 429s; counters of this run only.
    RATE_LIMIT_PREFIX: `bench:${run}:gw`, RATE_LIMIT_PER_MINUTE: '1000000', RATE_LIMIT_USER_PER_MINUTE: '1000000', RATE_LIMIT_AUTH_PER_MINUTE: '1000000',
    ...gatewayOnly,
  });
  const bareProxy = spawnChild('bare proxy', ['-e', BARE_PROXY], REPO_ROOT, { PATH: process.env.PATH, BARE_PORT: String(barePort), BARE_TARGET: url(studentsPort) });
  const expressProxy = spawnChild('express proxy', ['-e', EXPRESS_PROXY], REPO_ROOT, { PATH: process.env.PATH, BARE_PORT: String(expressPort), BARE_TARGET: url(studentsPort) });
  await waitFor('students', ok(`${url(studentsPort)}/health/ready`));
  await waitFor('gateway', ok(`${url(gatewayPort)}/health/live`));

  // An admin of the default organization, a member, and the student the member reads.
  const gw = url(gatewayPort);
  const signup = await post(`${gw}/api/v1/auth/admin-signup`, { username: 'benchadmin', email: 'benchadmin@example.com', password });
  if (signup.status !== 201) throw new Error(`admin signup answered ${signup.status}: ${JSON.stringify(signup.body)}`);
  const admin = (await post(`${gw}/api/v1/auth/login`, { username: 'benchadmin', password })).body?.accessToken ?? '';
  await post(`${gw}/api/v1/auth/signup`, { username: 'benchuser', email: 'benchuser@example.com', password });
  const member = (await post(`${gw}/api/v1/auth/login`, { username: 'benchuser', password })).body?.accessToken ?? '';
  const created = await post(`${gw}/api/v1/students`, { name: 'Lisa Simpson', age: 8, roll_no: 'R-1', grade: '2' }, admin);
  if (created.status !== 201 || !created.body?.student) throw new Error(`creating the student answered ${created.status}: ${JSON.stringify(created.body)}`);
  const path = `/api/v1/students/${created.body.student.id}`;
  const headers = { authorization: `Bearer ${member}` };
  const targets: Target[] = [
    { name: 'direct', url: `${url(studentsPort)}${path}`, service: students },
    { name: 'bare proxy', url: `${url(barePort)}${path}`, hop: bareProxy, service: students },
    { name: 'express proxy', url: `${url(expressPort)}${path}`, hop: expressProxy, service: students },
    { name: 'gateway', url: `${gw}${path}`, hop: gatewayProcess, service: students },
  ];
  for (const t of targets) await waitFor(`${t.name} to serve the read`, ok(t.url, headers), 20_000);

  say(`warm-up (3 s each), then ${ROUNDS} rounds of max throughput (${CONNECTIONS} connections, ${SECONDS} s each in ${SLICE} s slices taken in turn), then ${ROUNDS} rounds at a fixed rate (evenly spaced, the targets in turn, ${SECONDS} s)`);
  for (const t of targets) await maxThroughput(t, headers, 3);
  // Rotate the order round by round so that no target always runs right after another one.
  const rounds = Array.from({ length: ROUNDS }, (_, round) => targets.map((_, i) => targets[(i + round) % targets.length]!));
  const max: Record<string, Throughput[]> = {};
  for (const [round, order] of rounds.entries()) {
    const results = await maxThroughputInterleaved(order, headers);
    for (const t of order) {
      const m = results.get(t.name)!;
      (max[t.name] ??= []).push(m);
      say(`round ${round + 1} ${t.name}: ${m.perSecond.toFixed(0)} req/s, CPU per request: hop ${m.hopCpu.toFixed(2)} ms, students ${m.serviceCpu.toFixed(2)} ms`);
    }
  }
  const slowest = Math.min(...targets.map((t) => median(max[t.name]!.map((m) => m.perSecond))));
  const rate = FIXED_RATE ?? Math.max(10, Math.min(100, Math.floor(slowest / 4 / targets.length / 5) * 5));
  const lat: Record<string, AtRate[]> = {};
  for (const [round, order] of rounds.entries()) {
    const results = await latencyAtRate(order, headers, rate);
    for (const t of targets) {
      const l = results.get(t.name)!;
      (lat[t.name] ??= []).push(l);
      const sorted = [...l.times].sort((x, y) => x - y);
      say(`round ${round + 1} ${t.name} at ${rate}/s: p50 ${percentile(sorted, 50).toFixed(2)} ms, p99 ${percentile(sorted, 99).toFixed(2)} ms, CPU per request: hop ${l.hopCpu.toFixed(2)} ms`);
    }
  }
  // Latency percentiles over every answer of every round.
  const pooled = (name: string) => lat[name]!.flatMap((l) => l.times).sort((x, y) => x - y);

  const summary = Object.fromEntries(targets.map((t) => [t.name, {
    max: median(max[t.name]!.map((m) => m.perSecond)),
    hopCpu: median(max[t.name]!.map((m) => m.hopCpu)),
    serviceCpu: median(max[t.name]!.map((m) => m.serviceCpu)),
    p50: percentile(pooled(t.name), 50),
    p99: percentile(pooled(t.name), 99),
    hopCpuAtRate: median(lat[t.name]!.map((l) => l.hopCpu)),
  }]));
  const direct = summary.direct!;
  const bare = summary['bare proxy']!;
  const gateway = summary.gateway!;
  const framework = summary['express proxy']!;
  const ms = (n: number) => `${n.toFixed(2)} ms`;
  const sampler = process.env.OTEL_SDK_DISABLED === 'true' ? 'tracing off (OTEL_SDK_DISABLED)'
    : process.env.OTEL_TRACES_SAMPLER ? `OTEL_TRACES_SAMPLER=${process.env.OTEL_TRACES_SAMPLER} ${process.env.OTEL_TRACES_SAMPLER_ARG ?? ''}`.trim() : 'every request traced';
  const gatewaySettings = process.env.BENCH_GATEWAY_ENV ? `; at the gateway only: ${process.env.BENCH_GATEWAY_ENV}` : '';
  console.log(`\nGET /api/v1/students/<id> with a member token; medians of ${ROUNDS} rounds of ${SECONDS} s; LOG_LEVEL=${LOG_LEVEL}; ${sampler}${gatewaySettings}\n`);
  console.log(`| path | max req/s (${CONNECTIONS} connections) | p50 at ${rate}/s | p99 at ${rate}/s | hop CPU per request, at max | hop CPU per request, at ${rate}/s | students CPU per request, at max |\n|---|---|---|---|---|---|---|`);
  for (const t of targets) {
    const s = summary[t.name]!;
    console.log(`| ${t.name} | ${s.max.toFixed(0)} | ${ms(s.p50)} | ${ms(s.p99)} | ${t.hop ? ms(s.hopCpu) : '-'} | ${t.hop ? ms(s.hopCpuAtRate) : '-'} | ${ms(s.serviceCpu)} |`);
  }
  console.log(`\nthroughput gateway/bare proxy = ${(gateway.max / bare.max).toFixed(2)} (target >= 0.80), gateway/direct = ${(gateway.max / direct.max).toFixed(2)}, bare proxy/direct = ${(bare.max / direct.max).toFixed(2)}`);
  console.log(`added median at ${rate}/s: gateway - bare proxy = ${ms(gateway.p50 - bare.p50)} (target < 1 ms), gateway - direct = ${ms(gateway.p50 - direct.p50)}, bare proxy - direct = ${ms(bare.p50 - direct.p50)}`);
  console.log(`the framework alone (express + http-proxy-middleware): throughput ${(framework.max / bare.max).toFixed(2)} of the bare proxy's, median + ${ms(framework.p50 - bare.p50)}; the gateway's checks, logs and tracing on top: throughput ${(gateway.max / framework.max).toFixed(2)}, median + ${ms(gateway.p50 - framework.p50)}`);
  console.log(`CPU per request of the hop: gateway / bare proxy = ${(gateway.hopCpu / bare.hopCpu).toFixed(1)} at max, ${(gateway.hopCpuAtRate / bare.hopCpuAtRate).toFixed(1)} at ${rate}/s`);

  await stopChildren();
  // This run's databases and topics go; its Redis counters expire within a minute.
  const mongo = new MongoClient(up.mongoUrl);
  await mongo.connect();
  for (const db of ['auth', 'students']) await mongo.db(`${run}_${db}`).dropDatabase().catch(() => undefined);
  await mongo.close();
  const admin2 = new Kafka({ brokers: up.kafkaBrokers.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin2.connect();
  const existing = new Set(await admin2.listTopics());
  await admin2.deleteTopics({ topics: Object.values(topics).filter((t) => existing.has(t)) }).catch(() => undefined);
  await admin2.disconnect();
  if (up.started.length > 0) await stackDown(profile, up.started);
}

main().catch(async (err) => {
  console.error(err);
  await stopChildren();
  process.exit(1);
});
