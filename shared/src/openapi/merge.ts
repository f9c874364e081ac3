import { COMPONENT_NAME, rewriteRefs, sameJson, type JsonObject } from './schema';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
const SECTIONS = ['schemas', 'responses', 'parameters', 'examples', 'requestBodies', 'headers', 'securitySchemes', 'links', 'callbacks', 'pathItems'] as const;

/** One OpenAPI document to merge, and the name it goes by (a service's name). */
export interface OpenApiPart {
  name: string;
  document: JsonObject;
}

export interface OperationContext {
  part: string;
  path: string;
  method: string;
  operation: JsonObject;
}

export interface MergeOptions {
  /** Keeps (possibly changed) or drops (`undefined`) each operation of each part. */
  operation?: (ctx: OperationContext) => JsonObject | undefined;
}

const clone = <T>(value: T): T => structuredClone(value);
const asObject = (value: unknown): JsonObject => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : {});

/**
 * Merges OpenAPI 3.1 documents into `base` (its info, servers, tags and components stay). Components
 * with the same name and content are shared; a name two parts use for different content is renamed
 * `<part>_<name>` in the later part, references included. An operation whose path and method an
 * earlier part already has is dropped, and so is a component nothing references any more (after
 * `options.operation` dropped what it did). Tags are the base's, then those the operations use.
 */
export function mergeOpenApi(base: JsonObject, parts: readonly OpenApiPart[], options: MergeOptions = {}): JsonObject {
  const out = clone(base);
  const paths = asObject((out.paths ??= {}));
  const components = asObject((out.components ??= {}));
  const tags = [...((out.tags ?? []) as JsonObject[])];
  const baseTags = tags.length;
  const operationIds = new Set<string>();
  for (const item of Object.values(paths)) for (const m of METHODS) {
    const id = asObject(asObject(item)[m]).operationId;
    if (typeof id === 'string') operationIds.add(id);
  }

  for (const part of parts) {
    const doc = clone(part.document);
    const theirs = asObject(doc.components);
    // Rename clashing components of this part, then rewrite its references to them.
    const renamed = new Map<string, string>();
    for (const section of SECTIONS) {
      for (const name of Object.keys(asObject(theirs[section]))) {
        const ours = asObject(components[section])[name];
        if (ours !== undefined && !sameJson(ours, asObject(theirs[section])[name])) {
          let next = `${part.name}_${name}`;
          for (let n = 2; asObject(components[section])[next] !== undefined; n++) next = `${part.name}_${name}_${n}`;
          if (!COMPONENT_NAME.test(next)) next = next.replace(/[^A-Za-z0-9._-]/g, '_');
          renamed.set(`#/components/${section}/${name}`, `#/components/${section}/${next}`);
        }
      }
    }
    if (renamed.size > 0) rewriteRefs(doc, (ref) => renamed.get(ref));
    for (const section of SECTIONS) {
      for (const [name, value] of Object.entries(asObject(theirs[section]))) {
        const target = renamed.get(`#/components/${section}/${name}`)?.split('/').at(-1) ?? name;
        const bucket = asObject((components[section] ??= {}));
        bucket[target] ??= value;
      }
    }
    for (const tag of (doc.tags ?? []) as JsonObject[]) {
      if (!tags.some((t) => t.name === tag.name)) tags.push(tag);
    }
    for (const [path, rawItem] of Object.entries(asObject(doc.paths))) {
      const item = asObject(rawItem);
      for (const method of METHODS) {
        const op = item[method];
        if (op === undefined) continue;
        const target = asObject((paths[path] ??= {}));
        if (target[method] !== undefined) continue;
        const kept = options.operation ? options.operation({ part: part.name, path, method, operation: asObject(op) }) : asObject(op);
        if (!kept) continue;
        if (typeof kept.operationId === 'string') {
          let id = kept.operationId;
          if (operationIds.has(id)) id = `${part.name}_${id}`;
          operationIds.add(id);
          kept.operationId = id;
        }
        target[method] = kept;
        // Path-level parameters and summary go along with the first operation taken from the item.
        for (const [key, value] of Object.entries(item)) {
          if (!(METHODS as readonly string[]).includes(key)) target[key] ??= value;
        }
      }
    }
  }
  for (const [path, item] of Object.entries(paths)) {
    if (!METHODS.some((m) => asObject(item)[m] !== undefined)) delete paths[path];
  }
  const used = new Set(Object.values(paths).flatMap((item) => METHODS.flatMap((m) => asObject(asObject(item)[m]).tags ?? []) as string[]));
  out.tags = [...tags.slice(0, baseTags), ...tags.slice(baseTags).filter((t) => used.has(String(t.name)))];
  pruneComponents(out);
  return out;
}

/** Removes components that neither the paths nor the kept components reference (security schemes stay). */
export function pruneComponents(doc: JsonObject): void {
  const components = asObject(doc.components);
  const reached = new Set<string>();
  const visit = (value: unknown) => {
    const refs: string[] = [];
    collectRefs(value, refs);
    for (const ref of refs) {
      if (reached.has(ref)) continue;
      reached.add(ref);
      const [, , section, name] = ref.split('/');
      if (section && name) visit(asObject(components[section])[decodePointer(name)]);
    }
  };
  visit(doc.paths);
  for (const section of SECTIONS) {
    if (section === 'securitySchemes') continue;
    const bucket = components[section];
    if (bucket === undefined) continue;
    for (const name of Object.keys(asObject(bucket))) {
      if (!reached.has(`#/components/${section}/${encodePointer(name)}`)) delete asObject(bucket)[name];
    }
  }
}

const decodePointer = (token: string) => token.replace(/~1/g, '/').replace(/~0/g, '~');
const encodePointer = (token: string) => token.replace(/~/g, '~0').replace(/\//g, '~1');

function collectRefs(value: unknown, into: string[]): void {
  if (Array.isArray(value)) return value.forEach((v) => collectRefs(v, into));
  if (typeof value !== 'object' || value === null) return;
  for (const [key, child] of Object.entries(value)) {
    if (key === '$ref' && typeof child === 'string') into.push(child);
    else collectRefs(child, into);
  }
}

/** Every local `$ref` (`#/...`) of `doc` that points at nothing. */
export function unresolvedRefs(doc: JsonObject): string[] {
  const refs: string[] = [];
  collectRefs(doc, refs);
  return [...new Set(refs)].filter((ref) => {
    if (!ref.startsWith('#')) return false;
    let node: unknown = doc;
    for (const token of ref.slice(1).split('/').slice(1).map(decodePointer)) {
      if (typeof node !== 'object' || node === null || !Object.hasOwn(node, token)) return true;
      node = (node as JsonObject)[token];
    }
    return false;
  });
}
