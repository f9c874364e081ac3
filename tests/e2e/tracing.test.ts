import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { join } from 'node:path';
import { backboneContext, eventually, testEndpoints, unique, type BackboneContext } from '../support/backbone';

const root = join(__dirname, '..', '..');
let ctx: BackboneContext;
let child: ChildProcess;

interface ZipkinSpan {
  traceId: string;
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
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
  await ctx.close();
});

it('follows one request through HTTP, the Kafka produce and the projector consume as one trace in Zipkin', async () => {
  const { zipkinUrl } = testEndpoints();
  child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', join(root, 'tests', 'fixtures', 'traced-service.ts'), ctx.db.databaseName, ctx.topic, unique('traced')], {
    cwd: root,
    env: {
      ...process.env,
      OTEL_TRACES_EXPORTER: 'zipkin',
      OTEL_EXPORTER_ZIPKIN_ENDPOINT: `${zipkinUrl}/api/v2/spans`,
      OTEL_SERVICE_NAME: 'trace-fixture',
      OTEL_BSP_SCHEDULE_DELAY: '100',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`fixture exited with ${code}`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      const match = /listening (\d+)/.exec(chunk.toString());
      if (match) resolve(Number(match[1]));
    });
  });

  const traceId = randomBytes(16).toString('hex');
  const res = await fetch(`http://127.0.0.1:${port}/samples/traced-1`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` },
    body: JSON.stringify({ name: 'followed' }),
  });
  expect(res.status).toBe(201);
  await eventually(async () => (await ctx.db.collection('samples').findOne({ _id: 'traced-1' as never })) ?? undefined);

  const spans = await eventually(async () => {
    const r = await fetch(`${zipkinUrl}/api/v2/trace/${traceId}`);
    if (r.status !== 200) return undefined;
    const found = (await r.json()) as ZipkinSpan[];
    const kinds = new Set(found.map((s) => s.kind));
    return kinds.has('SERVER') && kinds.has('PRODUCER') && kinds.has('CONSUMER') ? found : undefined;
  }, 30_000, 'server, producer and consumer spans in one Zipkin trace');

  const server = spans.find((s) => s.kind === 'SERVER')!;
  const producer = spans.find((s) => s.kind === 'PRODUCER')!;
  const consumer = spans.find((s) => s.kind === 'CONSUMER')!;
  expect(server.localEndpoint?.serviceName).toBe('trace-fixture');
  expect(producer.name).toContain(ctx.topic);
  expect(consumer.parentId).toBe(producer.id);
  expect(spans.every((s) => s.traceId === traceId)).toBe(true);
});
