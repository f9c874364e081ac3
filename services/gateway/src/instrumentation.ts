// Loaded with `node --require` before main.ts. One server span per request, made by the app itself
// (`serverSpans`, shared/telemetry) and named after the policy rule that routed it (service.ts); no
// http instrumentation, no express spans, and no client span for the proxied call (proxy.ts passes
// the trace context on itself).
import { startTelemetry } from '@sms/shared/telemetry';

startTelemetry('gateway', { express: false, outgoingHttp: false, incomingHttp: 'app' });
