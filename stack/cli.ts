/**
 * tsx stack/cli.ts up|down|status [--profile dev|test|bench] [kafka|mongo|zipkin ...]
 *
 * up      starts the profile's Kafka, MongoDB server and Zipkin (or only the servers named; reusing running ones), prints endpoints
 * down    stops them (or only the servers named)
 * status  prints up/down for each server; exit code 1 if any is down
 */
import { SERVERS, StackError, type ServerName, profileFromEnv, stackDown, stackEndpoints, stackStatus, stackUp, type StackEndpoints } from './stack';

const USAGE = 'usage: tsx stack/cli.ts up|down|status [--profile dev|test|bench] [kafka|mongo|zipkin ...]';

function parse(argv: string[]): { command: string; profile: 'dev' | 'test' | 'bench'; servers: ServerName[] } {
  let profile = 'dev';
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--profile' || a === '-p') profile = argv[++i] ?? '';
    else if (a.startsWith('--profile=')) profile = a.slice('--profile='.length);
    else if (a === '-h' || a === '--help') rest.unshift('help');
    else rest.push(a);
  }
  const [command = 'help', ...servers] = rest;
  if (profile !== 'dev' && profile !== 'test' && profile !== 'bench') throw new StackError(`Unknown profile "${profile}": use dev, test or bench.\n${USAGE}`);
  const bad = servers.filter((s) => !(SERVERS as readonly string[]).includes(s));
  if (bad.length > 0) throw new StackError(`Unknown server(s) ${bad.join(', ')}: use ${SERVERS.join(', ')}.\n${USAGE}`);
  return { command, profile, servers: servers as ServerName[] };
}

function printEndpoints(e: StackEndpoints): void {
  console.log(`  Kafka brokers  ${e.kafkaBrokers}`);
  console.log(`  MongoDB        ${e.mongoUrl}`);
  console.log(`  Zipkin         ${e.zipkinUrl}/zipkin/  (spans: ${e.zipkinUrl}/api/v2/spans)`);
}

async function main(): Promise<number> {
  const { command, profile, servers } = parse(process.argv.slice(2));
  const p = profileFromEnv(profile);
  switch (command) {
    case 'up': {
      const t0 = Date.now();
      const r = await stackUp(p, (line) => console.log(`[${profile}] ${line}`), servers.length > 0 ? servers : undefined);
      const secs = ((Date.now() - t0) / 1000).toFixed(1);
      console.log(`${profile} stack up in ${secs} s (started: ${r.started.length > 0 ? r.started.join(', ') : 'none, all reused'})`);
      printEndpoints(r);
      return 0;
    }
    case 'down':
      await stackDown(p, servers.length > 0 ? servers : undefined);
      console.log(`${profile} stack: ${servers.length > 0 ? servers.join(', ') : 'all servers'} stopped`);
      return 0;
    case 'status': {
      const st = await stackStatus(p);
      const e = stackEndpoints(p);
      const where = { kafka: e.kafkaBrokers, mongo: e.mongoUrl, zipkin: `${e.zipkinUrl}/zipkin/` };
      for (const s of SERVERS) console.log(`  ${s.padEnd(7)} ${st[s].padEnd(5)} ${where[s]}`);
      return SERVERS.every((s) => st[s] === 'up') ? 0 : 1;
    }
    case 'help':
      console.log(USAGE);
      return 0;
    default:
      throw new StackError(`Unknown command "${command}".\n${USAGE}`);
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof StackError ? e.message : e);
    process.exit(1);
  },
);
