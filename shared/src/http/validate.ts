import { z } from 'zod';
import { fromZod } from './problem';

/** Parses untrusted input with a schema; a failure becomes a 400 problem naming each bad field. */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown, what = 'request body'): z.infer<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw fromZod(result.error, what);
  return result.data;
}

/** An `If-Match` header holding an ETag that is a version (`"3"`, `W/"3"` or `3`). */
export const IfMatch = z
  .string()
  .regex(/^(W\/)?"?\d{1,10}"?$/, 'If-Match must be a version, e.g. "3"')
  .transform((v) => Number(v.replace(/\D/g, '')));

/** The version a request's `If-Match` names, or undefined when it sent none. */
export const ifMatchOf = (req: { get(name: string): string | undefined }): number | undefined =>
  req.get('if-match') === undefined ? undefined : parseWith(IfMatch, req.get('if-match'), 'If-Match header');
