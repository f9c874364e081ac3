/**
 * API documents generated from the zod schemas the routes validate with: each service declares its
 * operations next to its routes and serves `openApiDocument(...)` at `GET /openapi.json`
 * (`serveOpenApi`); the gateway merges the services' documents (`mergeOpenApi`) into the one public
 * document behind Swagger UI. A service that publishes events serves its topic's AsyncAPI document
 * the same way (`contractRoutes`), and the gateway passes it on at /docs/asyncapi.
 */
export * from './schema';
export * from './document';
export * from './merge';
export * from './asyncapi';
