import { z } from 'zod';
import { fromZod } from './problem';

/** Parses untrusted input with a schema; a failure becomes a 400 problem naming each bad field. */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown, what = 'request body'): z.infer<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw fromZod(result.error, what);
  return result.data;
}

/**
 * Characters no name or label needs: control characters, unpaired surrogates (not text: they cannot be
 * stored as UTF-8), U+FFFD (what a parser puts where the bytes were not UTF-8) and the bidirectional
 * overrides and isolates (they make text display other than it reads). Joiners (U+200C/U+200D) stay:
 * some scripts and emoji need them.
 */
const NOT_TEXT = /[\p{Cc}\p{Cs}\uFFFD\u202A-\u202E\u2066-\u2069]/u;

/** A trimmed, non-empty string of at most `max` characters, of text only (see NOT_TEXT). */
export const plainText = (max: number) =>
  z.string().trim().min(1).max(max).refine((s) => !NOT_TEXT.test(s), 'must be text: no control characters, invalid UTF-8 or direction overrides');

/**
 * An `If-Match` header: an ETag that is a version (`"3"`, `W/"3"` or `3`), or `*` (any current
 * version: the same as no precondition for a resource that exists, and it must, else 404).
 */
export const IfMatch = z
  .string()
  .regex(/^(\*|(W\/)?"?\d{1,10}"?)$/, 'If-Match must be a version, e.g. "3", or *')
  .transform((v): number | undefined => (v === '*' ? undefined : Number(v.replace(/\D/g, ''))));

/** The version a request's `If-Match` names, or undefined when it sent none. */
export const ifMatchOf = (req: { get(name: string): string | undefined }): number | undefined =>
  req.get('if-match') === undefined ? undefined : parseWith(IfMatch, req.get('if-match'), 'If-Match header');
