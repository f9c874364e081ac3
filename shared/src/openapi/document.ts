import type { RequestHandler } from 'express';
import { z } from 'zod';
import { PROBLEM_CONTENT_TYPE } from '../http';
import { named, SchemaComponents, type JsonObject } from './schema';

export const OPENAPI_VERSION = '3.1.1';
/** The name of the bearer (JWT) security scheme in every document. */
export const BEARER_SCHEME = 'bearerAuth';

export type HttpMethod = 'get' | 'put' | 'post' | 'delete' | 'patch' | 'head' | 'options';

/**
 * Who may call an operation: `public` (no token), `bearer` (an access token; `role: 'admin'` when it
 * must be an admin's), `optional-bearer` (works without a token; with one it may do more).
 */
export type Security = 'public' | 'bearer' | 'optional-bearer';

export interface HeaderSpec {
  description: string;
  schema?: z.ZodType;
  required?: boolean;
}

export interface ResponseSpec {
  description: string;
  /** The body; JSON unless `contentType` says otherwise. */
  body?: z.ZodType;
  contentType?: string;
  headers?: Record<string, HeaderSpec>;
}

export interface OperationSpec {
  method: HttpMethod;
  /** An OpenAPI path template: `/api/v1/students/{id}`. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  security: Security;
  /** A role the token must carry beyond being valid (`x-required-role`). */
  role?: 'admin';
  /** Objects whose properties are the path, query and header parameters (the route's own schemas). */
  params?: { path?: z.ZodType; query?: z.ZodType; header?: z.ZodType };
  body?: { schema: z.ZodType; contentTypes?: string[]; required?: boolean; description?: string };
  /** Success (and other non-problem) answers by status. */
  responses: Record<number, ResponseSpec>;
  /** Statuses answered with an RFC 9457 `application/problem+json` document. */
  problems?: number[];
}

export interface TagSpec {
  name: string;
  description?: string;
}

export interface DocumentSpec {
  title: string;
  version: string;
  description?: string;
  servers?: { url: string; description?: string }[];
  tags?: TagSpec[];
  operations: readonly OperationSpec[];
}

/** RFC 9457 problem details, as every service's error handler writes them (http/problem.ts). */
export const ProblemSchema = named(
  'Problem',
  z
  .object({
    type: z.string().describe('A URI naming the kind of problem: `https://errors.student-platform.dev/<code>`.'),
    title: z.string().describe('Short human title of the kind of problem.'),
    status: z.number().int().describe('The HTTP status.'),
    detail: z.string().describe('What went wrong with this request.'),
    instance: z.string().optional().describe('The request path.'),
    code: z.string().describe('Stable machine-readable code, e.g. `validation_failed`, `version_conflict`.'),
    errors: z
      .array(z.object({ path: z.string(), message: z.string() }))
      .optional()
      .describe('On a 400: one entry per bad field.'),
  })
  .describe('RFC 9457 problem details (`application/problem+json`).'),
);

/** What each problem status means on this platform. */
export const PROBLEM_DESCRIPTIONS: Record<number, string> = {
  400: 'Bad request: malformed JSON, or a missing, extra or invalid field (one entry per field in `errors`).',
  401: 'No valid access token (missing, expired, revoked or badly signed).',
  403: 'Forbidden: the token is valid but its role or account may not do this.',
  404: 'Not found (or not in the caller\'s organization).',
  405: 'Method not allowed on this path (see `Allow`).',
  409: 'Conflict: a unique value is taken, or a concurrent change won.',
  412: 'Precondition failed: `If-Match` names a version that is no longer current.',
  413: 'Request body too large.',
  415: 'Unsupported media type: the body must be JSON, in UTF-8.',
  429: 'Too many requests: retry after `Retry-After` seconds.',
  500: 'Unexpected server error (no details are disclosed).',
  503: 'A service behind the gateway is unavailable: retry later.',
  504: 'A service behind the gateway did not answer in time.',
};

const securityOf = (security: Security): JsonObject[] =>
  security === 'public' ? [] : security === 'bearer' ? [{ [BEARER_SCHEME]: [] }] : [{}, { [BEARER_SCHEME]: [] }];

/** The parameters in one location, from an object schema's properties. */
function parameters(components: SchemaComponents, where: 'path' | 'query' | 'header', schema: z.ZodType | undefined): JsonObject[] {
  if (!schema) return [];
  const json = components.render(schema);
  const properties = (json.properties ?? {}) as Record<string, JsonObject>;
  const required = new Set((json.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => {
    const { description, ...rest } = property;
    return {
      name,
      in: where,
      required: where === 'path' || required.has(name),
      ...(typeof description === 'string' ? { description } : {}),
      schema: rest,
    };
  });
}

function problemResponse(components: SchemaComponents, status: number): JsonObject {
  return {
    description: PROBLEM_DESCRIPTIONS[status] ?? 'Problem',
    ...(status === 429 ? { headers: { 'Retry-After': { description: 'Seconds to wait.', schema: { type: 'integer', minimum: 0 } } } } : {}),
    content: { [PROBLEM_CONTENT_TYPE]: { schema: components.render(ProblemSchema) } },
  };
}

function response(components: SchemaComponents, spec: ResponseSpec): JsonObject {
  const headers = Object.entries(spec.headers ?? {}).map(([name, h]) => [
    name,
    { description: h.description, ...(h.required ? { required: true } : {}), schema: h.schema ? components.render(h.schema) : { type: 'string' } },
  ]);
  return {
    description: spec.description,
    ...(headers.length > 0 ? { headers: Object.fromEntries(headers) } : {}),
    ...(spec.body ? { content: { [spec.contentType ?? 'application/json']: { schema: components.render(spec.body) } } } : {}),
  };
}

function operation(components: SchemaComponents, op: OperationSpec): JsonObject {
  const templated = [...op.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
  const params = [
    ...parameters(components, 'path', op.params?.path),
    ...parameters(components, 'query', op.params?.query),
    ...parameters(components, 'header', op.params?.header),
  ];
  const declared = params.filter((p) => p.in === 'path').map((p) => p.name);
  if (templated.length !== declared.length || templated.some((t) => !declared.includes(t))) {
    throw new Error(`${op.operationId}: path ${op.path} templates {${templated.join(', ')}} but declares path parameters [${declared.join(', ')}]`);
  }
  const responses: Record<string, JsonObject> = {};
  for (const [status, spec] of Object.entries(op.responses)) responses[status] = response(components, spec);
  for (const status of op.problems ?? []) {
    if (responses[status]) throw new Error(`${op.operationId}: status ${status} is both a response and a problem`);
    responses[status] = problemResponse(components, status);
  }
  if (Object.keys(responses).length === 0) throw new Error(`${op.operationId}: no responses`);
  const body = op.body
    ? {
        requestBody: {
          required: op.body.required ?? true,
          ...(op.body.description ? { description: op.body.description } : {}),
          content: Object.fromEntries((op.body.contentTypes ?? ['application/json']).map((type) => [type, { schema: components.render(op.body!.schema) }])),
        },
      }
    : {};
  return {
    operationId: op.operationId,
    summary: op.summary,
    ...(op.description ? { description: op.description } : {}),
    tags: op.tags,
    security: securityOf(op.security),
    ...(op.role ? { 'x-required-role': op.role } : {}),
    ...(params.length > 0 ? { parameters: params } : {}),
    ...body,
    responses,
  };
}

/**
 * An OpenAPI 3.1 document from operations declared with the routes' own zod schemas. Throws on a
 * declaration mistake (a path template without its parameter, a duplicate operation), so a service
 * with a wrong declaration fails its tests and its start, not its readers.
 */
export function openApiDocument(spec: DocumentSpec): JsonObject {
  const components = new SchemaComponents();
  const paths: Record<string, Record<string, JsonObject>> = {};
  const ids = new Set<string>();
  for (const op of spec.operations) {
    if (ids.has(op.operationId)) throw new Error(`duplicate operationId ${op.operationId}`);
    ids.add(op.operationId);
    const item = (paths[op.path] ??= {});
    if (item[op.method]) throw new Error(`${op.method.toUpperCase()} ${op.path} is declared twice`);
    item[op.method] = operation(components, op);
  }
  const usesBearer = spec.operations.some((op) => op.security !== 'public');
  return {
    openapi: OPENAPI_VERSION,
    info: { title: spec.title, version: spec.version, ...(spec.description ? { description: spec.description } : {}) },
    ...(spec.servers ? { servers: spec.servers } : {}),
    ...(spec.tags ? { tags: spec.tags } : {}),
    paths,
    components: {
      schemas: components.schemas,
      ...(usesBearer ? { securitySchemes: { [BEARER_SCHEME]: bearerScheme() } } : {}),
    },
  };
}

export const bearerScheme = (): JsonObject => ({
  type: 'http',
  scheme: 'bearer',
  bearerFormat: 'JWT',
  description: 'An access token from `POST /api/v1/auth/login` (ES256 JWT, about 15 minutes; renew with `POST /api/v1/auth/refresh`).',
});

/** `GET /openapi.json`: the document, built once, public and cacheable. */
export function serveOpenApi(document: JsonObject): RequestHandler {
  const body = JSON.stringify(document);
  return (_req, res) => {
    res.set('Cache-Control', 'public, max-age=60').type('application/json').send(body);
  };
}
