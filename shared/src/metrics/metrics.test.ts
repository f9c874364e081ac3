import express from 'express';
import request from 'supertest';
import { createMetrics } from './index';

describe('http metrics', () => {
  const metrics = createMetrics('test');
  const app = express();
  app.use(metrics.httpMiddleware);
  app.get('/metrics', metrics.handler);
  app.get('/things/:id', (_req, res) => void res.json({}));
  // An app that routes by its own table (the gateway's policy) names the route itself.
  app.use('/api', (_req, res) => {
    res.locals.route = '/api/v1/students/*';
    res.status(204).end();
  });
  app.use((_req, res) => void res.status(404).end());

  it('labels requests with the matched route pattern, the route the app named, or "unmatched"', async () => {
    await request(app).get('/things/42');
    await request(app).get('/api/v1/students/s-1');
    await request(app).get('/nowhere/s-2');
    const text = (await request(app).get('/metrics')).text;
    expect(text).toMatch(/http_request_duration_seconds_count\{[^}]*route="\/things\/:id"[^}]*status="200"[^}]*\} 1/);
    expect(text).toMatch(/http_request_duration_seconds_count\{[^}]*route="\/api\/v1\/students\/\*"[^}]*status="204"[^}]*\} 1/);
    expect(text).toMatch(/http_request_duration_seconds_count\{[^}]*route="unmatched"[^}]*status="404"[^}]*\} 1/);
    expect(text).not.toMatch(/s-1|s-2/);
  });
});
