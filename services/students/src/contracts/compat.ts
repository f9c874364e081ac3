import { isDeepStrictEqual } from 'node:util';
import type { JsonSchema } from './schemas';

/** One difference between two versions of a schema; `breaking` ones need a new `.vN+1` type. */
export interface SchemaChange {
  /** Where, as a dotted path into the message (`data.changed.age`); empty for the root. */
  path: string;
  breaking: boolean;
  message: string;
}

export interface ContractChange extends SchemaChange {
  type: string;
}

const isObject = (v: unknown): v is JsonSchema => typeof v === 'object' && v !== null && !Array.isArray(v);
const at = (path: string, key: string) => (path ? `${path}.${key}` : key);
const show = (v: unknown) => JSON.stringify(v);

function typesOf(schema: JsonSchema): string[] | undefined {
  const t = schema.type;
  if (t === undefined) return undefined;
  return (Array.isArray(t) ? t.map(String) : [String(t)]).sort();
}

/** Keywords whose change is reported but does not break a consumer by this rule. */
const NOTED = ['minLength', 'maxLength', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'pattern', 'minItems', 'maxItems', 'additionalProperties'];

/**
 * The compatibility rule for a published event type, seen from its consumers. Breaking: a property
 * removed (a rename is a removal and an addition), a new required property, an optional property
 * becoming required or a required one optional, a type (or `const`, `format`, union) changed, enum
 * values removed. Compatible: an optional property added, enum values added, descriptions and
 * length/range constraints (reported as notes).
 */
export function compareSchemas(before: JsonSchema, after: JsonSchema, path = ''): SchemaChange[] {
  const changes: SchemaChange[] = [];
  const add = (breaking: boolean, message: string, where = path) => changes.push({ path: where, breaking, message });

  const [tb, ta] = [typesOf(before), typesOf(after)];
  if (!isDeepStrictEqual(tb, ta)) add(true, `type changed ${show(tb ?? 'any')} → ${show(ta ?? 'any')}`);
  if (!isDeepStrictEqual(before.const, after.const)) add(true, `const changed ${show(before.const)} → ${show(after.const)}`);
  if (before.format !== after.format) add(true, `format changed ${show(before.format ?? 'none')} → ${show(after.format ?? 'none')}`);

  if (Array.isArray(before.enum) || Array.isArray(after.enum)) {
    const b = (before.enum as unknown[] | undefined) ?? [];
    const a = (after.enum as unknown[] | undefined) ?? [];
    if (!Array.isArray(after.enum)) add(false, 'enum removed (any value allowed)');
    else if (!Array.isArray(before.enum)) add(true, `enum introduced: only ${show(a)}`);
    else {
      const removed = b.filter((v) => !a.some((x) => isDeepStrictEqual(x, v)));
      const added = a.filter((v) => !b.some((x) => isDeepStrictEqual(x, v)));
      if (removed.length > 0) add(true, `enum narrowed: ${show(removed)} removed`);
      if (added.length > 0) add(false, `enum widened: ${show(added)} added`);
    }
  }

  for (const keyword of ['anyOf', 'oneOf', 'allOf'] as const) {
    if (!isDeepStrictEqual(before[keyword], after[keyword])) add(true, `${keyword} changed`);
  }

  const pb = isObject(before.properties) ? before.properties : {};
  const pa = isObject(after.properties) ? after.properties : {};
  const rb = new Set(Array.isArray(before.required) ? (before.required as string[]) : []);
  const ra = new Set(Array.isArray(after.required) ? (after.required as string[]) : []);
  for (const key of Object.keys(pb)) {
    const where = at(path, key);
    if (!(key in pa)) {
      add(true, `property removed${rb.has(key) ? ' (it was required)' : ''}; a rename is a removal`, where);
      continue;
    }
    if (rb.has(key) && !ra.has(key)) add(true, 'property no longer required: consumers may find it missing', where);
    if (!rb.has(key) && ra.has(key)) add(true, 'optional property became required', where);
    if (isObject(pb[key]) && isObject(pa[key])) changes.push(...compareSchemas(pb[key], pa[key], where));
  }
  for (const key of Object.keys(pa)) {
    if (key in pb) continue;
    if (ra.has(key)) add(true, 'new required property', at(path, key));
    else add(false, 'optional property added', at(path, key));
  }

  if (isObject(before.items) && isObject(after.items)) changes.push(...compareSchemas(before.items, after.items, at(path, '[]')));
  else if (!isDeepStrictEqual(before.items, after.items)) add(true, 'items changed');

  for (const keyword of NOTED) {
    if (!isDeepStrictEqual(before[keyword], after[keyword])) add(false, `${keyword} ${show(before[keyword] ?? null)} → ${show(after[keyword] ?? null)}`);
  }
  return changes;
}

/**
 * Compares a committed contract (type → schema) with the one the code generates now. A type that
 * disappeared is breaking; a new type (a new event, or `.vN+1` of an existing one) is compatible.
 */
export function compareContracts(committed: Record<string, JsonSchema>, generated: Record<string, JsonSchema>): ContractChange[] {
  const changes: ContractChange[] = [];
  for (const [type, before] of Object.entries(committed)) {
    const after = generated[type];
    if (!after) changes.push({ type, path: '', breaking: true, message: 'event type removed: consumers of it stop receiving events' });
    else changes.push(...compareSchemas(before, after).map((c) => ({ type, ...c })));
  }
  for (const type of Object.keys(generated)) {
    if (!(type in committed)) changes.push({ type, path: '', breaking: false, message: 'new event type' });
  }
  return changes;
}

/** The next version of a type name: `a.b.c.v1` → `a.b.c.v2`. */
export const nextVersion = (type: string) => type.replace(/\.v(\d+)$/, (_m, n: string) => `.v${Number(n) + 1}`);

/** Human-readable lines, breaking ones first, with the way out. */
export function describeChanges(changes: readonly ContractChange[]): string[] {
  const line = (c: ContractChange) => `  ${c.breaking ? 'BREAKING' : 'ok      '} ${c.type}${c.path ? ` ${c.path}` : ''}: ${c.message}`;
  const lines = [...changes.filter((c) => c.breaking), ...changes.filter((c) => !c.breaking)].map(line);
  const broken = [...new Set(changes.filter((c) => c.breaking && c.message !== 'event type removed: consumers of it stop receiving events').map((c) => c.type))];
  for (const type of broken) lines.push(`  → keep ${type} as it was and publish the new shape as ${nextVersion(type)}`);
  return lines;
}
