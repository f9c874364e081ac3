/**
 * CI check (.ci/run): the event schemas the code generates now, against the committed contract
 * (`services/<service>/contracts/*.json`). Fails when a published `.vN` type changed incompatibly
 * (property removed or renamed, new required property, type changed, enum narrowed, ...) and prints
 * what changed; compatible changes (an optional property, a new `.vN+1` type) pass, with a reminder to
 * commit the regenerated snapshot when it is out of date.
 *
 *   npm run contracts:check
 */
import { relative } from 'node:path';
import { compareContracts, describeChanges } from '../services/students/src/contracts/compat';
import { studentEventSchemas } from '../services/students/src/contracts/schemas';
import { readSnapshot, SNAPSHOT_DIR, staleFiles } from '../services/students/src/contracts/snapshot';

const contracts = [{ service: 'students', dir: SNAPSHOT_DIR, committed: readSnapshot(), generated: studentEventSchemas(), stale: staleFiles() }];

let failed = false;
for (const { service, dir, committed, generated, stale } of contracts) {
  const where = relative(process.cwd(), dir);
  if (Object.keys(committed).length === 0) {
    console.error(`✗ ${service}: no committed event schemas in ${where}; run npm run contracts:generate and commit them`);
    failed = true;
    continue;
  }
  const changes = compareContracts(committed, generated);
  const breaking = changes.filter((c) => c.breaking);
  if (breaking.length > 0) {
    failed = true;
    console.error(`✗ ${service}: ${breaking.length} incompatible change(s) to published event types (${where}):`);
    console.error(describeChanges(changes).join('\n'));
    continue;
  }
  if (changes.length > 0) console.log(`✓ ${service}: compatible changes only:\n${describeChanges(changes).join('\n')}`);
  else console.log(`✓ ${service}: ${Object.keys(committed).length} event schemas, unchanged`);
  if (stale.length > 0) console.log(`  note: ${where} is out of date (${stale.join(', ')}); run npm run contracts:generate and commit it`);
}
process.exit(failed ? 1 : 0);
