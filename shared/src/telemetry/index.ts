import type { IncomingMessage, ServerResponse } from 'node:http';
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import { getRPCMetadata, RPCType, setRPCMetadata, type RPCMetadata } from '@opentelemetry/core';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  ATTR_CLIENT_ADDRESS, ATTR_HTTP_REQUEST_METHOD, ATTR_HTTP_RESPONSE_STATUS_CODE, ATTR_HTTP_ROUTE,
  ATTR_NETWORK_PROTOCOL_VERSION, ATTR_SERVICE_NAME, ATTR_URL_PATH, ATTR_USER_AGENT_ORIGINAL,
} from '@opentelemetry/semantic-conventions';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { ExpressInstrumentation, ExpressLayerType } from '@opentelemetry/instrumentation-express';
import { MongoDBInstrumentation } from '@opentelemetry/instrumentation-mongodb';
import { KafkaJsInstrumentation } from '@opentelemetry/instrumentation-kafkajs';

let sdk: NodeSDK | undefined;
let appServerSpans = false;

export interface TelemetryOptions {
  /**
   * Spans for express routes and request handlers (default on). The gateway turns them off: its
   * handlers are middleware, it names its server spans after the policy rule itself, and the
   * instrumentation wraps every layer of every request (a tenth of the gateway's CPU per request).
   */
  express?: boolean;
  /**
   * Client spans for outgoing node:http requests (default on). The gateway turns them off: its proxy
   * passes the request's trace context on itself (`traceHeaders`), so the service's server span is
   * the child of the gateway's, without a client span and its listener wrapping in between.
   */
  outgoingHttp?: boolean;
  /**
   * Who makes the server span of an incoming request: the http instrumentation (default), or the app
   * itself (`serverSpans()`, first middleware of `createHttpApp`). The gateway makes its own: the
   * instrumentation's span carries a dozen attributes worked out from the request and the response,
   * and it binds every listener later added to the request and the response (http-proxy adds many)
   * to the span's context; together a fifth of the gateway's CPU per request.
   */
  incomingHttp?: 'instrumentation' | 'app';
}

/** Health and metrics probes: not traced, and not in the access log. */
export const isProbe = (url: string | undefined): boolean => (url ?? '').startsWith('/health') || url === '/metrics';

/**
 * Starts the OpenTelemetry SDK. Must run before express, mongodb or kafkajs are first required
 * (each service's instrumentation.ts is loaded with `node --require`). The exporter is chosen by
 * the standard variables: OTEL_TRACES_EXPORTER (zipkin | otlp | console | none),
 * OTEL_EXPORTER_ZIPKIN_ENDPOINT, OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_SERVICE_NAME.
 */
export function startTelemetry(defaultServiceName: string, options: TelemetryOptions = {}): NodeSDK | undefined {
  if (sdk || process.env.OTEL_SDK_DISABLED === 'true') return sdk;
  // Without an explicit exporter the SDK would try OTLP on localhost:4318; stay quiet instead.
  process.env.OTEL_TRACES_EXPORTER ??= 'none';
  process.env.OTEL_METRICS_EXPORTER ??= 'none';
  process.env.OTEL_LOGS_EXPORTER ??= 'none';
  appServerSpans = options.incomingHttp === 'app';
  const http = !appServerSpans || options.outgoingHttp !== false;
  sdk = new NodeSDK({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: process.env.OTEL_SERVICE_NAME ?? defaultServiceName }),
    instrumentations: [
      ...(http ? [new HttpInstrumentation({
        ignoreIncomingRequestHook: (req) => isProbe(req.url),
        disableIncomingRequestInstrumentation: appServerSpans,
        disableOutgoingRequestInstrumentation: options.outgoingHttp === false,
      })] : []),
      // Route and handler spans only: one span per middleware (helmet, request id, ...) is noise.
      ...(options.express === false ? [] : [new ExpressInstrumentation({ ignoreLayersType: [ExpressLayerType.MIDDLEWARE] })]),
      new MongoDBInstrumentation({ enhancedDatabaseReporting: false }),
      new KafkaJsInstrumentation(),
      // No pino instrumentation: createLogger's mixin already puts trace_id and span_id on every line,
      // and OpenTelemetry's log sending (a second stream behind every logger) has no exporter here.
    ],
  });
  sdk.start();
  return sdk;
}

/** Flushes pending spans; part of graceful shutdown. */
export async function stopTelemetry(): Promise<void> {
  await sdk?.shutdown();
  sdk = undefined;
  appServerSpans = false;
}

type Middleware = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

/**
 * The server span of each request, where the app makes it (`incomingHttp: 'app'`; otherwise
 * undefined, and the http instrumentation does). The span continues the client's W3C trace context,
 * is named `<METHOD> <route>` once the app names the route (`setRequestRoute`), carries the stable
 * HTTP semantic conventions (method, path without the query, route, status, client, user agent) and
 * ends when the response closes, as an error at 5xx or when the client went away first. The rest of
 * the request runs in the span's context; events of the request and the response are not bound to
 * it, so a listener that must log or trace on the right request (the access log) captures the
 * context itself: a response finishing on a kept-alive connection to a service runs in the context
 * of whichever request opened that connection.
 */
export function serverSpans(): Middleware | undefined {
  return sdk && appServerSpans ? serverSpanMiddleware(trace.getTracer('@sms/shared/telemetry')) : undefined;
}

/** `serverSpans` with a given tracer. */
export function serverSpanMiddleware(tracer: Tracer): Middleware {
  return (req, res, next) => {
    if (isProbe(req.url)) return next();
    const method = req.method ?? 'GET';
    const parent = propagation.extract(ROOT_CONTEXT, req.headers);
    const span = tracer.startSpan(method, {
      kind: SpanKind.SERVER,
      attributes: {
        [ATTR_HTTP_REQUEST_METHOD]: method,
        [ATTR_URL_PATH]: (req.url ?? '/').split('?', 1)[0],
        [ATTR_NETWORK_PROTOCOL_VERSION]: req.httpVersion,
        ...(req.socket.remoteAddress ? { [ATTR_CLIENT_ADDRESS]: req.socket.remoteAddress } : {}),
        ...(req.headers['user-agent'] ? { [ATTR_USER_AGENT_ORIGINAL]: req.headers['user-agent'] } : {}),
      },
    }, parent);
    const metadata: RPCMetadata = { type: RPCType.HTTP, span };
    res.once('close', () => {
      if (metadata.route) {
        span.updateName(`${method} ${metadata.route}`);
        span.setAttribute(ATTR_HTTP_ROUTE, metadata.route);
      }
      if (res.headersSent) span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      else if (!res.writableFinished) span.setStatus({ code: SpanStatusCode.ERROR, message: 'client went away before the response was sent' });
      span.end();
    });
    context.with(setRPCMetadata(trace.setSpan(parent, span), metadata), next);
  };
}

/**
 * The route a request matched, where the app resolves routes itself (the gateway's policy table):
 * the request's server span is named `<METHOD> <route>` and carries `http.route`, as express's
 * instrumentation would do for an express route. Nothing happens outside a traced request.
 */
export function setRequestRoute(route: string): void {
  const metadata = getRPCMetadata(context.active());
  if (metadata?.type === RPCType.HTTP) metadata.route = route;
}

/** The active trace context as W3C headers (`traceparent`, `tracestate`) for a call made without instrumentation. */
export function traceHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  propagation.inject(context.active(), headers);
  return headers;
}
