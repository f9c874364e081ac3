// The terms of the students search index: what the projector posts for a student and what a search
// looks up. Pure functions, shared by both sides so they cannot drift apart.

/** Student ids per posting document: each organization's id space is cut into chunks of this size. */
export const CHUNK_IDS = 512;
export const chunkOf = (id: number): number => Math.floor(id / CHUNK_IDS);

/** Every student that exists (the term of a search without an indexed filter). */
export const ALL = '*';
export const gradeTerm = (grade: string): string => `g:${wellFormed(grade)}`;
export const rollTerm = (rollNo: string): string => `r:${rollNo.toLowerCase()}`;
const gramTerm = (gram: string): string => `n:${gram}`;

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
/** What MongoDB stores for a string: a lone surrogate cannot be UTF-8, the driver writes U+FFFD instead. */
export const wellFormed = (s: string): string => s.replace(LONE_SURROGATE, '\ufffd');
/** The case-insensitive form names are searched in (the read model's `nameLower`, as stored). */
export const searchable = (name: string): string => wellFormed(name.toLowerCase());

/** Shortest and longest n-grams posted for a name. A name query of 1 character has no term. */
const MIN_GRAM = 2;
const MAX_GRAM = 3;

/** Every distinct 2- and 3-character substring of the lowercased name (UTF-16 code units, like `includes`). */
export function nameTerms(name: string): Set<string> {
  const s = searchable(name);
  const terms = new Set<string>();
  for (let n = MIN_GRAM; n <= MAX_GRAM; n++) {
    for (let i = 0; i + n <= s.length; i++) terms.add(gramTerm(wellFormed(s.slice(i, i + n))));
  }
  return terms;
}

/**
 * The terms a name query needs: 2-3 characters → the query itself (every student whose name holds it);
 * longer → each of its 3-grams (a superset: the rows are checked afterwards); 1 character → none.
 */
export function nameQueryTerms(query: string): string[] {
  const s = searchable(query);
  if (s.length < MIN_GRAM) return [];
  if (s.length <= MAX_GRAM) return [gramTerm(s)];
  const terms = new Set<string>();
  for (let i = 0; i + MAX_GRAM <= s.length; i++) terms.add(gramTerm(wellFormed(s.slice(i, i + MAX_GRAM))));
  return [...terms];
}

export interface IndexedFields {
  name: string;
  grade: string;
  roll_no: string;
}

/** Every term a student with these fields is found under. */
export function termsOf(fields: IndexedFields): Set<string> {
  return new Set([ALL, gradeTerm(fields.grade), rollTerm(fields.roll_no), ...nameTerms(fields.name)]);
}

/** `_id` of a posting document: `<org>|<term>|<chunk>` (organization ids hold no `|`; the chunk is last). */
export const postingKey = (org: string, term: string, chunk: number): string => `${org}|${term}|${chunk}`;
/** `_id` of an organization's chunk directory (one `|`: no posting key can equal it). */
export const directoryKey = (org: string): string => `${org}|chunks`;
/** The read model's `_id` of a student: its stream id (application/students.ts `streamOf`). */
export const rowKey = (org: string, id: number): string => `${org}:${id}`;

/** The student id in a stream id `<org>:<id>`, or undefined for anything else. */
export function idOfStream(org: string, stream: string): number | undefined {
  if (!stream.startsWith(`${org}:`)) return undefined;
  const tail = stream.slice(org.length + 1);
  return /^[1-9][0-9]{0,15}$/.test(tail) && Number.isSafeInteger(Number(tail)) ? Number(tail) : undefined;
}

/**
 * Posting stamps are last-writer-wins registers per (term, student): `2·version + 1` says "has the
 * term since this version", `2·version` "lost it at this version". Writes are `$max`, so events applied
 * twice, late or by two writers at once (a rebuild beside the live projector) end in the same state.
 */
export const present = (version: number): number => 2 * version + 1;
export const absent = (version: number): number => 2 * version;
export const isPresent = (stamp: unknown): boolean => typeof stamp === 'number' && stamp % 2 === 1;

/** MongoDB's order of two strings (UTF-8 bytes, i.e. code points), which `<` on UTF-16 is not above U+FFFF. */
export function compareStrings(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; ) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x < y ? -1 : 1;
    i += x > 0xffff ? 2 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}
