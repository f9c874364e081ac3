import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Express } from 'express';
import { HeaderFieldsTooLargeError, PayloadTooLargeError, RequestTimeoutError, ValidationError, type AppError } from '../errors';
import { PROBLEM_CONTENT_TYPE, toProblem } from './problem';

export interface RunningServer {
  server: Server;
  port: number;
  url: string;
  /** Stops accepting connections, lets in-flight requests finish, then closes idle keep-alive sockets. */
  close(): Promise<void>;
}

/** How long a refused client may keep the connection after its answer before it is cut. */
const LINGER_MS = 1_000;

/** What Node's HTTP parser refused, before express saw a request, as one of our errors. */
function parserRefusal(code: string | undefined): AppError {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return new HeaderFieldsTooLargeError('request headers are too large');
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return new PayloadTooLargeError('request chunk extensions are too large');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new RequestTimeoutError('the request did not arrive in time');
    default:
      return new ValidationError('the request is not valid HTTP/1.1');
  }
}

/**
 * The server's `clientError` listener: the answers Node would send (431, 408, 400, with empty
 * bodies) as problem+json, then the connection closes. Nothing is written to a socket that cannot
 * take it, or that is already carrying a response (a pipelined request behind it failed to parse).
 */
export function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
  if (err.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  const error = parserRefusal(err.code);
  const body = JSON.stringify(toProblem(error));
  socket.end([
    `HTTP/1.1 ${error.status} ${error.title}`,
    `content-type: ${PROBLEM_CONTENT_TYPE}`,
    `content-length: ${Buffer.byteLength(body)}`,
    'x-content-type-options: nosniff',
    'connection: close',
    '',
    body,
  ].join('\r\n'));
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}

export async function listen(app: Express, port: number, host: string): Promise<RunningServer> {
  const server = createServer(app);
  server.keepAliveTimeout = 5_000;
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.on('clientError', answerClientError);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    server,
    port: actual,
    url: `http://${host}:${actual}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeIdleConnections();
      }),
  };
}
