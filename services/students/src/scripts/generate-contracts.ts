/**
 * Writes the students event contract to `services/students/contracts/`: one JSON Schema (draft 2020-12)
 * per event type and the AsyncAPI 3.0 document. Commit the result.
 *
 *   npm run contracts:generate [-- --allow-breaking]
 *
 * Refuses (exit 1, nothing written) when a committed `.vN` schema would change incompatibly: publish the
 * new shape as `.vN+1` instead. `--allow-breaking` overrides that, for a type never released.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { compareContracts, describeChanges } from '../contracts/compat';
import { studentEventSchemas } from '../contracts/schemas';
import { generatedFiles, readSnapshot, SNAPSHOT_DIR } from '../contracts/snapshot';

const allowBreaking = process.argv.includes('--allow-breaking');
const changes = compareContracts(readSnapshot(), studentEventSchemas());
const lines = describeChanges(changes);
if (lines.length > 0) process.stdout.write(`changes against the committed contract:\n${lines.join('\n')}\n`);
if (changes.some((c) => c.breaking) && !allowBreaking) {
  process.stderr.write('contracts:generate: refusing to overwrite a published event type with an incompatible schema (nothing written)\n');
  process.exit(1);
}
const files = generatedFiles();
mkdirSync(SNAPSHOT_DIR, { recursive: true });
for (const stale of readdirSync(SNAPSHOT_DIR).filter((f) => f.endsWith('.json') && !(f in files))) rmSync(join(SNAPSHOT_DIR, stale));
for (const [file, content] of Object.entries(files)) writeFileSync(join(SNAPSHOT_DIR, file), content);
process.stdout.write(`wrote ${Object.keys(files).length} files to ${relative(process.cwd(), SNAPSHOT_DIR) || '.'}\n`);
