// Login benchmark: logins/s through the auth service (HTTP, bcrypt at the configured cost, session
// start, events) beside raw `bcrypt.compare` of the same pre-hashed password at the same cost, same
// concurrency, same process and cores; plus event-loop delay p99 during the login load.
//   npm run bench:login                      (test-profile local stack; BENCH_LOGINS, BENCH_CONCURRENCY, BCRYPT_COST)
import { randomUUID } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import bcrypt from 'bcrypt';
import { startService } from '@sms/shared/service';
import { readConfig } from '../services/auth/src/config';
import { prehashPassword } from '../services/auth/src/passwords/hasher';
import { authService } from '../services/auth/src/service';
import { profileFromEnv, stackDown, stackUp } from '../stack/stack';

const LOGINS = Number(process.env.BENCH_LOGINS ?? 64);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 4);
const COST = process.env.BCRYPT_COST ?? '12';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const password = 'correct horse battery staple';

async function pool(count: number, op: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < count) await op(next++);
  }));
  return count / ((performance.now() - t0) / 1000);
}

async function main(): Promise<void> {
  const profile = profileFromEnv('test');
  const up = await stackUp(profile, (l) => process.stderr.write(`[stack] ${l}\n`));
  const db = `bench_auth_${randomUUID().slice(0, 8)}`;
  const auth = await startService(authService(readConfig({
    LOG_LEVEL: 'silent', PORT: '0', KAFKA_BROKERS: up.kafkaBrokers, MONGO_URL: up.mongoUrl, MONGO_DB: db,
    EVENTS_TOPIC: `${db}.auth.events`, BCRYPT_COST: COST, THROTTLE_KEY_PREFIX: `bench:${db}`,
  })));
  const users = Array.from({ length: 16 }, (_, i) => `bench${i}`);
  for (const username of users) {
    await fetch(`${auth.url}/api/v1/auth/signup`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, email: `${username}@example.com`, password }),
    });
  }
  const login = async (i: number) => {
    const res = await fetch(`${auth.url}/api/v1/auth/login`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: users[i % users.length], password }),
    });
    if (res.status !== 200) throw new Error(`login answered ${res.status}`);
    await res.arrayBuffer();
  };
  const hash = await bcrypt.hash(prehashPassword(password), Number(COST));
  const compare = async () => {
    if (!(await bcrypt.compare(prehashPassword(password), hash))) throw new Error('compare failed');
  };

  await pool(CONCURRENCY * 2, login); // warm-up
  await pool(CONCURRENCY * 2, compare);
  // Alternate the two paths so a slow moment of the machine does not land on one of them only.
  const rawRates: number[] = [];
  const loginRates: number[] = [];
  const delays: Array<{ p50: number; p99: number; max: number }> = [];
  for (let round = 0; round < ROUNDS; round++) {
    rawRates.push(await pool(LOGINS, compare));
    // A fresh histogram per round: a re-enabled one counts the disabled gap as one long delay.
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    loginRates.push(await pool(LOGINS, login));
    delay.disable();
    delays.push({ p50: delay.percentile(50) / 1e6, p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 });
  }
  const worst = (k: 'p50' | 'p99' | 'max') => Math.max(...delays.map((d) => d[k]));
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const raw = median(rawRates);
  const logins = median(loginRates);

  console.log(`\n| path | per second (median of ${ROUNDS} rounds of ${LOGINS} at concurrency ${CONCURRENCY}, bcrypt cost ${COST}) |\n|---|---|`);
  console.log(`| POST /api/v1/auth/login | ${logins.toFixed(1)} |`);
  console.log(`| raw bcrypt.compare | ${raw.toFixed(1)} |`);
  console.log(`\nratio login/raw = ${(logins / raw).toFixed(2)}; event-loop delay during logins (worst round): p50 ${worst('p50').toFixed(1)} ms, p99 ${worst('p99').toFixed(1)} ms, max ${worst('max').toFixed(1)} ms`);

  await auth.context.mongo?.db.dropDatabase();
  await auth.stop();
  if (up.started.length > 0) await stackDown(profile, up.started);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
