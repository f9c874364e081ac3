import { context, propagation, ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { getRPCMetadata, RPCType, setRPCMetadata, W3CTraceContextPropagator } from '@opentelemetry/core';
import { setRequestRoute, traceHeaders } from './index';

const span = trace.wrapSpanContext({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: TraceFlags.SAMPLED });

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
});
afterAll(() => {
  propagation.disable();
  context.disable();
});

describe('setRequestRoute', () => {
  it('names the route of the HTTP request being served (the span name and http.route come from it)', () => {
    const ctx = setRPCMetadata(trace.setSpan(ROOT_CONTEXT, span), { type: RPCType.HTTP, span });
    context.with(ctx, () => setRequestRoute('/api/v1/students/*'));
    expect(getRPCMetadata(ctx)?.route).toBe('/api/v1/students/*');
  });

  it('does nothing outside a served request', () => {
    expect(() => setRequestRoute('/anything')).not.toThrow();
  });
});

describe('traceHeaders', () => {
  it('gives the active span as a W3C traceparent, and nothing without one', () => {
    expect(context.with(trace.setSpan(ROOT_CONTEXT, span), traceHeaders)).toEqual({ traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' });
    expect(traceHeaders()).toEqual({});
  });
});
