// Loaded with `node --require` before main.ts so http is instrumented. One server span per request:
// named after the policy rule that routed it (service.ts), no express spans, and no client span for
// the proxied call (proxy.ts passes the trace context on itself).
import { startTelemetry } from '@sms/shared/telemetry';

startTelemetry('gateway', { express: false, outgoingHttp: false });
