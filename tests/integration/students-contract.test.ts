import type { Consumer, KafkaMessage } from 'kafkajs';
import { EventEnvelopeSchema } from '@sms/shared/events';
import { headerString } from '@sms/shared/kafka';
import type { RunningService } from '@sms/shared/service';
import type { Config as AuthConfig } from '../../services/auth/src/config';
import type { Config as StudentsConfig } from '../../services/students/src/config';
import { studentEnvelopeSchemas, type JsonSchema } from '../../services/students/src/contracts/schemas';
import { readSnapshot } from '../../services/students/src/contracts/snapshot';
import { validateAgainst } from '../../services/students/src/contracts/validate';
import { client, startAuth } from '../support/auth';
import { eventually, unique } from '../support/backbone';
import { startStudents, studentsClient } from '../support/students';

// Every event the students service produces validates against the JSON Schema it publishes (and
// re-parses with the zod schema that JSON Schema was generated from).
let auth: RunningService<AuthConfig>;
let students: RunningService<StudentsConfig>;
let call: ReturnType<typeof studentsClient>;
let admin: string;
let consumer: Consumer | undefined;
const password = 'correct horse battery staple';

beforeAll(async () => {
  auth = await startAuth();
  students = await startStudents({ AUTH_JWKS_URL: `${auth.url}/.well-known/jwks.json` });
  call = studentsClient(students.url);
  const api = client(auth.url);
  expect((await api.post('/api/v1/auth/admin-signup', { username: 'principal', email: 'principal@example.com', password })).status).toBe(201);
  admin = (await api.post('/api/v1/auth/login', { username: 'principal', password })).body.accessToken as string;
});

afterAll(async () => {
  await consumer?.disconnect().catch(() => undefined);
  await students?.context.mongo?.db.dropDatabase().catch(() => undefined);
  await auth?.context.mongo?.db.dropDatabase().catch(() => undefined);
  await students?.stop();
  await auth?.stop();
});

describe('the published contract', () => {
  it('serves the AsyncAPI document and one JSON Schema per event type, without a token', async () => {
    const doc = await call('GET', '/contracts/students/asyncapi.json');
    expect(doc.status).toBe(200);
    expect(doc.body.asyncapi).toBe('3.0.0');
    expect(doc.body.channels.studentsEvents.address).toBe(students.context.config.EVENTS_TOPIC);
    const types = Object.keys(doc.body.components.messages).sort();
    expect(types).toEqual(Object.keys(studentEnvelopeSchemas()).sort());
    expect(doc.body.operations.publishStudentEvents.messages).toHaveLength(types.length);
    for (const type of types) {
      const message = doc.body.components.messages[type];
      expect(Object.keys(message.headers.properties)).toEqual(['event-type', 'content-type', 'traceparent']);
      expect(message.bindings.kafka.key.type).toBe('string');
      const schema = await call('GET', `/contracts/students/schemas/${type}.json`);
      expect(schema.status).toBe(200);
      expect(schema.headers.get('content-type')).toMatch(/^application\/schema\+json/);
      expect(schema.body.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
      // What the service serves is what the repository commits (npm run contracts:generate).
      expect(schema.body).toEqual(readSnapshot()[type]);
    }
    const index = await call('GET', '/contracts/students/schemas');
    expect(index.body.items.map((i: { type: string }) => i.type).sort()).toEqual(types);
  });

  it('answers 404 for an unknown schema, and still requires a token on the students routes', async () => {
    for (const path of ['students.student.enrolled.v1.json', 'students.student.created.v1', 'constructor.json', '__proto__.json']) {
      const missing = await call('GET', `/contracts/students/schemas/${path}`);
      expect(missing.status).toBe(404);
      expect(missing.headers.get('content-type')).toMatch(/problem\+json/);
    }
    expect((await call('GET', '/api/v1/students')).status).toBe(401);
    expect((await call('GET', '/api/v1/students/contract/asyncapi.json')).status).toBe(401);
  });
});

describe('every event the service produces', () => {
  it('validates against its published JSON Schema and its zod schema, with the documented headers and key', async () => {
    const made = await call('POST', '/api/v1/students', { token: admin, body: { id: 1, name: 'John Doe', age: 16, roll_no: 'R-101', grade: '10' } });
    expect(made.status).toBe(201);
    const full = { name: 'Jane Smith', age: 15, roll_no: 'R-102', grade: '9', email: 'jane@example.com', date_of_birth: '2011-03-04' };
    expect((await call('POST', '/api/v1/students', { token: admin, body: full })).status).toBe(201);
    expect((await call('PUT', '/api/v1/students/1', { token: admin, body: { name: 'John Updated', age: 17, roll_no: 'R-101', grade: '11', email: 'john@example.com' } })).status).toBe(200);
    expect((await call('PATCH', '/api/v1/students/1', { token: admin, body: { email: null, date_of_birth: '2010-01-02' } })).status).toBe(200);
    expect((await call('PATCH', '/api/v1/students/1', { token: admin, body: { roll_no: 'R-201' } })).status).toBe(200);
    expect((await call('DELETE', '/api/v1/students/1', { token: admin })).status).toBe(204);

    // What the store committed: every one of these must come out of the topic.
    const db = students.context.mongo!.db;
    const commits = await db.collection<{ events: Array<{ id: string }> }>('event_commits').find({}).toArray();
    const expected = new Set(commits.flatMap((c) => c.events.map((e) => e.id)));
    expect(expected.size).toBe(6);

    const messages: KafkaMessage[] = [];
    consumer = students.context.kafka!.kafka.consumer({ groupId: unique('contract-test') });
    await consumer.connect();
    await consumer.subscribe({ topics: [students.context.config.EVENTS_TOPIC], fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void messages.push(message) });
    await eventually(async () => {
      const seen = new Set(messages.map((m) => JSON.parse(m.value!.toString('utf8')).id as string));
      return [...expected].every((id) => seen.has(id));
    }, 30_000, 'every committed event on the topic');

    const published = new Map<string, JsonSchema>();
    const zod = studentEnvelopeSchemas();
    const typesSeen = new Set<string>();
    for (const message of messages) {
      const event = JSON.parse(message.value!.toString('utf8'));
      const type = event.type as string;
      typesSeen.add(type);
      if (!published.has(type)) {
        const answer = await call('GET', `/contracts/students/schemas/${type}.json`);
        expect(answer.status).toBe(200);
        published.set(type, answer.body);
      }
      expect({ type, problems: validateAgainst(published.get(type)!, event) }).toEqual({ type, problems: [] });
      expect(EventEnvelopeSchema.safeParse(event).success).toBe(true);
      expect(zod[type]!.safeParse(event).error?.issues).toBeUndefined();
      // Headers and key as the AsyncAPI document says.
      expect(headerString(message.headers, 'event-type')).toBe(type);
      expect(headerString(message.headers, 'content-type')).toBe('application/json');
      const traceparent = headerString(message.headers, 'traceparent');
      if (traceparent !== undefined) expect(traceparent).toMatch(/^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/);
      expect(message.key?.toString('utf8')).toBe(event.subject);
      // The JSON Schema's keys are exactly the event's (nothing undocumented travels).
      const schema = published.get(type)!;
      expect(Object.keys(event).sort()).toEqual(Object.keys(schema.properties as JsonSchema).sort());
      const dataSchema = (schema.properties as Record<string, JsonSchema>).data!;
      expect(Object.keys(dataSchema.properties as JsonSchema)).toEqual(expect.arrayContaining(Object.keys(event.data)));
      expect(Object.keys(event.data)).toEqual(expect.arrayContaining(dataSchema.required as string[]));
    }
    expect([...typesSeen].sort()).toEqual(['students.student.created.v1', 'students.student.deleted.v1', 'students.student.updated.v1']);
  });
});
