import { context, propagation } from '@opentelemetry/api';
import { getRPCMetadata, RPCType } from '@opentelemetry/core';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { ExpressInstrumentation, ExpressLayerType } from '@opentelemetry/instrumentation-express';
import { MongoDBInstrumentation } from '@opentelemetry/instrumentation-mongodb';
import { KafkaJsInstrumentation } from '@opentelemetry/instrumentation-kafkajs';

let sdk: NodeSDK | undefined;

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
}

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
  sdk = new NodeSDK({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: process.env.OTEL_SERVICE_NAME ?? defaultServiceName }),
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (req) => (req.url ?? '').startsWith('/health') || req.url === '/metrics',
        disableOutgoingRequestInstrumentation: options.outgoingHttp === false,
      }),
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
