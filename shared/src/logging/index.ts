import { trace } from '@opentelemetry/api';
import pino, { type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

/** Fields that must never reach a log line, wherever they appear in a logged object. */
export const REDACTED_PATHS = [
  'password', '*.password', 'newPassword', '*.newPassword', 'currentPassword', '*.currentPassword',
  'token', '*.token', 'accessToken', '*.accessToken', 'refreshToken', '*.refreshToken', 'passwordHash', '*.passwordHash',
  'req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]', 'req.headers["x-internal-token"]',
];

/**
 * Stdout, written asynchronously: a line is queued, and lines queued while a write is in flight go
 * out together in the next one (one syscall per request at the gateway was a tenth of its CPU). pino
 * flushes what is queued synchronously when the process exits. One destination per process.
 */
let stdout: pino.DestinationStream | undefined;
const asyncStdout = () => (stdout ??= pino.destination({ dest: 1, sync: false }));

/** JSON logs on stdout, each line carrying the active trace and span ids. */
export function createLogger(service: string, level: LoggerOptions['level'] = 'info', destination?: pino.DestinationStream): Logger {
  const options: LoggerOptions = {
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    formatters: { level: (label) => ({ level: label }) },
    mixin() {
      const span = trace.getActiveSpan();
      if (!span) return {};
      const { traceId, spanId } = span.spanContext();
      return { trace_id: traceId, span_id: spanId };
    },
  };
  return pino(options, destination ?? asyncStdout());
}
