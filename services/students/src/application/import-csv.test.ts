import { PayloadTooLargeError, ValidationError } from '@sms/shared/errors';
import { checkHeader, csvRecords, inspectCsv, readUpload, rowToCreate, type Column } from './import-csv';

const bytes = (...parts: Array<string | number[]>) => parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p)));
async function* stream(chunks: Buffer[]) {
  yield* chunks;
}
const records = async (text: string) => {
  const all = [];
  for await (const r of csvRecords([Buffer.from(text)])) all.push(r);
  return all;
};
const columns: Column[] = ['name', 'age', 'roll_no', 'grade', 'email'];

describe('reading an upload', () => {
  it('keeps the bytes, counts them and hashes them', async () => {
    const upload = await readUpload(stream(bytes('name,age\n', 'Ann,9\n')), 100);
    expect(upload.bytes).toBe(15);
    expect(Buffer.concat(upload.chunks).toString()).toBe('name,age\nAnn,9\n');
    expect(upload.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses one byte beyond the limit with a 413, without reading further', async () => {
    let pulled = 0;
    async function* endless() {
      for (;;) {
        pulled++;
        yield Buffer.alloc(64, 'a');
      }
    }
    await expect(readUpload(endless(), 100)).rejects.toBeInstanceOf(PayloadTooLargeError);
    expect(pulled).toBe(2);
  });

  it('accepts a multi-byte character split across chunks, and refuses bytes that are not UTF-8', async () => {
    const e = Buffer.from('é');
    await expect(readUpload(stream([Buffer.from([e[0]!]), Buffer.from([e[1]!])]), 100)).resolves.toMatchObject({ bytes: 2 });
    await expect(readUpload(stream(bytes('name\n', [0xff, 0xfe, 0x41])), 100)).rejects.toThrow(/not UTF-8/);
    await expect(readUpload(stream(bytes('name\n', [0xc3])), 100)).rejects.toBeInstanceOf(ValidationError);
  });
});

describe('the header', () => {
  it('takes the columns in any order and case', () => {
    expect(checkHeader([' Grade', 'NAME', 'roll_no', 'age', 'id'])).toEqual(['grade', 'name', 'roll_no', 'age', 'id']);
  });

  it('lists every missing, unknown and repeated column at once', () => {
    try {
      checkHeader(['name', 'nickname', 'name', '']);
      throw new Error('accepted');
    } catch (err) {
      expect(err).toBeInstanceOf(ValidationError);
      const { message, issues } = err as ValidationError;
      expect(message).toMatch(/missing required column\(s\): age, roll_no, grade; unknown column\(s\): nickname, \(empty\)/);
      expect(issues).toEqual(
        expect.arrayContaining([
          { path: 'nickname', message: 'unknown column' },
          { path: 'name', message: 'repeated column' },
          { path: 'age', message: 'required column missing' },
        ]),
      );
    }
  });
});

describe('a file', () => {
  it('counts the rows after the header, skipping empty lines', async () => {
    await expect(inspectCsv(bytes('\uFEFFname,age,roll_no,grade\r\nAnn,9,R-1,3\r\n\r\nBob,10,R-2,4\r\n'))).resolves.toEqual({
      columns: ['name', 'age', 'roll_no', 'grade'],
      rows: 2,
    });
  });

  it('that is empty, or only a header, is refused', async () => {
    await expect(inspectCsv([])).rejects.toThrow(/empty/);
    await expect(inspectCsv(bytes('\n\n'))).rejects.toThrow(/empty/);
    await expect(inspectCsv(bytes('name,age,roll_no,grade\n'))).rejects.toThrow(/no rows/);
  });

  it('with an unclosed quote is refused with the line', async () => {
    await expect(inspectCsv(bytes('name,age,roll_no,grade\n"Ann,9,R-1,3\n'))).rejects.toThrow(/not valid CSV: .*line 2/);
  });

  it('numbers rows from 1 after the header and gives the line each starts on', async () => {
    const all = await records('name,age\n"Ann\nMarie",9\n\nBob,10\n');
    expect(all.map(({ row, line }) => [row, line])).toEqual([
      [0, 1],
      [1, 2],
      [2, 5],
    ]);
    expect(all[1]!.cells).toEqual(['Ann\nMarie', '9']);
  });
});

describe('a row', () => {
  it('becomes the JSON create body: trimmed, numbers for id and age, empty cells absent', () => {
    expect(rowToCreate(['id', ...columns], [' 7 ', ' Ann Lee ', '9', 'R-1', '3', ''])).toEqual({
      ok: true,
      body: { id: 7, name: 'Ann Lee', age: 9, roll_no: 'R-1', grade: '3' },
    });
  });

  it('reports each bad field with its column, by the rules of the JSON create', () => {
    const result = rowToCreate(columns, ['', 'nine', 'R 1', '3', 'not-an-email']);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues).toEqual([
      { column: 'name', code: 'invalid_field', message: 'is required' },
      { column: 'age', code: 'invalid_field', message: 'must be a whole number' },
      { column: 'roll_no', code: 'invalid_field', message: 'must be 1-20 letters, digits or dashes' },
      { column: 'email', code: 'invalid_field', message: expect.stringMatching(/email/i) },
    ]);
    expect(rowToCreate(columns, ['Ann', '2', 'R-1', '3', ''])).toEqual({ ok: false, issues: [{ column: 'age', code: 'invalid_field', message: 'must be at least 3' }] });
    expect(rowToCreate(columns, ['Ann', '9.5', 'R-1', '3', ''])).toMatchObject({ ok: false, issues: [{ column: 'age', message: 'must be a whole number' }] });
  });

  it('with too few or too many fields is one error for the row', () => {
    expect(rowToCreate(columns, ['Ann', '9'])).toEqual({ ok: false, issues: [{ code: 'field_count', message: 'expected 5 fields, found 2' }] });
  });
});
