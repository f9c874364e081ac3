import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { join } from 'node:path';
import { backboneContext, eventually, testEndpoints, unique, type BackboneContext } from '../support/backbone';

const root = join(__dirname, '..', '..');
let ctx: BackboneContext;
const children: ChildProcess[] = [];

interface ZipkinSpan {
  traceId: string;
  tags?: Record<string, string>;
  id: string;
  parentId?: string;
  kind?: 'SERVER' | 'CLIENT' | 'PRODUCER' | 'CONSUMER';
  name: string;
  localEndpoint?: { serviceName?: string };
}

beforeAll(async () => {
  ctx = await backboneContext('trace');
});
afterAll(async () => {
  await Promise.all(children.filter((c) => c.exitCode === null).map(async (c) => {
    c.kill('SIGTERM');
    await once(c, 'exit');
  }));
  await ctx.close();
});

/** A fixture process exporting to Zipkin as `serviceName`; resolves with the port it listens on. */
async function startFixture(fixture: string, args: string[], serviceName: string): Promise<number> {
  const { zipkinUrl } = testEndpoints();
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', join(root, 'tests', 'fixtures', fixture), ...args], {
    cwd: root,
    env: {
      ...process.env,
      OTEL_TRACES_EXPORTER: 'zipkin',
      OTEL_EXPORTER_ZIPKIN_ENDPOINT: `${zipkinUrl}/api/v2/spans`,
      OTEL_SERVICE_NAME: serviceName,
      OTEL_BSP_SCHEDULE_DELAY: '100',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  return new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${fixture} exited with ${code}`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      const match = /listening (\d+)/.exec(chunk.toString());
      if (match) resolve(Number(match[1]));
    });
  });
}

it('follows one request through the gateway, the service, the Kafka produce and the projector consume as one trace in Zipkin', async () => {
  const { zipkinUrl } = testEndpoints();
  const service = await startFixture('traced-service.ts', [ctx.db.databaseName, ctx.topic, unique('traced')], 'trace-fixture');
  const port = await startFixture('traced-gateway.ts', [`http://127.0.0.1:${service}`], 'gateway-fixture');

  const traceId = randomBytes(16).toString('hex');
  const clientSpan = randomBytes(8).toString('hex');
  const res = await fetch(`http://127.0.0.1:${port}/samples/traced-1`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', traceparent: `00-${traceId}-${clientSpan}-01` },
    body: JSON.stringify({ name: 'followed' }),
  });
  expect(res.status).toBe(201);
  await eventually(async () => (await ctx.db.collection('samples').findOne({ _id: 'traced-1' as never })) ?? undefined);

  const spans = await eventually(async () => {
    const r = await fetch(`${zipkinUrl}/api/v2/trace/${traceId}`);
    if (r.status !== 200) return undefined;
    const found = (await r.json()) as ZipkinSpan[];
    const servers = found.filter((s) => s.kind === 'SERVER').length;
    const kinds = new Set(found.map((s) => s.kind));
    return servers === 2 && kinds.has('PRODUCER') && kinds.has('CONSUMER') ? found : undefined;
  }, 30_000, 'gateway and service server spans, producer and consumer spans in one Zipkin trace');

  const gateway = spans.find((s) => s.kind === 'SERVER' && s.localEndpoint?.serviceName === 'gateway-fixture')!;
  const server = spans.find((s) => s.kind === 'SERVER' && s.localEndpoint?.serviceName === 'trace-fixture')!;
  const producer = spans.find((s) => s.kind === 'PRODUCER')!;
  const consumer = spans.find((s) => s.kind === 'CONSUMER')!;
  // The gateway's own span continues the client's trace, is named after its route, and is the service's parent.
  expect(gateway.parentId).toBe(clientSpan);
  expect(gateway.name).toBe('post /samples/*');
  expect(gateway.tags).toMatchObject({ 'http.route': '/samples/*', 'http.response.status_code': '201' });
  expect(server.parentId).toBe(gateway.id);
  expect(producer.name).toContain(ctx.topic);
  expect(consumer.parentId).toBe(producer.id);
  expect(spans.every((s) => s.traceId === traceId)).toBe(true);
});
