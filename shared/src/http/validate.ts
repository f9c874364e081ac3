import { z } from 'zod';
import { PreconditionFailedError } from '../errors';
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

/** The versions an `If-Match` lists, met when the current one is among them; empty when it lists only weak ETags, which never match. */
export type IfMatchVersions = readonly number[];

/** One ETag that is a version: `"3"`, weak `W/"3"`, or a bare `3` (accepted from lax clients). */
const VERSION_TAG = /^(?:(W\/)?"(\d{1,10})"|(\d{1,10}))$/;
/** The elements of a list header (RFC 9110 5.6.1: empty elements are allowed and ignored). */
const elementsOf = (header: string) => header.split(',').map((e) => e.trim()).filter((e) => e !== '');

/**
 * An `If-Match` header (RFC 9110 13.1.1): `*` (any current version: the same as no precondition for a
 * resource that exists, and it must, else 404), or a list of version ETags, met when the current
 * version is one of them. If-Match compares strongly, so a weak ETag (`W/"3"`) is well formed but
 * never matches. Anything else is malformed (a 400).
 */
export const IfMatch = z
  .string()
  .refine((v) => v.trim() === '*' || (elementsOf(v).length > 0 && elementsOf(v).every((e) => VERSION_TAG.test(e))),
    'If-Match must be *, or versions such as "3" or "3", "4"')
  .transform((v): IfMatchVersions | undefined => (v.trim() === '*' ? undefined : elementsOf(v).flatMap((e) => {
    const [, weak, quoted, bare] = VERSION_TAG.exec(e) ?? [];
    return weak ? [] : [Number(quoted ?? bare)];
  })));

/** The versions a request's `If-Match` names, or undefined when it sent none (or `*`). */
export const ifMatchOf = (req: { get(name: string): string | undefined }): IfMatchVersions | undefined =>
  req.get('if-match') === undefined ? undefined : parseWith(IfMatch, req.get('if-match'), 'If-Match header');

/** The 412 for a resource (`what`) at a version the request's `If-Match` does not name. */
export const staleVersion = (what: string, version: number, ifMatch: IfMatchVersions): PreconditionFailedError =>
  new PreconditionFailedError(ifMatch.length > 0
    ? `${what} is at version ${version}, not ${ifMatch.join(' or ')}`
    : `${what} is at version ${version}; a weak ETag (W/) never matches If-Match`);
