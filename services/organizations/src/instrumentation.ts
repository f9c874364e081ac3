// Loaded with `node --require` before main.ts so http, express, mongodb and kafkajs are instrumented.
import { startTelemetry } from '@sms/shared/telemetry';

startTelemetry('organizations');
