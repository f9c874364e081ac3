import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CsvError, parse, type Options } from 'csv-parse';
import { PayloadTooLargeError, ValidationError } from '@sms/shared/errors';
import { CreateStudentBody } from '../http/schemas';

// The CSV side of an import: reading an upload, its header, and turning a row into a create body.

export const REQUIRED_COLUMNS = ['name', 'age', 'roll_no', 'grade'] as const;
export const OPTIONAL_COLUMNS = ['id', 'email', 'date_of_birth'] as const;
export type Column = (typeof REQUIRED_COLUMNS)[number] | (typeof OPTIONAL_COLUMNS)[number];
const KNOWN = new Set<string>([...REQUIRED_COLUMNS, ...OPTIONAL_COLUMNS]);

/** A record can hold one student: anything longer is not a student row (and is not kept in memory). */
const MAX_RECORD_BYTES = 64 * 1024;

const CSV_OPTIONS: Options = {
  bom: true,
  // A row with too few or too many fields is that row's error, not the file's.
  relax_column_count: true,
  skip_empty_lines: true,
  max_record_size: MAX_RECORD_BYTES,
  info: true,
};

export interface CsvRecord {
  /** 0 for the header, then 1, 2, ... for the data rows (empty lines are not rows). */
  row: number;
  /** The line of the file the record starts on (1 = the header), as a spreadsheet shows it. */
  line: number;
  cells: string[];
}

export interface RowIssue {
  column?: Column;
  code: 'invalid_field' | 'field_count';
  message: string;
}

export type CreateBody = ReturnType<typeof CreateStudentBody.parse>;
export type RowResult = { ok: true; body: CreateBody } | { ok: false; issues: RowIssue[] };

/** An upload that is read to the end and checked byte by byte: size, UTF-8, and its SHA-256. */
export interface Upload {
  chunks: Buffer[];
  bytes: number;
  sha256: string;
}

/**
 * Reads an upload up to `maxBytes`, counting as it streams in: one byte more is a 413 at once (the
 * rest is never buffered). Bytes that are not UTF-8 are a 400, wherever they sit.
 */
export async function readUpload(body: AsyncIterable<Uint8Array>, maxBytes: number): Promise<Upload> {
  const hash = createHash('sha256');
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const piece of body) {
    const chunk = Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
    if (bytes + chunk.length > maxBytes) throw new PayloadTooLargeError(`the file is larger than the import limit of ${maxBytes} bytes`);
    try {
      utf8.decode(chunk, { stream: true });
    } catch {
      throw notUtf8(bytes);
    }
    hash.update(chunk);
    chunks.push(chunk);
    bytes += chunk.length;
  }
  try {
    utf8.decode();
  } catch {
    throw notUtf8(bytes);
  }
  return { chunks, bytes, sha256: hash.digest('hex') };
}

const notUtf8 = (after: number) =>
  new ValidationError(`the file is not UTF-8 text (invalid bytes after byte ${after}); save it as "CSV UTF-8"`, [{ path: 'body', message: 'must be UTF-8' }]);

/**
 * The records of a CSV, parsed as the bytes come (a chunk at a time, so a big file never holds the
 * event loop). A structural error (an unclosed quote, a record beyond 64 KiB) is a 400 naming the line.
 */
export async function* csvRecords(source: Iterable<Buffer> | AsyncIterable<Buffer>): AsyncGenerator<CsvRecord> {
  const parser = parse(CSV_OPTIONS);
  const feeding = pipeline(Readable.from(source), parser).catch(() => undefined);
  let row = 0;
  let lastLine = 0;
  let emptyLines = 0;
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number; empty_lines: number } }>) {
      const line = lastLine + 1 + (info.empty_lines - emptyLines);
      lastLine = info.lines;
      emptyLines = info.empty_lines;
      yield { row: row++, line, cells: record };
    }
  } catch (err) {
    if (!isCsvError(err)) throw err;
    throw new ValidationError(`the file is not valid CSV: ${csvProblem(err)}`, [{ path: 'body', message: csvProblem(err) }]);
  } finally {
    parser.destroy();
    await feeding;
  }
}

const isCsvError = (err: unknown): err is CsvError => err instanceof CsvError;

function csvProblem(err: CsvError): string {
  if (err.code === 'CSV_MAX_RECORD_SIZE') return `a record is longer than ${MAX_RECORD_BYTES} bytes`;
  return err.message.replace(/^[A-Za-z ]+: /, '');
}

/**
 * The header names the columns, in any order and case: the required ones must be there, nothing
 * unknown or repeated may be. Every problem is listed at once.
 */
export function checkHeader(cells: readonly string[]): Column[] {
  const names = cells.map((c) => c.trim().toLowerCase());
  const issues: Array<{ path: string; message: string }> = [];
  const seen = new Set<string>();
  for (const name of names) {
    if (!KNOWN.has(name)) issues.push({ path: name || '(empty)', message: 'unknown column' });
    else if (seen.has(name)) issues.push({ path: name, message: 'repeated column' });
    seen.add(name);
  }
  const missing = REQUIRED_COLUMNS.filter((c) => !seen.has(c));
  for (const name of missing) issues.push({ path: name, message: 'required column missing' });
  if (issues.length > 0) {
    const unknown = issues.filter((i) => i.message === 'unknown column').map((i) => i.path);
    const parts = [
      missing.length > 0 ? `missing required column(s): ${missing.join(', ')}` : '',
      unknown.length > 0 ? `unknown column(s): ${unknown.join(', ')}` : '',
      issues.some((i) => i.message === 'repeated column') ? 'a column is repeated' : '',
    ].filter(Boolean);
    throw new ValidationError(
      `invalid CSV header: ${parts.join('; ')} (columns: ${[...REQUIRED_COLUMNS, ...OPTIONAL_COLUMNS].join(', ')})`,
      issues,
    );
  }
  return names as Column[];
}

/** What the upload holds once checked: its columns and how many data rows follow the header. */
export async function inspectCsv(chunks: readonly Buffer[]): Promise<{ columns: Column[]; rows: number }> {
  let columns: Column[] | undefined;
  let rows = 0;
  for await (const record of csvRecords(chunks)) {
    if (columns === undefined) columns = checkHeader(record.cells);
    else rows++;
  }
  if (columns === undefined) throw new ValidationError('the file is empty: expected a header line and at least one row');
  if (rows === 0) throw new ValidationError('the file has a header but no rows');
  return { columns, rows };
}

const INTEGER = /^[+-]?\d{1,16}$/;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)$/;

/**
 * A data row as the JSON create body it stands for, checked by the same schema: cells are trimmed, an
 * empty cell is an absent field, `id` and `age` are numbers. Every problem of the row is reported.
 */
export function rowToCreate(columns: readonly Column[], cells: readonly string[]): RowResult {
  if (cells.length !== columns.length) {
    return { ok: false, issues: [{ code: 'field_count', message: `expected ${columns.length} fields, found ${cells.length}` }] };
  }
  const issues: RowIssue[] = [];
  const input: Record<string, unknown> = {};
  columns.forEach((column, i) => {
    const cell = (cells[i] ?? '').trim();
    if (cell === '') {
      if ((REQUIRED_COLUMNS as readonly string[]).includes(column)) issues.push({ column, code: 'invalid_field', message: 'is required' });
    } else if (column === 'id') {
      if (INTEGER.test(cell)) input.id = Number(cell);
      else issues.push({ column, code: 'invalid_field', message: 'must be a positive whole number' });
    } else if (column === 'age') {
      if (NUMBER.test(cell)) input.age = Number(cell);
      else issues.push({ column, code: 'invalid_field', message: 'must be a whole number' });
    } else {
      input[column] = cell;
    }
  });
  const parsed = CreateStudentBody.safeParse(input);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const column = issue.path[0];
      if (typeof column === 'string' && KNOWN.has(column) && issues.some((i) => i.column === column)) continue;
      issues.push({ ...(typeof column === 'string' && KNOWN.has(column) ? { column: column as Column } : {}), code: 'invalid_field', message: issue.message });
    }
  }
  if (issues.length > 0 || !parsed.success) {
    const at = (i: RowIssue) => (i.column === undefined ? columns.length : columns.indexOf(i.column));
    return { ok: false, issues: issues.sort((a, b) => at(a) - at(b)) };
  }
  return { ok: true, body: parsed.data };
}
