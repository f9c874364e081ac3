import { z } from 'zod';
import { ValidationError } from '../errors';

/**
 * Page cursors: opaque to clients, the base64url of a JSON value to the service that made them. What
 * comes back is checked against the schema of what the service puts in, so a forged cursor (a number
 * where a string was, an object, bytes that are not JSON) is a 400 `invalid cursor`, never a query
 * with a value of the wrong type that finds nothing.
 */
export const encodeCursor = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

export function decodeCursor<S extends z.ZodType>(raw: string, schema: S, hint = 'use the next cursor of the previous page'): z.infer<S> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    value = undefined; // not JSON: refused by the schema below, as any other forged cursor
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ValidationError('invalid cursor', [{ path: 'cursor', message: hint }]);
  return parsed.data;
}

/** The `cursor` query parameter: base64url characters only, before it is decoded. */
export const CursorParam = (maxLength: number) => z.string().regex(new RegExp(`^[A-Za-z0-9_-]{1,${maxLength}}$`), 'not a cursor from this API');
