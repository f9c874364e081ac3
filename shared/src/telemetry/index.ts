import { NodeSDK } from '@opentelemetry/sdk-node';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { ExpressInstrumentation, ExpressLayerType } from '@opentelemetry/instrumentation-express';
import { MongoDBInstrumentation } from '@opentelemetry/instrumentation-mongodb';
import { KafkaJsInstrumentation } from '@opentelemetry/instrumentation-kafkajs';
import { PinoInstrumentation } from '@opentelemetry/instrumentation-pino';

let sdk: NodeSDK | undefined;

/**
 * Starts the OpenTelemetry SDK. Must run before express, mongodb or kafkajs are first required
 * (each service's instrumentation.ts is loaded with `node --require`). The exporter is chosen by
 * the standard variables: OTEL_TRACES_EXPORTER (zipkin | otlp | console | none),
 * OTEL_EXPORTER_ZIPKIN_ENDPOINT, OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_SERVICE_NAME.
 */
export function startTelemetry(defaultServiceName: string): NodeSDK | undefined {
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
      }),
      // Route and handler spans only: one span per middleware (helmet, request id, ...) is noise.
      new ExpressInstrumentation({ ignoreLayersType: [ExpressLayerType.MIDDLEWARE] }),
      new MongoDBInstrumentation({ enhancedDatabaseReporting: false }),
      new KafkaJsInstrumentation(),
      new PinoInstrumentation(),
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
