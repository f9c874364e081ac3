import { z } from 'zod';
import { compareContracts, compareSchemas, describeChanges, nextVersion } from './compat';
import { studentEventSchemas, type JsonSchema } from './schemas';
import { readSnapshot } from './snapshot';
import { validateAgainst } from './validate';

const obj = (properties: Record<string, JsonSchema>, required: string[] = Object.keys(properties)): JsonSchema => ({
  type: 'object',
  properties,
  required,
  additionalProperties: false,
});
const str = { type: 'string' };
const int = { type: 'integer' };
const base = obj({ name: str, age: int, grade: { type: 'string', enum: ['9', '10', '11'] } }, ['name', 'age']);
const breaking = (before: JsonSchema, after: JsonSchema) => compareSchemas(before, after).filter((c) => c.breaking);

describe('compatibility rule of a published event type', () => {
  it('finds no change between equal schemas', () => {
    expect(compareSchemas(base, structuredClone(base))).toEqual([]);
  });

  it.each<[string, JsonSchema, RegExp, string]>([
    ['a removed property', obj({ name: str, grade: { type: 'string', enum: ['9', '10', '11'] } }, ['name']), /property removed/, 'age'],
    ['a renamed property', obj({ full_name: str, age: int, grade: { type: 'string', enum: ['9', '10', '11'] } }, ['full_name', 'age']), /property removed/, 'name'],
    ['a new required property', obj({ name: str, age: int, grade: { type: 'string', enum: ['9', '10', '11'] }, email: str }, ['name', 'age', 'email']), /new required property/, 'email'],
    ['an optional property made required', obj({ name: str, age: int, grade: { type: 'string', enum: ['9', '10', '11'] } }), /became required/, 'grade'],
    ['a required property made optional', obj({ name: str, age: int, grade: { type: 'string', enum: ['9', '10', '11'] } }, ['name']), /no longer required/, 'age'],
    ['a changed type', obj({ name: str, age: str, grade: { type: 'string', enum: ['9', '10', '11'] } }, ['name', 'age']), /type changed \["integer"\] → \["string"\]/, 'age'],
    ['a type made nullable', obj({ name: { type: ['string', 'null'] }, age: int, grade: { type: 'string', enum: ['9', '10', '11'] } }, ['name', 'age']), /type changed/, 'name'],
    ['a narrowed enum', obj({ name: str, age: int, grade: { type: 'string', enum: ['10', '11'] } }, ['name', 'age']), /enum narrowed: \["9"\] removed/, 'grade'],
  ])('calls %s breaking, and says where', (_case, after, message, path) => {
    const found = breaking(base, after);
    expect(found).toEqual(expect.arrayContaining([expect.objectContaining({ path, message: expect.stringMatching(message) })]));
  });

  it('accepts an added optional property and a widened enum', () => {
    const after = obj({ name: str, age: int, grade: { type: 'string', enum: ['9', '10', '11', '12'] }, email: str }, ['name', 'age']);
    const changes = compareSchemas(base, after);
    expect(changes.filter((c) => c.breaking)).toEqual([]);
    expect(changes.map((c) => `${c.path}: ${c.message}`)).toEqual(['grade: enum widened: ["12"] added', 'email: optional property added']);
  });

  it('looks into nested objects', () => {
    const before = obj({ data: obj({ changed: obj({ age: int }, []) }) });
    const after = obj({ data: obj({ changed: obj({ age: { type: 'number' } }, []) }) });
    expect(breaking(before, after)).toEqual([expect.objectContaining({ path: 'data.changed.age', message: 'type changed ["integer"] → ["number"]' })]);
  });

  it('accepts a new type and a new .vN+1, refuses a removed type, and names the way out', () => {
    const v1 = { 'a.b.created.v1': base };
    expect(compareContracts(v1, { ...v1, 'a.b.created.v2': obj({ name: str }) }).filter((c) => c.breaking)).toEqual([]);
    expect(compareContracts(v1, {})).toEqual([expect.objectContaining({ type: 'a.b.created.v1', breaking: true })]);
    const changed = compareContracts(v1, { 'a.b.created.v1': obj({ name: str }) });
    expect(describeChanges(changed).join('\n')).toMatch(/BREAKING a\.b\.created\.v1 age: property removed[\s\S]*publish the new shape as a\.b\.created\.v2/);
    expect(nextVersion('students.student.created.v9')).toBe('students.student.created.v10');
  });

  it('sees the breaking change in a zod edit of a real event schema', () => {
    const now = studentEventSchemas();
    const edited = z.toJSONSchema(z.object({ id: z.number().int(), name: z.string() }).strict(), { target: 'draft-2020-12' }) as JsonSchema;
    const created = now['students.student.created.v1']!;
    const after = { ...created, properties: { ...(created.properties as JsonSchema), data: edited } };
    const messages = breaking(created, after).map((c) => `${c.path}: ${c.message}`);
    expect(messages).toEqual(expect.arrayContaining([expect.stringMatching(/^data\.age: property removed/), expect.stringMatching(/^data\.roll_no: property removed/)]));
  });
});

describe('the committed contract', () => {
  it('has no incompatible change against the code (npm run contracts:check)', () => {
    expect(compareContracts(readSnapshot(), studentEventSchemas()).filter((c) => c.breaking)).toEqual([]);
  });
});

describe('validateAgainst (the contract test validator)', () => {
  const schema = studentEventSchemas()['students.student.updated.v1']!;
  const event = {
    id: '0b0c6d3e-7c5d-4b43-9b53-6f2b7c0f9a11', type: 'students.student.updated.v1', source: 'students', subject: 'org:1', tenant: 'org',
    version: 2, time: '2026-01-01T00:00:00.000Z', correlationId: 'c', causationId: 'c', actor: 'u',
    data: { changed: { email: null, age: 12 }, previous: { email: 'a@b.c', age: 11 }, updated_at: '2026-01-01T00:00:00.000Z' },
  };
  it('accepts a valid event', () => expect(validateAgainst(schema, event)).toEqual([]));
  it.each<[string, unknown, RegExp]>([
    ['a wrong type', { ...event, version: '2' }, /\$\.version: expected integer/],
    ['a missing field', { ...event, actor: undefined }, /missing required property actor/],
    ['an extra field', { ...event, data: { ...event.data, extra: 1 } }, /\$\.data: unexpected property extra/],
    ['another type', { ...event, type: 'students.student.created.v1' }, /\$\.type: must be "students.student.updated.v1"/],
    ['a bad time', { ...event, time: 'yesterday' }, /\$\.time: does not match/],
  ])('refuses %s', (_case, value, problem) => {
    expect(validateAgainst(schema, JSON.parse(JSON.stringify(value)))).toEqual(expect.arrayContaining([expect.stringMatching(problem)]));
  });
});
