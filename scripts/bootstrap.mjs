#!/usr/bin/env node
// Entry point of `npm start`, `npm test` and `npm run stack:*` on a fresh clone: installs the
// dependencies on first use (or when the lockfile changed), then hands over to the typed scripts.
// Plain JavaScript on purpose: it must run before anything is installed.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);

function ensureInstalled() {
  const marker = join(root, 'node_modules', '.package-lock.json');
  const lock = join(root, 'package-lock.json');
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return;
  console.error('[bootstrap] installing dependencies (npm ci) ...');
  const result = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error('[bootstrap] npm ci failed; see the output above');
    process.exit(result.status ?? 1);
  }
}

function build() {
  const result = spawnSync(bin('tsc'), ['-b'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error('[bootstrap] the TypeScript build failed; see the errors above');
    process.exit(result.status ?? 1);
  }
}

/** Runs a child in the foreground, forwarding Ctrl-C and SIGTERM, and exits with its code. */
function run(command, args) {
  const child = spawn(command, args, { cwd: root, stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  // `npm start` runs us under `sh -c`, and sh does not pass SIGTERM on: when npm is told to stop,
  // sh dies and we are orphaned. Treat losing our parent as a SIGTERM so nothing is left running.
  const parent = process.ppid;
  const watchdog = setInterval(() => {
    if (process.ppid !== parent) {
      clearInterval(watchdog);
      child.kill('SIGTERM');
    }
  }, 500);
  watchdog.unref();
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

const [command, ...rest] = process.argv.slice(2);
ensureInstalled();
switch (command) {
  case 'start':
    build();
    run(bin('tsx'), [join('scripts', 'start.ts'), ...rest]);
    break;
  case 'test':
    // Headless Chromium for the Swagger UI test (tests/e2e/gateway-docs.test.ts): installed via apt when missing.
    if (spawnSync('bash', [join('scripts', 'ensure-chromium.sh')], { cwd: root, stdio: 'inherit' }).status !== 0) {
      console.error('[bootstrap] Chromium is missing and could not be installed: the Swagger UI browser test will fail (see above)');
    }
    run(process.execPath, [bin('jest'), ...rest]);
    break;
  case 'stack':
    run(bin('tsx'), [join('stack', 'cli.ts'), ...rest]);
    break;
  case 'create-user':
    run(bin('tsx'), ['--conditions=source', join('services', 'auth', 'src', 'scripts', 'create-user.ts'), ...rest]);
    break;
  case 'students:rebuild':
    run(bin('tsx'), ['--conditions=source', join('services', 'students', 'src', 'scripts', 'rebuild.ts'), ...rest]);
    break;
  case 'contracts:generate':
    run(bin('tsx'), ['--conditions=source', join('services', 'students', 'src', 'scripts', 'generate-contracts.ts'), ...rest]);
    break;
  case 'contracts:check':
    run(bin('tsx'), ['--conditions=source', join('scripts', 'check-event-schemas.ts'), ...rest]);
    break;
  case 'example:students-consumer':
    run(bin('tsx'), [join('examples', 'students-consumer.ts'), ...rest]);
    break;
  default:
    console.error(
      `usage: bootstrap.mjs start | test [jest args] | stack up|down|status | create-user --username <name> --email <address> [...]` +
        ` | students:rebuild | contracts:generate [--allow-breaking] | contracts:check | example:students-consumer`,
    );
    process.exit(2);
}
