import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import express from 'express';
import { createLogger } from '@sms/shared/logging';
import { Registry } from '@sms/shared/metrics';
import { CircuitOpenError, createBreakers, UpstreamBreaker, type BreakerSettings } from './breaker';
import { proxyTo } from './proxy';

/** A real upstream whose answer the test chooses; it counts the requests that reach it. */
interface Upstream {
  url: string;
  hits: number;
  answer: (req: IncomingMessage, res: ServerResponse) => void;
  close(): Promise<void>;
}

async function upstream(answer: Upstream['answer']): Promise<Upstream> {
  const state: Upstream = { url: '', hits: 0, answer, close: async () => undefined };
  const server: Server = createServer((req, res) => {
    state.hits++;
    state.answer(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () => new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
  return state;
}

const status = (code: number) => (_req: IncomingMessage, res: ServerResponse) => {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ status: code }));
};

/** A port nothing listens on: a server bound to port 0, then closed. */
async function refusedUrl(): Promise<string> {
  const closed = await upstream(status(200));
  await closed.close();
  return closed.url;
}

const settings = (overrides: Partial<BreakerSettings> = {}): BreakerSettings => ({
  errorThresholdPercent: 50,
  volumeThreshold: 3,
  windowMs: 10_000,
  resetTimeoutMs: 150,
  ...overrides,
});

/** Polls (never a fixed wait) until the breaker reaches `state`. */
async function until(breaker: UpstreamBreaker, state: UpstreamBreaker['state']): Promise<void> {
  for (let i = 0; i < 400 && breaker.state !== state; i++) await sleep(10);
  expect(breaker.state).toBe(state);
}

const caught = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e);

describe('UpstreamBreaker', () => {
  const open: Upstream[] = [];
  const breakers: UpstreamBreaker[] = [];
  const make = (name: string, s = settings()) => {
    const b = new UpstreamBreaker(name, s);
    breakers.push(b);
    return b;
  };
  const serve = async (answer: Upstream['answer']) => {
    const u = await upstream(answer);
    open.push(u);
    return u;
  };
  afterEach(async () => {
    for (const b of breakers.splice(0)) b.shutdown();
    await Promise.all(open.splice(0).map((u) => u.close()));
  });

  describe('when the service keeps answering 503', () => {
    it('opens after the volume threshold and then refuses without calling the service', async () => {
      const service = await serve(status(503));
      const breaker = make('students', settings({ resetTimeoutMs: 60_000 }));
      for (let i = 0; i < 3; i++) expect((await breaker.fetch(service.url)).status).toBe(503);
      expect(breaker.state).toBe('open');
      const err = await caught(breaker.fetch(service.url));
      expect(err).toBeInstanceOf(CircuitOpenError);
      expect((err as CircuitOpenError).status).toBe(503);
      expect((err as CircuitOpenError).code).toBe('circuit_open');
      expect((err as CircuitOpenError).retryAfterSeconds).toBeGreaterThanOrEqual(59);
      expect((err as CircuitOpenError).retryAfterSeconds).toBeLessThanOrEqual(60);
      expect(service.hits).toBe(3);
    });

    it('half-opens after the reset timeout; a failed probe opens it again, a good one closes it', async () => {
      const service = await serve(status(503));
      const breaker = make('students');
      for (let i = 0; i < 3; i++) await breaker.fetch(service.url);
      await until(breaker, 'half-open');
      expect((await breaker.fetch(service.url)).status).toBe(503);
      expect(service.hits).toBe(4);
      expect(breaker.state).toBe('open');
      expect(await caught(breaker.fetch(service.url))).toBeInstanceOf(CircuitOpenError);
      expect(service.hits).toBe(4);

      service.answer = status(200);
      await until(breaker, 'half-open');
      expect((await breaker.fetch(service.url)).status).toBe(200);
      expect(breaker.state).toBe('closed');
      expect((await breaker.fetch(service.url)).status).toBe(200);
      expect(service.hits).toBe(6);
    });

    it('lets a single probe through while half-open', async () => {
      const service = await serve(status(503));
      const breaker = make('students');
      for (let i = 0; i < 3; i++) await breaker.fetch(service.url);
      await until(breaker, 'half-open');
      let release: () => void = () => undefined;
      service.answer = (_req, res) => {
        release = () => status(200)(_req, res);
      };
      const probe = breaker.fetch(service.url);
      for (let i = 0; i < 200 && service.hits < 4; i++) await sleep(5);
      expect(service.hits).toBe(4);
      expect(await caught(breaker.fetch(service.url))).toBeInstanceOf(CircuitOpenError);
      release();
      expect((await probe).status).toBe(200);
      expect(breaker.state).toBe('closed');
      expect(service.hits).toBe(4);
    });
  });

  describe('when the service answers 4xx or 500', () => {
    it('stays closed: an answer about the request is no unavailability', async () => {
      const service = await serve(status(404));
      const breaker = make('students');
      for (let i = 0; i < 5; i++) expect((await breaker.fetch(service.url)).status).toBe(404);
      service.answer = status(500);
      for (let i = 0; i < 5; i++) expect((await breaker.fetch(service.url)).status).toBe(500);
      expect(breaker.state).toBe('closed');
      expect(service.hits).toBe(10);
    });
  });

  describe('when the service refuses connections', () => {
    it('rethrows the network error and opens after the threshold', async () => {
      const breaker = make('auth', settings({ resetTimeoutMs: 60_000 }));
      const url = await refusedUrl();
      for (let i = 0; i < 3; i++) expect(await caught(breaker.fetch(url))).toMatchObject({ name: 'TypeError', message: 'fetch failed' });
      expect(await caught(breaker.fetch(url))).toBeInstanceOf(CircuitOpenError);
    });
  });

  describe('when some calls fail but fewer than the threshold percentage', () => {
    it('stays closed', async () => {
      let n = 0;
      const service = await serve((req, res) => status(n++ % 3 === 0 ? 503 : 200)(req, res));
      const breaker = make('students', settings({ volumeThreshold: 3, errorThresholdPercent: 50 }));
      for (let i = 0; i < 9; i++) await breaker.fetch(service.url);
      expect(breaker.state).toBe('closed');
      expect(service.hits).toBe(9);
    });
  });
});

describe('createBreakers', () => {
  it('shows each breaker state as a gauge, counts refusals and logs the changes', async () => {
    const registry = new Registry();
    const lines: string[] = [];
    const logger = { info: (_o: object, msg: string) => void lines.push(`info ${msg}`), warn: (_o: object, msg: string) => void lines.push(`warn ${msg}`) };
    const breakers = createBreakers(['auth', 'students'], settings(), { registry, logger: logger as never });
    const gauge = async () => Object.fromEntries((await registry.getSingleMetric('gateway_circuit_state')!.get()).values.map((v) => [v.labels.upstream, v.value]));
    const rejected = async () => (await registry.getSingleMetric('gateway_circuit_rejected_total')!.get()).values.find((v) => v.labels.upstream === 'students')?.value;
    const service = await upstream(status(503));
    try {
      expect(await gauge()).toEqual({ auth: 0, students: 0 });
      for (let i = 0; i < 3; i++) await breakers.students.fetch(service.url);
      expect(await gauge()).toEqual({ auth: 0, students: 2 });
      await caught(breakers.students.fetch(service.url));
      expect(await rejected()).toBe(1);
      await until(breakers.students, 'half-open');
      expect(await gauge()).toEqual({ auth: 0, students: 1 });
      service.answer = status(200);
      await breakers.students.fetch(service.url);
      expect(await gauge()).toEqual({ auth: 0, students: 0 });
      expect(lines).toEqual([
        expect.stringMatching(/^warn circuit breaker of students opened/),
        expect.stringMatching(/^info circuit breaker of students half-open/),
        expect.stringMatching(/^info circuit breaker of students closed/),
      ]);
    } finally {
      breakers.auth.shutdown();
      breakers.students.shutdown();
      await service.close();
    }
  });
});

describe('proxyTo with a breaker', () => {
  const logger = createLogger('test', 'silent');
  let gateway: Server;
  let gatewayUrl: string;
  let service: Upstream;
  let breaker: UpstreamBreaker;

  const start = async (target: string, timeoutMs = 5_000) => {
    breaker = new UpstreamBreaker('students', settings({ resetTimeoutMs: 60_000 }));
    const app = express();
    app.use(proxyTo('students', target, timeoutMs, logger, breaker));
    gateway = createServer(app);
    await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
    gatewayUrl = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;
  };
  afterEach(async () => {
    breaker.shutdown();
    gateway.closeAllConnections();
    await new Promise((resolve) => gateway.close(resolve));
    await service?.close();
  });

  it('passes answers through, 4xx included, without opening', async () => {
    service = await upstream(status(404));
    await start(service.url);
    for (let i = 0; i < 5; i++) expect((await fetch(`${gatewayUrl}/api/v1/students/1`)).status).toBe(404);
    expect(breaker.state).toBe('closed');
    expect(service.hits).toBe(5);
  });

  it('after repeated 503s answers 503 circuit_open with Retry-After, without calling the service', async () => {
    service = await upstream(status(503));
    await start(service.url);
    for (let i = 0; i < 3; i++) expect((await fetch(`${gatewayUrl}/api/v1/students/1`)).status).toBe(503);
    const res = await fetch(`${gatewayUrl}/api/v1/students/1`);
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(59);
    const body = (await res.json()) as { code: string; status: number; instance: string };
    expect(body).toMatchObject({ code: 'circuit_open', status: 503, instance: '/api/v1/students/1' });
    expect(service.hits).toBe(3);
  });

  it('counts refused connections (503 unavailable) and opens', async () => {
    service = await upstream(status(200));
    await start(await refusedUrl());
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${gatewayUrl}/x`);
      expect(res.status).toBe(503);
      expect(((await res.json()) as { detail: string }).detail).toBe('students is unavailable');
    }
    const res = await fetch(`${gatewayUrl}/x`);
    expect(((await res.json()) as { code: string }).code).toBe('circuit_open');
  });

  it('answers a body the client never finished with 408, and does not count it against the service', async () => {
    // A real service: answers once the whole body is in.
    service = await upstream((req, res) => {
      req.resume();
      req.on('end', () => status(200)(req, res));
    });
    await start(service.url, 100);
    const truncated = () => new Promise<string>((resolve, reject) => {
      const socket = connect(Number(new URL(gatewayUrl).port), '127.0.0.1');
      let answer = '';
      socket.on('data', (chunk) => (answer += chunk.toString()));
      socket.on('close', () => resolve(answer));
      socket.on('error', reject);
      socket.write('POST /api/v1/students HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n{"name":"ab"');
    });
    for (let i = 0; i < 4; i++) {
      const answer = await truncated();
      expect(answer).toMatch(/^HTTP\/1\.1 408 /);
      expect(answer).toContain('"code":"request_timeout"');
    }
    expect(breaker.state).toBe('closed');
    expect((await fetch(`${gatewayUrl}/api/v1/students`, { method: 'POST', body: '{}' })).status).toBe(200);
  });

  it('counts timeouts (504) and opens', async () => {
    // Never answers; the connections are dropped when the test closes the server.
    service = await upstream(() => undefined);
    await start(service.url, 100);
    for (let i = 0; i < 3; i++) expect((await fetch(`${gatewayUrl}/x`)).status).toBe(504);
    const res = await fetch(`${gatewayUrl}/x`);
    expect(res.status).toBe(503);
    expect(((await res.json()) as { code: string }).code).toBe('circuit_open');
    expect(service.hits).toBe(3);
  });
});
