import { z } from 'zod';

/** A JSON value as plain data (an OpenAPI document, a JSON Schema). */
export type JsonObject = { [key: string]: unknown };

export const COMPONENT_NAME = /^[A-Za-z0-9._-]+$/;

/**
 * Names a schema for the components of the documents it appears in: wherever it is used, directly or
 * nested in another schema, the document says `$ref: '#/components/schemas/<name>'`. (zod's own
 * `.meta({ id })`, so call `.describe()` before it: a later `.describe()` drops the id.)
 */
export function named<T extends z.ZodType>(name: string, schema: T): T {
  if (!COMPONENT_NAME.test(name)) throw new Error(`component name ${JSON.stringify(name)} must match ${COMPONENT_NAME}`);
  return schema.meta({ id: name }) as T;
}

export const schemaRef = (name: string) => `#/components/schemas/${name}`;

/** Deep structural equality of JSON data. */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && sameJson((a as JsonObject)[k], (b as JsonObject)[k]));
}

/** Replaces every `$ref` string of `value` for which `rename` answers a new one (in place). */
export function rewriteRefs(value: unknown, rename: (ref: string) => string | undefined): void {
  if (Array.isArray(value)) {
    for (const item of value) rewriteRefs(item, rename);
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  const obj = value as JsonObject;
  for (const [key, child] of Object.entries(obj)) {
    if (key === '$ref' && typeof child === 'string') {
      const next = rename(child);
      if (next !== undefined) obj[key] = next;
    } else {
      rewriteRefs(child, rename);
    }
  }
}

/**
 * The schemas of one document while it is being built. A schema named with `named` (zod's
 * `meta({ id })`) lands here once; two different schemas with one name are a programming error.
 */
export class SchemaComponents {
  readonly schemas: Record<string, JsonObject> = {};

  /**
   * zod → JSON Schema draft 2020-12 (OpenAPI 3.1's dialect), as a client sends or reads it (`io:
   * 'input'`: a transform shows what it accepts; an object is open unless it is `.strict()`, so a
   * field added to an answer later breaks no client). Refinements cannot be expressed and are left
   * out. zod puts named schemas (and cycles) under `$defs`; they move into the components, because a
   * `#/$defs/...` reference would resolve against the whole document.
   */
  render(schema: z.ZodType): JsonObject {
    const generated = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }) as JsonObject;
    const { $schema: _dialect, $defs, ...rest } = generated;
    const defs = ($defs ?? {}) as Record<string, JsonObject>;
    const moved = new Map<string, string>();
    for (const key of Object.keys(defs)) moved.set(`#/$defs/${key}`, schemaRef(key.replace(/[^A-Za-z0-9._-]/g, '_')));
    const rename = (ref: string) => moved.get(ref);
    rewriteRefs(rest, rename);
    for (const [key, def] of Object.entries(defs)) {
      rewriteRefs(def, rename);
      const name = moved.get(`#/$defs/${key}`)!.slice(schemaRef('').length);
      const existing = this.schemas[name];
      if (existing && !sameJson(existing, def)) throw new Error(`two different schemas are named ${name}`);
      this.schemas[name] = def;
    }
    return rest;
  }
}
