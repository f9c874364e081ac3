import type { ErrorRequestHandler } from 'express';
import { z } from 'zod';
import type { Logger } from 'pino';
import { AppError, InternalError, PayloadTooLargeError, TooManyRequestsError, UnsupportedMediaTypeError, ValidationError } from '../errors';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  code: string;
  [extension: string]: unknown;
}

/** Errors thrown by body-parser carry a status and a type; map the ones a client can cause. */
function fromBodyParser(err: unknown): AppError | undefined {
  if (typeof err !== 'object' || err === null || !('type' in err)) return undefined;
  switch ((err as { type: unknown }).type) {
    case 'entity.parse.failed':
      return new ValidationError('request body is not valid JSON');
    case 'entity.too.large':
      return new PayloadTooLargeError('request body is too large');
    // The body may be fine; its declared charset or content coding is one this server does not take.
    case 'charset.unsupported':
      return new UnsupportedMediaTypeError('request body charset is not supported: send UTF-8');
    case 'encoding.unsupported':
      return new UnsupportedMediaTypeError('request body content encoding is not supported');
    case 'request.aborted':
      return new ValidationError('request was aborted');
    default:
      return undefined;
  }
}

export function toProblem(error: AppError, instance?: string): ProblemDocument {
  return {
    type: `https://errors.student-platform.dev/${error.code}`,
    title: error.title,
    status: error.status,
    detail: error.message,
    code: error.code,
    ...(instance ? { instance } : {}),
    ...error.extensions,
  };
}

/** Zod failures become a 400 with one entry per field. */
export function fromZod(error: z.ZodError, what = 'request'): ValidationError {
  const issues = error.issues.map((i) => ({ path: i.path.join('.') || '(root)', message: i.message }));
  const summary = issues.slice(0, 3).map((i) => `${i.path}: ${i.message}`).join('; ');
  return new ValidationError(`invalid ${what}: ${summary}`, issues);
}

/** The single mapping point from thrown errors to RFC 9457 responses. No stack trace ever leaves. */
export function problemHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    let error: AppError | undefined =
      err instanceof AppError ? err : err instanceof z.ZodError ? fromZod(err) : fromBodyParser(err);
    if (!error) {
      logger.error({ err, method: req.method, path: req.path }, 'unhandled error');
      error = new InternalError('an unexpected error occurred');
    } else if (error.status >= 500) {
      logger.error({ err }, error.message);
    }
    if (error instanceof TooManyRequestsError) res.setHeader('Retry-After', String(error.retryAfterSeconds));
    res.status(error.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(toProblem(error, req.originalUrl)));
  };
}
