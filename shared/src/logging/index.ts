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
 * Stdout, written asynchronously and in batches: lines collect until 4 KB are queued (or a second has
 * passed) and go out in one write; lines queued while a write is in flight go with the next one. One
 * write per request at the gateway was a tenth of its CPU. pino flushes what is queued synchronously
 * when the process exits (graceful shutdown, an uncaught exception); only a SIGKILL loses the last
 * second. One destination per process.
 */
const FLUSH_BYTES = 4096;
const FLUSH_EVERY_MS = 1_000;
let stdout: pino.DestinationStream | undefined;
// sonic-boom's own periodic flush: its timer ends with the stream (a timer of ours could flush a stream
// pino had already closed at exit).
const asyncStdout = () => (stdout ??= pino.destination({ dest: 1, sync: false, minLength: FLUSH_BYTES, periodicFlush: FLUSH_EVERY_MS }));

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
