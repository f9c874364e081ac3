import { z } from 'zod';
import { stampEvents } from './envelope';
import { defineEvent, EventRegistry } from './registry';

const StudentCreated = defineEvent('students.student.created.v1', z.object({ name: z.string(), grade: z.number().int() }).strict());
const registry = new EventRegistry([StudentCreated]);
const meta = { tenant: 'org-1', actor: 'user-1', now: new Date('2026-01-01T00:00:00Z') };

describe('event envelope', () => {
  it('stamps consecutive versions, one correlation id and the command metadata', () => {
    const events = stampEvents('students', 's-1', 4, [
      { type: StudentCreated.type, data: { name: 'Ada', grade: 3 } },
      { type: StudentCreated.type, data: { name: 'Ada', grade: 4 } },
    ], meta);
    expect(events.map((e) => e.version)).toEqual([4, 5]);
    expect(new Set(events.map((e) => e.correlationId)).size).toBe(1);
    expect(events[0]).toMatchObject({ source: 'students', subject: 's-1', tenant: 'org-1', actor: 'user-1', time: '2026-01-01T00:00:00.000Z' });
  });
});

describe('EventRegistry.parse', () => {
  const [valid] = stampEvents('students', 's-1', 1, [{ type: StudentCreated.type, data: { name: 'Ada', grade: 3 } }], meta);

  it('accepts a valid event', () => {
    expect(registry.parse(Buffer.from(JSON.stringify(valid)))).toEqual({ kind: 'event', event: valid });
  });

  it.each([
    ['not JSON', '{oops', /not valid JSON/],
    ['a missing envelope field', JSON.stringify({ ...valid, tenant: undefined }), /invalid envelope: tenant/],
    ['an extra envelope field', JSON.stringify({ ...valid, password: 'x' }), /invalid envelope/],
    ['a badly named type', JSON.stringify({ ...valid, type: 'StudentCreated' }), /invalid envelope: type/],
    ['invalid data', JSON.stringify({ ...valid, data: { name: 'Ada', grade: 'three' } }), /invalid data for students.student.created.v1: grade/],
  ])('calls %s malformed, with the reason', (_case, raw, reason) => {
    const outcome = registry.parse(raw);
    expect(outcome.kind).toBe('malformed');
    expect(outcome.kind === 'malformed' && outcome.reason).toMatch(reason);
  });

  it('reports a well-formed event of a type it does not know as unknown, not malformed', () => {
    expect(registry.parse(JSON.stringify({ ...valid, type: 'students.student.enrolled.v2' }))).toEqual({
      kind: 'unknown-type',
      type: 'students.student.enrolled.v2',
    });
  });

  it('refuses to validate an unregistered type for appending', () => {
    expect(() => registry.validate({ ...valid!, type: 'students.student.enrolled.v2' })).toThrow(/unregistered event type/);
  });
});
