import { HEADER_CONTENT_TYPE, HEADER_EVENT_TYPE } from '@sms/shared/kafka';
import { CONTRACT_PATH, DEFAULT_EVENTS_TOPIC, studentEventSchemas, type JsonSchema } from './schemas';

const KAFKA_BINDING = '0.5.0';

/**
 * The AsyncAPI 3.0 document of the `students.events` channel: one message per event type, its
 * headers and its Kafka key (the aggregate id). Payload schemas are the same zod schemas rendered as
 * JSON Schema draft 07 (the dialect AsyncAPI 3.0 names); the draft 2020-12 documents are served
 * beside it under `schemas/<type>.json`.
 */
export function studentsAsyncApi(topic: string = DEFAULT_EVENTS_TOPIC): JsonSchema {
  const schemas = studentEventSchemas('draft-7');
  const types = Object.keys(schemas);
  const messages: Record<string, JsonSchema> = {};
  const componentSchemas: Record<string, JsonSchema> = {};
  for (const type of types) {
    const schema = schemas[type]!;
    componentSchemas[type] = { schemaFormat: 'application/schema+json;version=draft-07', schema };
    messages[type] = {
      name: type,
      title: type,
      summary: schema.description,
      contentType: 'application/json',
      headers: {
        type: 'object',
        required: [HEADER_EVENT_TYPE, HEADER_CONTENT_TYPE],
        properties: {
          [HEADER_EVENT_TYPE]: { type: 'string', const: type, description: 'The event type, as in the envelope: route or skip without parsing the value.' },
          [HEADER_CONTENT_TYPE]: { type: 'string', const: 'application/json' },
          traceparent: {
            type: 'string',
            pattern: '^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$',
            description: 'W3C trace context of the request that caused the event (absent for untraced writes such as imports).',
          },
        },
      },
      payload: { $ref: `#/components/schemas/${type}` },
      correlationId: { $ref: '#/components/correlationIds/envelope' },
      bindings: {
        kafka: {
          key: { type: 'string', description: 'The aggregate id (the envelope `subject`, `<org>:<studentId>`): one student\'s events share a partition, in order.' },
          bindingVersion: KAFKA_BINDING,
        },
      },
      externalDocs: { description: 'JSON Schema draft 2020-12 of this message', url: `${CONTRACT_PATH}/schemas/${type}.json` },
    };
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Students events',
      version: '1.0.0',
      description: [
        'Everything that happens to student records, per organization (`tenant`).',
        'Delivery is at least once, in order per student: consumers deduplicate by `id` or fold by `(subject, version)`.',
        'Types are versioned (`.vN`): a type never changes incompatibly; a breaking change is a new `.vN+1` type.',
        'Skip event types you do not know (forward compatibility).',
      ].join(' '),
    },
    defaultContentType: 'application/json',
    servers: {
      local: { host: '127.0.0.1:9092', protocol: 'kafka', description: 'The development stack (`npm run stack:up`).' },
    },
    channels: {
      studentsEvents: {
        address: topic,
        title: 'students events',
        messages: Object.fromEntries(types.map((t) => [t, { $ref: `#/components/messages/${t}` }])),
        bindings: { kafka: { topic, partitions: 3, topicConfiguration: { 'retention.ms': -1 }, bindingVersion: KAFKA_BINDING } },
      },
    },
    operations: {
      publishStudentEvents: {
        action: 'send',
        title: 'The students service publishes what happened to a student',
        channel: { $ref: '#/channels/studentsEvents' },
        messages: types.map((t) => ({ $ref: `#/channels/studentsEvents/messages/${t}` })),
      },
    },
    components: {
      schemas: componentSchemas,
      messages,
      correlationIds: { envelope: { description: 'Shared by every event one request caused.', location: '$message.payload#/correlationId' } },
    },
  };
}
