import { ALL, CHUNK_IDS, chunkOf, compareStrings, idOfStream, isPresent, absent, present, nameQueryTerms, nameTerms, postingKey, directoryKey, searchable, termsOf } from './student-terms';

describe('name terms', () => {
  it('are the distinct 2- and 3-character substrings of the lowercased name', () => {
    expect([...nameTerms('Ana Ana')].sort()).toEqual(['n: a', 'n: an', 'n:a ', 'n:a a', 'n:an', 'n:ana', 'n:na', 'n:na '].sort());
  });

  it('hold every term of a query that is a substring of the name, whatever its case', () => {
    const name = nameTerms('Lisa Marie Simpson');
    for (const query of ['MARIE', 'sim', 'e s', 'li', 'ar', 'a Marie Simps']) {
      const terms = nameQueryTerms(query);
      expect(terms.length).toBeGreaterThan(0);
      for (const t of terms) expect([query, name.has(t)]).toEqual([query, true]);
    }
  });

  it('a query of 2-3 characters is one term (exact); longer ones are their 3-grams; one character has none', () => {
    expect(nameQueryTerms('Li')).toEqual(['n:li']);
    expect(nameQueryTerms('LIS')).toEqual(['n:lis']);
    expect(nameQueryTerms('lisas')).toEqual(['n:lis', 'n:isa', 'n:sas']);
    expect(nameQueryTerms('aaaa')).toEqual(['n:aaa']);
    expect(nameQueryTerms('x')).toEqual([]);
  });

  it('take regex metacharacters as plain characters', () => {
    expect(nameQueryTerms('.*(')).toEqual(['n:.*(']);
    expect(nameTerms('d.*Literal').has('n:.*l')).toBe(true);
  });

  it('handle characters outside the BMP and lone surrogates as MongoDB stores them', () => {
    const emoji = nameTerms('Zoë 😀 Smith');
    for (const t of nameQueryTerms('ë 😀 s')) expect(emoji.has(t)).toBe(true);
    expect(searchable('A\ud800B')).toBe('a\ufffdb');
    expect(nameQueryTerms('\ud800b')).toEqual(['n:\ufffdb']);
    // The grams split a surrogate pair into lone halves; they are stored (and looked up) as U+FFFD.
    expect([...nameTerms('a😀')].every((t) => !/[\ud800-\udfff](?![\udc00-\udfff])/.test(t.replace(/[\ud800-\udbff][\udc00-\udfff]/g, '')))).toBe(true);
  });
});

describe('terms of a student', () => {
  it('are: every student, the exact grade, the lowercased roll number and the name grams', () => {
    const terms = termsOf({ name: 'Bo', grade: 'Ten', roll_no: 'R-1' });
    expect([...terms].sort()).toEqual([ALL, 'g:Ten', 'n:bo', 'r:r-1'].sort());
  });
});

describe('keys and stamps', () => {
  it('posting keys put the organization first and the chunk last; directory keys cannot collide with them', () => {
    expect(postingKey('default', 'g:a|b', 3)).toBe('default|g:a|b|3');
    expect(directoryKey('default')).toBe('default|chunks');
    expect(chunkOf(CHUNK_IDS - 1)).toBe(0);
    expect(chunkOf(CHUNK_IDS)).toBe(1);
  });

  it('reads the student id of its own organization’s stream ids only', () => {
    expect(idOfStream('default', 'default:42')).toBe(42);
    expect(idOfStream('default', 'other:42')).toBeUndefined();
    expect(idOfStream('default', 'default:x')).toBeUndefined();
    expect(idOfStream('default', 'default:042')).toBeUndefined();
  });

  it('a later version wins whichever way it points; at the same version "present" wins', () => {
    expect(isPresent(Math.max(present(1), absent(2)))).toBe(false);
    expect(isPresent(Math.max(absent(2), present(3)))).toBe(true);
    expect(isPresent(Math.max(absent(2), present(2)))).toBe(true);
    expect(isPresent(undefined)).toBe(false);
  });
});

describe('compareStrings', () => {
  it('orders by code point like MongoDB, not by UTF-16 unit', () => {
    expect(compareStrings('a', 'b')).toBe(-1);
    expect(compareStrings('ab', 'a')).toBe(1);
    expect(compareStrings('same', 'same')).toBe(0);
    // U+FF5E (one unit, 0xFF5E) sorts before U+1F600 (units 0xD83D 0xDE00) in MongoDB; '<' says otherwise.
    expect('\uff5e' < '😀').toBe(false);
    expect(compareStrings('\uff5e', '😀')).toBe(-1);
  });
});
