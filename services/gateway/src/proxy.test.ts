import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { context, propagation, trace, TraceFlags } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import express from 'express';
import request from 'supertest';
import { createLogger } from '@sms/shared/logging';
import { Registry } from '@sms/shared/metrics';
import { createBreakers } from './breaker';
import { proxyTo } from './proxy';

/**
 * The proxy passes the trace context of the gateway's own server span on to the service (the gateway
 * makes no client span for it), in place of whatever `traceparent` the client sent.
 */
const gatewaySpan = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: TraceFlags.SAMPLED };
let server: Server;
let seen: IncomingHttpHeaders | undefined;
let app: express.Express;
const manager = new AsyncLocalStorageContextManager();

beforeAll(async () => {
  context.setGlobalContextManager(manager.enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  server = createServer((req, res) => {
    seen = req.headers;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const target = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const breakers = createBreakers(['students'], { errorThresholdPercent: 50, volumeThreshold: 3, windowMs: 10_000, resetTimeoutMs: 1_000 }, { registry: new Registry() });
  const proxy = proxyTo('students', target, 2_000, createLogger('gateway', 'silent'), breakers.students);
  app = express();
  // As the http instrumentation does for each request: its server span is the active one.
  app.use('/traced', (req, res, next) => context.with(trace.setSpan(context.active(), trace.wrapSpanContext(gatewaySpan)), () => proxy(req, res, next)));
  app.use('/untraced', proxy);
});
afterAll(async () => {
  propagation.disable();
  context.disable();
  await new Promise((resolve) => server.close(resolve));
});

it('sends the service the trace context of the active span, replacing the client\'s', async () => {
  const client = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
  expect((await request(app).get('/traced/x').set('traceparent', client)).status).toBe(200);
  expect(seen?.traceparent).toBe(`00-${gatewaySpan.traceId}-${gatewaySpan.spanId}-01`);
});

it('passes the client\'s trace context through where no span is active (tracing off)', async () => {
  const client = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
  expect((await request(app).get('/untraced/x').set('traceparent', client)).status).toBe(200);
  expect(seen?.traceparent).toBe(client);
});
