import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { asyncApiDocument } from '@sms/shared/openapi';
import { studentsContract } from './asyncapi';
import { studentEventSchemas, type JsonSchema } from './schemas';

/** The committed contract: `services/students/contracts/` (the same path from src/ and dist/). */
export const SNAPSHOT_DIR = join(__dirname, '..', '..', 'contracts');
export const ASYNCAPI_FILE = 'asyncapi.json';

export const schemaFile = (type: string) => `${type}.json`;
export const render = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

/** Every file of the contract as the code generates it now: file name → content. */
export function generatedFiles(): Record<string, string> {
  const files: Record<string, string> = { [ASYNCAPI_FILE]: render(asyncApiDocument(studentsContract())) };
  for (const [type, schema] of Object.entries(studentEventSchemas())) files[schemaFile(type)] = render(schema);
  return files;
}

/** The committed event schemas, type → schema (empty before the first `npm run contracts:generate`). */
export function readSnapshot(dir = SNAPSHOT_DIR): Record<string, JsonSchema> {
  if (!existsSync(dir)) return {};
  const schemas: Record<string, JsonSchema> = {};
  for (const file of readdirSync(dir).sort()) {
    if (!file.endsWith('.json') || file === ASYNCAPI_FILE) continue;
    schemas[file.slice(0, -'.json'.length)] = JSON.parse(readFileSync(join(dir, file), 'utf8')) as JsonSchema;
  }
  return schemas;
}

/** Committed files whose content differs from what the code generates (or that are missing / extra). */
export function staleFiles(dir = SNAPSHOT_DIR): string[] {
  const wanted = generatedFiles();
  const present = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')) : [];
  const stale = Object.entries(wanted)
    .filter(([file, content]) => !present.includes(file) || readFileSync(join(dir, file), 'utf8') !== content)
    .map(([file]) => file);
  return [...stale, ...present.filter((f) => !(f in wanted))].sort();
}
