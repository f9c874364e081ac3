import { Router } from 'express';
import { z } from 'zod';
import { NotFoundError } from '../errors';
import { EventEnvelopeSchema, type EventDefinition } from '../events';
import { HEADER_CONTENT_TYPE, HEADER_EVENT_TYPE } from '../kafka';
import type { JsonObject } from './schema';

const KAFKA_BINDING = '0.5.0';

export interface TopicContract {
  title: string;
  version: string;
  description: string;
  /** The topic the service publishes to (its configured `EVENTS_TOPIC`). */
  topic: string;
  /** Where the service serves the contract, `/contracts/<service>` (the gateway fetches it from there). */
  contractPath: string;
  events: readonly EventDefinition[];
  /** Per event type: what it means. */
  descriptions?: Record<string, string>;
  /** What the Kafka message key is. */
  key: string;
  partitions?: number;
  /**
   * Ids and titles of the topic's channel and of its send operation (default: `events`, titled by the
   * topic, and `publishEvents`). Consumers `$ref` the ids: once published, they stay.
   */
  channel?: { id: string; title: string };
  operation?: { id: string; title: string };
  /** When the `traceparent` header is missing, if the service writes events no request caused. */
  untraced?: string;
}

/** The whole message of one event type: the shared envelope with the type fixed and the data of that type. */
export const envelopeOf = (definition: EventDefinition) =>
  EventEnvelopeSchema.extend({ type: z.literal(definition.type), data: definition.schema }).strict();

/** JSON Schema of every event of the contract (envelope and data), keyed by event type. */
export function eventSchemas(contract: TopicContract, target: 'draft-2020-12' | 'draft-7' = 'draft-2020-12'): Record<string, JsonObject> {
  return Object.fromEntries(
    contract.events.map((d) => {
      const { $schema, ...rest } = z.toJSONSchema(envelopeOf(d), { target }) as JsonObject;
      const description = contract.descriptions?.[d.type];
      return [d.type, { ...(target === 'draft-2020-12' ? { $schema } : {}), title: d.type, ...(description ? { description } : {}), ...rest }];
    }),
  );
}

/**
 * The AsyncAPI 3.0 document of one service's topic: one message per event type with its headers and
 * Kafka key, payloads as JSON Schema draft 07 (the dialect AsyncAPI 3.0 names), each linking to its
 * draft 2020-12 document under `<contractPath>/schemas/<type>.json`.
 */
export function asyncApiDocument(contract: TopicContract): JsonObject {
  const schemas = eventSchemas(contract, 'draft-7');
  const types = Object.keys(schemas);
  const channel = contract.channel ?? { id: 'events', title: contract.topic };
  const operation = contract.operation ?? { id: 'publishEvents', title: `The service publishes to ${contract.topic}` };
  const traceparent = `W3C trace context of the request that caused the event${contract.untraced ? ` (${contract.untraced})` : ''}.`;
  const messages = Object.fromEntries(
    types.map((type) => [
      type,
      {
        name: type,
        title: type,
        ...(schemas[type]!.description ? { summary: schemas[type]!.description } : {}),
        contentType: 'application/json',
        headers: {
          type: 'object',
          required: [HEADER_EVENT_TYPE, HEADER_CONTENT_TYPE],
          properties: {
            [HEADER_EVENT_TYPE]: { type: 'string', const: type, description: 'The event type, as in the envelope: route or skip without parsing the value.' },
            [HEADER_CONTENT_TYPE]: { type: 'string', const: 'application/json' },
            traceparent: { type: 'string', pattern: '^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$', description: traceparent },
          },
        },
        payload: { $ref: `#/components/schemas/${type}` },
        correlationId: { $ref: '#/components/correlationIds/envelope' },
        bindings: { kafka: { key: { type: 'string', description: contract.key }, bindingVersion: KAFKA_BINDING } },
        externalDocs: { description: 'JSON Schema draft 2020-12 of this message', url: `${contract.contractPath}/schemas/${type}.json` },
      },
    ]),
  );
  return {
    asyncapi: '3.0.0',
    info: { title: contract.title, version: contract.version, description: contract.description },
    defaultContentType: 'application/json',
    servers: { local: { host: '127.0.0.1:9092', protocol: 'kafka', description: 'The development stack (`npm run stack:up`).' } },
    channels: {
      [channel.id]: {
        address: contract.topic,
        title: channel.title,
        messages: Object.fromEntries(types.map((t) => [t, { $ref: `#/components/messages/${t}` }])),
        bindings: { kafka: { topic: contract.topic, partitions: contract.partitions ?? 3, topicConfiguration: { 'retention.ms': -1 }, bindingVersion: KAFKA_BINDING } },
      },
    },
    operations: {
      [operation.id]: {
        action: 'send',
        title: operation.title,
        channel: { $ref: `#/channels/${channel.id}` },
        messages: types.map((t) => ({ $ref: `#/channels/${channel.id}/messages/${t}` })),
      },
    },
    components: {
      schemas: Object.fromEntries(types.map((t) => [t, { schemaFormat: 'application/schema+json;version=draft-07', schema: schemas[t] }])),
      messages,
      correlationIds: { envelope: { description: 'Shared by every event one request caused.', location: '$message.payload#/correlationId' } },
    },
  };
}

/**
 * The public contract routes (no token: they describe no data): `GET <contractPath>/asyncapi.json`,
 * `<contractPath>/schemas` (an index) and `<contractPath>/schemas/<type>.json`.
 */
export function contractRoutes(contract: TopicContract): Router {
  const router = Router();
  const asyncapi = asyncApiDocument(contract);
  const schemas = eventSchemas(contract);
  const cache = 'public, max-age=300';
  const base = contract.contractPath;
  router.get(`${base}/asyncapi.json`, (_req, res) => {
    res.set('Cache-Control', cache).json(asyncapi);
  });
  router.get(`${base}/schemas`, (_req, res) => {
    res.set('Cache-Control', cache).json({ items: Object.keys(schemas).map((type) => ({ type, href: `${base}/schemas/${type}.json` })) });
  });
  router.get(`${base}/schemas/:file`, (req, res) => {
    const file = String(req.params.file);
    const type = file.endsWith('.json') ? file.slice(0, -'.json'.length) : '';
    if (!Object.hasOwn(schemas, type)) throw new NotFoundError(`no schema ${file}: see ${base}/schemas`);
    res.set('Cache-Control', cache).type('application/schema+json').json(schemas[type]);
  });
  return router;
}
