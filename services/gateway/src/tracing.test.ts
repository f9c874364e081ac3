import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { context, propagation, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import express from 'express';
import { accessLog } from '@sms/shared/http';
import { createLogger } from '@sms/shared/logging';
import { Registry } from '@sms/shared/metrics';
import { serverSpanMiddleware, setRequestRoute } from '@sms/shared/telemetry';
import { createBreakers } from './breaker';
import { proxyTo } from './proxy';

/**
 * The gateway's own server spans (shared/telemetry `serverSpans`) with its access log and proxy: one
 * span per request continuing the client's trace and named after the route, the service called as
 * its child, and each access line on its own request's trace, even when the response arrives on a
 * kept-alive connection to the service that an earlier request opened.
 */
const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const lines: Array<Record<string, unknown>> = [];
const sink = new Writable({ write(chunk: Buffer, _enc, done) { lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>); done(); } });
let upstream: Server;
let seen: IncomingHttpHeaders[] = [];
let connections = 0;
let gateway: Server;
let base: string;

beforeAll(async () => {
  provider.register();
  upstream = createServer((req, res) => {
    seen.push(req.headers);
    if (req.url === '/reset') return void req.socket.destroy();
    res.writeHead(req.url === '/fail' ? 503 : 200, { 'content-type': 'application/json' });
    res.end('{}');
  });
  upstream.on('connection', () => { connections += 1; });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const target = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  const breakers = createBreakers(['students'], { errorThresholdPercent: 90, volumeThreshold: 50, windowMs: 10_000, resetTimeoutMs: 1_000 }, { registry: new Registry() });
  const logger = createLogger('gateway', 'info', sink);
  const app = express();
  app.use(serverSpanMiddleware(trace.getTracer('test')));
  app.use(accessLog(logger));
  app.use((_req, _res, next) => { setRequestRoute('/things/*'); next(); });
  app.use(proxyTo('students', target, 2_000, logger, breakers.students));
  gateway = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => gateway.once('listening', resolve));
  base = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await provider.shutdown();
  trace.disable();
  context.disable();
  propagation.disable();
  gateway.closeAllConnections();
  await new Promise((resolve) => gateway.close(resolve));
  upstream.closeAllConnections();
  await new Promise((resolve) => upstream.close(resolve));
});
beforeEach(() => {
  exporter.reset();
  lines.length = 0;
  seen = [];
});

const traceparent = (traceId: string, spanId: string) => `00-${traceId}-${spanId}-01`;
/** A kept-alive client, as real ones are (the proxy forwards a client's `Connection: close` to the service). */
const get = async (path: string, headers: Record<string, string> = {}) => {
  const res = await fetch(`${base}${path}`, { headers });
  await res.arrayBuffer();
  return res;
};

it('continues the client\'s trace in one server span named after the route, the parent of the service\'s', async () => {
  const [traceId, clientSpan] = ['4bf92f3577b34da6a3ce929d0e0e4736', '00f067aa0ba902b7'];
  expect((await get('/things/1?secret=x', { traceparent: traceparent(traceId, clientSpan) })).status).toBe(200);
  const [span] = exporter.getFinishedSpans();
  expect(span).toBeDefined();
  expect(span!.name).toBe('GET /things/*');
  expect(span!.spanContext().traceId).toBe(traceId);
  expect(span!.parentSpanContext?.spanId).toBe(clientSpan);
  expect(span!.attributes).toMatchObject({ 'http.request.method': 'GET', 'url.path': '/things/1', 'http.route': '/things/*', 'http.response.status_code': 200 });
  expect(seen[0]?.traceparent).toBe(traceparent(traceId, span!.spanContext().spanId));
});

it('marks a 5xx answer as an error', async () => {
  expect((await get('/fail')).status).toBe(503);
  expect(exporter.getFinishedSpans()[0]?.status.code).toBe(2);
});

it('writes each access line on its own request\'s trace, also over a connection another request opened', async () => {
  const before = connections;
  const traces = ['0af7651916cd43dd8448eb211c80319c', '1af7651916cd43dd8448eb211c80319d', '2af7651916cd43dd8448eb211c80319e'];
  for (const traceId of traces) {
    expect((await get('/things/2', { traceparent: traceparent(traceId, 'b7ad6b7169203331') })).status).toBe(200);
  }
  expect(connections - before).toBeLessThanOrEqual(1);
  expect(lines.map((l) => l.trace_id)).toEqual(traces);
  const spans = exporter.getFinishedSpans();
  expect(lines.map((l) => l.span_id)).toEqual(spans.map((s) => s.spanContext().spanId));
  expect(lines[0]).toMatchObject({ msg: 'request completed', res: { statusCode: 200 } });
});

it('logs a proxy error on its own request\'s trace, also when the connection another request opened fails', async () => {
  const [opener, failing] = ['3af7651916cd43dd8448eb211c80319f', '4af7651916cd43dd8448eb211c80319a'];
  expect((await get('/things/3', { traceparent: traceparent(opener, 'b7ad6b7169203331') })).status).toBe(200);
  const before = connections;
  expect((await get('/reset', { traceparent: traceparent(failing, 'b7ad6b7169203331') })).status).toBe(504);
  expect(connections).toBe(before);
  const error = lines.find((l) => l.msg === 'proxy error');
  expect(error).toMatchObject({ trace_id: failing, service: 'students' });
});
