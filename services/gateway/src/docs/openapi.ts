/**
 * The gateway's public OpenAPI document: the services' own documents (fetched from their
 * /openapi.json), cut down to what the policy table routes, plus the gateway's seed routes and its
 * documentation routes.
 */
import { z } from 'zod';
import {
  BEARER_SCHEME,
  bearerScheme,
  mergeOpenApi,
  openApiDocument,
  PROBLEM_DESCRIPTIONS,
  ProblemSchema,
  SchemaComponents,
  type JsonObject,
  type OperationContext,
  type OperationSpec,
} from '@sms/shared/openapi';
import { decide, ROUTES, type RouteRule } from '../policy';
import type { Fetched } from './remote';
import type { SeedDocs } from './seed-operations';

export const DOCS_TAG = 'Documentation';

/** The documentation routes themselves (docs/routes.ts). */
export const docsOperations: OperationSpec[] = [
  {
    method: 'get', path: '/openapi.json', operationId: 'getOpenApi', tags: [DOCS_TAG], security: 'public',
    summary: 'This OpenAPI 3.1 document',
    description: 'Merged from the services\' own documents (refetched every minute); a service that does not answer is left out and named in `x-missing-services`.',
    responses: { 200: { description: 'The document.', body: z.object({ openapi: z.string() }).loose() } },
  },
  {
    method: 'get', path: '/docs/asyncapi', operationId: 'listAsyncApi', tags: [DOCS_TAG], security: 'public',
    summary: 'The AsyncAPI documents of the event topics',
    responses: {
      200: {
        description: 'One entry per service that publishes events; `missing` lists the ones that did not answer.',
        body: z.object({
          items: z.array(z.object({ name: z.string(), title: z.string(), topics: z.array(z.string()), href: z.string() })),
          missing: z.array(z.object({ name: z.string(), reason: z.string() })),
        }),
      },
    },
  },
  {
    method: 'get', path: '/docs/asyncapi/{name}.json', operationId: 'getAsyncApi', tags: [DOCS_TAG], security: 'public',
    summary: 'The AsyncAPI 3.0 document of one service\'s topic',
    description: 'Message payloads are JSON Schema; the service also serves each as a draft 2020-12 document (see each message\'s `externalDocs`).',
    params: { path: z.object({ name: z.string().describe('The service, e.g. `students`.') }) },
    responses: { 200: { description: 'The AsyncAPI document.', body: z.object({ asyncapi: z.string() }).loose() } },
    problems: [404, 503],
  },
];

export interface ServicePart {
  name: string;
  result: Fetched;
}

const sampleOf = (template: string) => template.replace(/\{[^}]+\}/g, 'x');
const asObject = (value: unknown): JsonObject => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : {});

/**
 * Keeps an operation of a service only when the policy table routes it to that service (so no
 * /internal path, nothing the gateway answers 404 to), and states what the gateway adds: who may
 * call it, and the gateway's own problems (rate limits, the service down or slow).
 */
export function routedOperation(ctx: OperationContext, routes: readonly RouteRule[], problem: JsonObject): JsonObject | undefined {
  if (!ctx.path.startsWith('/') || ctx.path.startsWith('/internal')) return undefined;
  const decision = decide(ctx.method.toUpperCase(), sampleOf(ctx.path), routes);
  if (decision.kind !== 'route' || decision.rule.target !== ctx.part) return undefined;
  const op: JsonObject = { ...ctx.operation };
  const { access } = decision.rule;
  const admin = access === 'admin' || op['x-required-role'] === 'admin';
  if (access !== 'public') op.security = [{ [BEARER_SCHEME]: [] }];
  if (admin) op['x-required-role'] = 'admin';
  op['x-access'] = admin ? 'admin' : access;
  const who = admin ? 'an admin\'s access token' : access === 'member' ? 'an access token (any role)' : undefined;
  if (who) op.description = [`**Requires** ${who}.`, op.description].filter(Boolean).join('\n\n');
  const responses: JsonObject = { ...asObject(op.responses) };
  const add = (status: number) => {
    responses[status] ??= { description: PROBLEM_DESCRIPTIONS[status], content: { 'application/problem+json': { schema: problem } } };
  };
  if (access !== 'public') add(401);
  if (admin) add(403);
  add(429);
  add(503);
  add(504);
  op.responses = responses;
  return op;
}

export interface GatewayDocumentInput {
  services: readonly ServicePart[];
  seeds: readonly SeedDocs[];
  routes?: readonly RouteRule[];
}

/** The whole public document. Never throws on a service's document: a bad one is left out and said so. */
export function gatewayOpenApi({ services, seeds, routes = ROUTES }: GatewayDocumentInput): JsonObject {
  const missing = services.filter((s) => !s.result.ok).map((s) => ({ name: s.name, reason: (s.result as { reason: string }).reason }));
  const included = services.filter((s): s is { name: string; result: { ok: true; document: JsonObject } } => s.result.ok);
  const description = [
    'The public REST API of the student platform, through the gateway: `/api/v1` (JSON, errors as RFC 9457 `application/problem+json`, lists paginated with a cursor) and the seed systems\' routes in their own shapes.',
    'Authenticate with `POST /api/v1/auth/login` and send the `accessToken` as `Authorization: Bearer <token>` (the **Authorize** button).',
    'Event contracts (AsyncAPI 3.0) of the Kafka topics: [/docs/asyncapi](/docs/asyncapi).',
    ...(missing.length > 0
      ? [`**Not in this document right now** (their description could not be fetched): ${missing.map((m) => `${m.name} (${m.reason})`).join(', ')}.`]
      : []),
  ].join('\n\n');
  const own = openApiDocument({
    title: 'Student platform API',
    version: '1.0.0',
    description,
    servers: [{ url: '/', description: 'The gateway that served this document' }],
    tags: [...seeds.map((s) => s.tag), { name: DOCS_TAG, description: 'Where the API and event documentation lives.' }],
    operations: [...seeds.flatMap((s) => s.operations), ...docsOperations],
  });
  const components = asObject(own.components);
  components.securitySchemes = { [BEARER_SCHEME]: bearerScheme() };
  // `own` has the Problem schema (the documentation routes answer problems); the services' operations refer to it too.
  const problem = new SchemaComponents().render(ProblemSchema);
  const merged = mergeOpenApi(
    { ...own, 'x-missing-services': missing },
    included.map((s) => ({ name: s.name, document: s.result.document })),
    { operation: (ctx) => routedOperation(ctx, routes, problem) },
  );
  // The services' tags (the v1 API) first, then the seeds' and the documentation's.
  const ownTags = new Set(((own.tags ?? []) as JsonObject[]).map((t) => t.name));
  const tags = (merged.tags ?? []) as JsonObject[];
  merged.tags = [...tags.filter((t) => !ownTags.has(t.name)), ...tags.filter((t) => ownTags.has(t.name))];
  return merged;
}
