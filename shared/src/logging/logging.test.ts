import { Writable } from 'node:stream';
import { context, ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { createLogger } from './index';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(JSON.parse(String(chunk))), done()) });
  return { lines, logger: createLogger('students', 'info', sink) };
}

describe('createLogger', () => {
  const manager = new AsyncLocalStorageContextManager().enable();
  beforeAll(() => context.setGlobalContextManager(manager));
  afterAll(() => context.disable());

  it('writes JSON lines with the service, a level label and an ISO time', () => {
    const { lines, logger } = capture();
    logger.info({ eventId: 'e-1' }, 'projected');
    expect(lines[0]).toMatchObject({ level: 'info', service: 'students', eventId: 'e-1', msg: 'projected' });
    expect(String(lines[0]?.time)).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('adds the active trace and span ids', () => {
    const { lines, logger } = capture();
    const span = trace.wrapSpanContext({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED });
    context.with(trace.setSpan(ROOT_CONTEXT, span), () => logger.info('inside a span'));
    logger.info('outside');
    expect(lines[0]).toMatchObject({ trace_id: '0af7651916cd43dd8448eb211c80319c', span_id: 'b7ad6b7169203331' });
    expect(lines[1]).not.toHaveProperty('trace_id');
  });

  it('redacts passwords, tokens and hashes wherever they sit', () => {
    const { lines, logger } = capture();
    logger.info({ password: 'hunter2', body: { refreshToken: 'r-1', passwordHash: '$2b$12$x' }, token: 't' }, 'login');
    const text = JSON.stringify(lines[0]);
    expect(text).not.toMatch(/hunter2|r-1|\$2b\$12|"t"/);
    expect(text).toContain('[redacted]');
  });
});
