import { isDeepStrictEqual } from 'node:util';
import type { JsonSchema } from './schemas';

const isObject = (v: unknown): v is JsonSchema => typeof v === 'object' && v !== null && !Array.isArray(v);

function typeMatches(type: string, value: unknown): boolean {
  switch (type) {
    case 'null':
      return value === null;
    case 'boolean':
      return typeof value === 'boolean';
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'integer':
      return Number.isInteger(value);
    case 'array':
      return Array.isArray(value);
    case 'object':
      return isObject(value);
    default:
      return false;
  }
}

/**
 * A small JSON Schema validator for the keywords the contract uses (type, const, enum, properties,
 * required, additionalProperties, items, anyOf/oneOf, string lengths, pattern, numeric bounds; `format`
 * is an annotation, as in draft 2020-12). Returns the problems, empty when the value is valid. An
 * unsupported keyword is reported rather than ignored, so a contract can never pass unchecked.
 */
export function validateAgainst(schema: JsonSchema, value: unknown, path = '$'): string[] {
  const problems: string[] = [];
  const fail = (message: string) => problems.push(`${path}: ${message}`);
  for (const keyword of Object.keys(schema)) {
    if (!KNOWN.has(keyword)) fail(`unsupported keyword ${keyword}`);
  }
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
    if (!types.some((t) => typeMatches(t, value))) return [...problems, `${path}: expected ${types.join(' or ')}, got ${value === null ? 'null' : typeof value}`];
  }
  if ('const' in schema && !isDeepStrictEqual(schema.const, value)) fail(`must be ${JSON.stringify(schema.const)}`);
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => isDeepStrictEqual(e, value))) fail(`must be one of ${JSON.stringify(schema.enum)}`);
  for (const keyword of ['anyOf', 'oneOf'] as const) {
    const branches = schema[keyword];
    if (!Array.isArray(branches)) continue;
    const matching = (branches as JsonSchema[]).filter((b) => validateAgainst(b, value, path).length === 0).length;
    if (matching === 0 || (keyword === 'oneOf' && matching > 1)) fail(`matches ${matching} of the ${keyword} branches`);
  }
  if (typeof value === 'string') {
    if (typeof schema.minLength === 'number' && [...value].length < schema.minLength) fail(`shorter than ${schema.minLength}`);
    if (typeof schema.maxLength === 'number' && [...value].length > schema.maxLength) fail(`longer than ${schema.maxLength}`);
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value)) fail(`does not match ${schema.pattern}`);
  }
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) fail(`below ${schema.minimum}`);
    if (typeof schema.maximum === 'number' && value > schema.maximum) fail(`above ${schema.maximum}`);
    if (typeof schema.exclusiveMinimum === 'number' && value <= schema.exclusiveMinimum) fail(`not above ${schema.exclusiveMinimum}`);
    if (typeof schema.exclusiveMaximum === 'number' && value >= schema.exclusiveMaximum) fail(`not below ${schema.exclusiveMaximum}`);
  }
  if (isObject(value)) {
    const properties = isObject(schema.properties) ? schema.properties : {};
    for (const key of Array.isArray(schema.required) ? (schema.required as string[]) : []) {
      if (!(key in value)) fail(`missing required property ${key}`);
    }
    for (const [key, v] of Object.entries(value)) {
      const sub = properties[key];
      if (isObject(sub)) problems.push(...validateAgainst(sub, v, `${path}.${key}`));
      else if (schema.additionalProperties === false) fail(`unexpected property ${key}`);
      else if (isObject(schema.additionalProperties)) problems.push(...validateAgainst(schema.additionalProperties, v, `${path}.${key}`));
    }
  }
  if (Array.isArray(value) && isObject(schema.items)) {
    value.forEach((item, i) => problems.push(...validateAgainst(schema.items as JsonSchema, item, `${path}[${i}]`)));
  }
  return problems;
}

const KNOWN = new Set([
  '$schema', 'title', 'description', 'format', 'type', 'const', 'enum', 'anyOf', 'oneOf', 'properties', 'required',
  'additionalProperties', 'items', 'minLength', 'maxLength', 'pattern', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum',
]);
