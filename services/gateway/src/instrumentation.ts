// Loaded with `node --require` before main.ts so http and express are instrumented.
import { startTelemetry } from '@sms/shared/telemetry';

startTelemetry('gateway');
