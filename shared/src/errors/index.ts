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

export class ValidationError extends AppError {
  readonly status = 400;
  readonly code = 'validation_failed';
  readonly title = 'Bad Request';
  constructor(message: string, readonly issues: FieldIssue[] = []) {
    super(message, issues.length > 0 ? { errors: issues } : {});
  }
}

export class UnauthorizedError extends AppError {
  readonly status = 401;
  readonly code = 'unauthorized';
  readonly title = 'Unauthorized';
}

export class ForbiddenError extends AppError {
  readonly status = 403;
  readonly code = 'forbidden';
  readonly title = 'Forbidden';
}

export class NotFoundError extends AppError {
  readonly status = 404;
  readonly code = 'not_found';
  readonly title = 'Not Found';
}

export class MethodNotAllowedError extends AppError {
  readonly status = 405;
  readonly code = 'method_not_allowed';
  readonly title = 'Method Not Allowed';
}

export class ConflictError extends AppError {
  readonly status = 409;
  readonly code: string;
  readonly title = 'Conflict';
  constructor(message: string, code = 'conflict', extensions: Record<string, unknown> = {}) {
    super(message, extensions);
    this.code = code;
  }
}

export class PreconditionFailedError extends AppError {
  readonly status = 412;
  readonly code = 'precondition_failed';
  readonly title = 'Precondition Failed';
}

export class PayloadTooLargeError extends AppError {
  readonly status = 413;
  readonly code = 'payload_too_large';
  readonly title = 'Payload Too Large';
}

export class UnsupportedMediaTypeError extends AppError {
  readonly status = 415;
  readonly code = 'unsupported_media_type';
  readonly title = 'Unsupported Media Type';
}

export class TooManyRequestsError extends AppError {
  readonly status = 429;
  readonly code = 'too_many_requests';
  readonly title = 'Too Many Requests';
  constructor(message: string, readonly retryAfterSeconds: number) {
    super(message);
  }
}

export class ServiceUnavailableError extends AppError {
  readonly status = 503;
  readonly code = 'service_unavailable';
  readonly title = 'Service Unavailable';
}

/** Raised by the event store when the expected version of an aggregate is not its current one. */
export class ConcurrencyError extends ConflictError {
  constructor(readonly stream: string, readonly expectedVersion: number, readonly actualVersion?: number) {
    super(`${stream} was changed concurrently (expected version ${expectedVersion})`, 'version_conflict', {
      expectedVersion,
      ...(actualVersion === undefined ? {} : { actualVersion }),
    });
  }
}
