/**
 * One error hierarchy for every service. Each kind has a fixed HTTP status and a stable code; the
 * problem handler (http/problem.ts) turns them into RFC 9457 problem+json.
 */
export interface FieldIssue {
  path: string;
  message: string;
}

export abstract class AppError extends Error {
  abstract readonly status: number;
  abstract readonly code: string;
  /** Short, human title of the kind of problem (RFC 9457 `title`). */
  abstract readonly title: string;
  readonly extensions: Record<string, unknown>;

  constructor(message: string, extensions: Record<string, unknown> = {}) {
    super(message);
    this.name = new.target.name;
    this.extensions = extensions;
  }
}

/** A kind of error: a fixed status, a stable code and a title. */
function errorKind(status: number, code: string, title: string) {
  return class extends AppError {
    readonly status = status;
    readonly code: string = code;
    readonly title = title;
  };
}

export class ValidationError extends errorKind(400, 'validation_failed', 'Bad Request') {
  constructor(message: string, readonly issues: FieldIssue[] = []) {
    super(message, issues.length > 0 ? { errors: issues } : {});
  }
}

export class UnauthorizedError extends errorKind(401, 'unauthorized', 'Unauthorized') {}
export class ForbiddenError extends errorKind(403, 'forbidden', 'Forbidden') {}
export class NotFoundError extends errorKind(404, 'not_found', 'Not Found') {}
export class MethodNotAllowedError extends errorKind(405, 'method_not_allowed', 'Method Not Allowed') {}

export class ConflictError extends errorKind(409, 'conflict', 'Conflict') {
  override readonly code: string;
  constructor(message: string, code = 'conflict', extensions: Record<string, unknown> = {}) {
    super(message, extensions);
    this.code = code;
  }
}

/** The client did not send its whole request (a body shorter than its Content-Length) in time. */
export class RequestTimeoutError extends errorKind(408, 'request_timeout', 'Request Timeout') {}
export class PreconditionFailedError extends errorKind(412, 'precondition_failed', 'Precondition Failed') {}
export class PayloadTooLargeError extends errorKind(413, 'payload_too_large', 'Payload Too Large') {}
export class UnsupportedMediaTypeError extends errorKind(415, 'unsupported_media_type', 'Unsupported Media Type') {}
export class HeaderFieldsTooLargeError extends errorKind(431, 'header_fields_too_large', 'Request Header Fields Too Large') {}

export class TooManyRequestsError extends errorKind(429, 'too_many_requests', 'Too Many Requests') {
  constructor(message: string, readonly retryAfterSeconds: number) {
    super(message);
  }
}

export class ServiceUnavailableError extends errorKind(503, 'service_unavailable', 'Service Unavailable') {}

/** The generic answer to anything unexpected: logged in full, shown to the client as nothing more. */
export class InternalError extends errorKind(500, 'internal_error', 'Internal Server Error') {}

/** Raised by the event store when the expected version of an aggregate is not its current one. */
export class ConcurrencyError extends ConflictError {
  constructor(readonly stream: string, readonly expectedVersion: number, readonly actualVersion?: number) {
    super(`${stream} was changed concurrently (expected version ${expectedVersion})`, 'version_conflict', {
      expectedVersion,
      ...(actualVersion === undefined ? {} : { actualVersion }),
    });
  }
}

/** A 4xx problem another service answered, passed on to the caller as it was (status, code, detail). */
export class RelayedProblem extends AppError {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    message: string,
    extensions: Record<string, unknown> = {},
  ) {
    super(message, extensions);
  }
}
