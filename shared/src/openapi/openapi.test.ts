import express from 'express';
import request from 'supertest';
import { z } from 'zod';
import { defineEvent } from '../events';
import { finishApp } from '../http';
import { createLogger } from '../logging';
import { asyncApiDocument, contractRoutes, mergeOpenApi, named, openApiDocument, serveOpenApi, unresolvedRefs, type OperationSpec } from './index';

/** A parsed JSON document, read by path in the assertions (what JSON.parse gives). */
type Json = ReturnType<typeof JSON.parse>;

const Pet = named('Pet', z.object({ id: z.number().int(), name: z.string().describe('What it answers to.') }));
const NewPet = named('NewPet', z.object({ name: z.string().min(1) }).strict());

const operations: OperationSpec[] = [
  {
    method: 'get', path: '/api/v1/pets', operationId: 'listPets', tags: ['Pets'], security: 'bearer', summary: 'List',
    params: { query: z.object({ limit: z.coerce.number().int().max(100).default(20), name: z.string().describe('Substring.').optional(), kind: z.enum(['cat', 'dog']) }) },
    responses: { 200: { description: 'A page.', body: z.object({ items: z.array(Pet) }) } },
    problems: [400, 401, 429],
  },
  {
    method: 'post', path: '/api/v1/pets', operationId: 'createPet', tags: ['Pets'], security: 'optional-bearer', summary: 'Create',
    params: { header: z.object({ 'Idempotency-Key': z.string().optional() }) },
    body: { schema: NewPet },
    responses: { 201: { description: 'Created.', body: Pet, headers: { Location: { description: 'The pet.' } } } },
    problems: [400],
  },
  {
    method: 'get', path: '/api/v1/pets/{id}', operationId: 'getPet', tags: ['Pets'], security: 'public', summary: 'One',
    params: { path: z.object({ id: z.string().regex(/^\d+$/).transform(Number) }) },
    responses: { 200: { description: 'The pet.', body: Pet } },
    problems: [404],
  },
];

describe('openApiDocument', () => {
  const doc = openApiDocument({ title: 'pets', version: '1', tags: [{ name: 'Pets' }], operations }) as Json;

  it('is OpenAPI 3.1 with every $ref resolving, named schemas as components wherever they are used', () => {
    expect(doc.openapi).toMatch(/^3\.1\./);
    expect(unresolvedRefs(doc)).toEqual([]);
    expect(Object.keys(doc.components.schemas).sort()).toEqual(['NewPet', 'Pet', 'Problem']);
    expect(doc.paths['/api/v1/pets'].get.responses['200'].content['application/json'].schema).toEqual({ type: 'object', properties: { items: { type: 'array', items: { $ref: '#/components/schemas/Pet' } } }, required: ['items'] });
    expect(doc.paths['/api/v1/pets'].post.requestBody).toEqual({ required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/NewPet' } } } });
    expect(doc.components.schemas.NewPet).toEqual({ type: 'object', properties: { name: { type: 'string', minLength: 1 } }, required: ['name'], additionalProperties: false });
    expect(doc.components.schemas.Pet.properties.name.description).toBe('What it answers to.');
  });

  it('turns the query, header and path schemas into parameters, as a client sends them', () => {
    expect(doc.paths['/api/v1/pets'].get.parameters).toEqual([
      { name: 'limit', in: 'query', required: false, schema: expect.objectContaining({ type: 'integer', maximum: 100, default: 20 }) },
      { name: 'name', in: 'query', required: false, description: 'Substring.', schema: { type: 'string' } },
      { name: 'kind', in: 'query', required: true, schema: { type: 'string', enum: ['cat', 'dog'] } },
    ]);
    expect(doc.paths['/api/v1/pets'].post.parameters).toEqual([{ name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string' } }]);
    expect(doc.paths['/api/v1/pets/{id}'].get.parameters).toEqual([{ name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^\\d+$' } }]);
  });

  it('answers problems as RFC 9457 problem+json, 429 with Retry-After, and maps the security', () => {
    const list = doc.paths['/api/v1/pets'].get;
    expect(list.responses['401'].content).toEqual({ 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } });
    expect(list.responses['429'].headers['Retry-After'].schema).toEqual({ type: 'integer', minimum: 0 });
    expect(list.security).toEqual([{ bearerAuth: [] }]);
    expect(doc.paths['/api/v1/pets'].post.security).toEqual([{}, { bearerAuth: [] }]);
    expect(doc.paths['/api/v1/pets/{id}'].get.security).toEqual([]);
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
  });

  it('refuses declaration mistakes: a path template without its parameter, a duplicate, two schemas with one name', () => {
    const one = operations[2]!;
    expect(() => openApiDocument({ title: 't', version: '1', operations: [{ ...one, params: {} }] })).toThrow(/templates \{id\}/);
    expect(() => openApiDocument({ title: 't', version: '1', operations: [one, { ...one, operationId: 'again' }] })).toThrow(/declared twice/);
    expect(() => openApiDocument({ title: 't', version: '1', operations: [one, { ...one, method: 'put' }] })).toThrow(/duplicate operationId/);
    const other = { ...one, method: 'put' as const, operationId: 'putPet', responses: { 200: { description: 'x', body: named('Pet', z.object({ other: z.boolean() })) } } };
    expect(() => openApiDocument({ title: 't', version: '1', operations: [one, other] })).toThrow(/two different schemas are named Pet/);
  });

  it('is served as JSON by serveOpenApi', async () => {
    const app = express();
    app.get('/openapi.json', serveOpenApi(doc));
    const res = await request(app).get('/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toEqual(doc);
  });
});

describe('mergeOpenApi', () => {
  const pets = openApiDocument({ title: 'pets', version: '1', tags: [{ name: 'Pets' }], operations });
  const owners = openApiDocument({
    title: 'owners', version: '1', tags: [{ name: 'Owners' }, { name: 'Internal' }],
    operations: [
      { method: 'get', path: '/api/v1/owners', operationId: 'listPets', tags: ['Owners'], security: 'bearer', summary: 'x', responses: { 200: { description: 'ok', body: named('Pet', z.object({ owner: z.string() })) } }, problems: [401] },
      { method: 'post', path: '/internal/purge', operationId: 'purge', tags: ['Internal'], security: 'public', summary: 'x', body: { schema: named('PurgeBody', z.object({ all: z.boolean() })) }, responses: { 204: { description: 'ok' } } },
    ],
  });
  const merged = mergeOpenApi({ openapi: '3.1.1', info: { title: 'all', version: '1' } }, [{ name: 'pets', document: pets }, { name: 'owners', document: owners }], {
    operation: ({ path, operation }) => (path.startsWith('/internal') ? undefined : operation),
  }) as Json;

  it('shares identical components, renames clashing ones with their references, and keeps operationIds unique', () => {
    expect(merged.paths['/api/v1/owners'].get.responses['200'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/owners_Pet' });
    expect(merged.components.schemas.owners_Pet.properties).toEqual({ owner: { type: 'string' } });
    expect(merged.components.schemas.Pet.properties.id).toBeDefined();
    expect(merged.paths['/api/v1/owners'].get.operationId).toBe('owners_listPets');
    expect(merged.paths['/api/v1/owners'].get.responses['401'].content['application/problem+json'].schema).toEqual({ $ref: '#/components/schemas/Problem' });
    expect(unresolvedRefs(merged)).toEqual([]);
  });

  it('drops what the filter drops, with the components and tags only it used', () => {
    expect(merged.paths['/internal/purge']).toBeUndefined();
    expect(merged.components.schemas.PurgeBody).toBeUndefined();
    expect(merged.tags.map((t: { name: string }) => t.name)).toEqual(['Pets', 'Owners']);
  });

  it('unresolvedRefs finds a reference to nothing', () => {
    expect(unresolvedRefs({ a: { $ref: '#/components/schemas/Nope' }, b: { $ref: '#/a' }, components: {} })).toEqual(['#/components/schemas/Nope']);
  });
});

describe('asyncApiDocument and contractRoutes', () => {
  const Adopted = defineEvent('pets.pet.adopted.v1', z.object({ owner: z.string() }).strict());
  const contract = { title: 'Pets events', version: '1.0.0', description: 'd', topic: 'pets.events', contractPath: '/contracts/pets', events: [Adopted], key: 'the pet id', descriptions: { 'pets.pet.adopted.v1': 'A pet found a home.' } };

  it('has one message per event type on the topic, whose references resolve', () => {
    const doc = asyncApiDocument(contract) as Json;
    expect(doc.asyncapi).toBe('3.0.0');
    expect(doc.channels.events.address).toBe('pets.events');
    expect(doc.components.messages['pets.pet.adopted.v1']).toMatchObject({ summary: 'A pet found a home.', payload: { $ref: '#/components/schemas/pets.pet.adopted.v1' } });
    expect(doc.components.schemas['pets.pet.adopted.v1'].schema.properties.data.properties.owner).toEqual({ type: 'string' });
    expect(unresolvedRefs(doc)).toEqual([]);
  });

  it('serves the document and the draft 2020-12 schema per type; an unknown type is a 404 problem', async () => {
    const app = express();
    app.use(contractRoutes(contract));
    finishApp(app, createLogger('test', 'silent'));
    expect((await request(app).get('/contracts/pets/asyncapi.json')).body.info.title).toBe('Pets events');
    const schema = await request(app).get('/contracts/pets/schemas/pets.pet.adopted.v1.json');
    expect(schema.headers['content-type']).toMatch(/^application\/schema\+json/);
    expect(JSON.parse(schema.text)).toMatchObject({ $schema: 'https://json-schema.org/draft/2020-12/schema', title: 'pets.pet.adopted.v1' });
    const missing = await request(app).get('/contracts/pets/schemas/pets.pet.lost.v1.json');
    expect(missing.status).toBe(404);
    expect(missing.headers['content-type']).toMatch(/application\/problem\+json/);
  });
});
