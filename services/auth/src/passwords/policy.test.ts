import { ValidationError } from '@sms/shared/errors';
import { checkPassword, isCommonPassword, normalizePassword } from './policy';

function reasonsFor(password: string, context = {}): string[] {
  try {
    checkPassword(password, context);
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return (err as ValidationError).issues.map((i) => i.message);
  }
  return [];
}

describe('checkPassword', () => {
  it('accepts an ordinary uncommon password', () => {
    expect(() => checkPassword('violet-kettle-41', {})).not.toThrow();
  });

  it('refuses fewer than 8 characters, naming the reason', () => {
    expect(() => checkPassword('x7#kQ2', {})).toThrow(/at least 8 characters/);
    expect(() => checkPassword('x7#kQ2', {})).toThrow(ValidationError);
  });

  it('accepts a long passphrase with spaces and exactly 256 code points, refuses 257', () => {
    expect(() => checkPassword('correct horse battery staple on a very long walk', {})).not.toThrow();
    const base = 'the quick brown fox jumps over the lazy dog ';
    const exactly256 = base.repeat(6).slice(0, 256);
    expect(Array.from(exactly256)).toHaveLength(256);
    expect(() => checkPassword(exactly256, {})).not.toThrow();
    expect(reasonsFor(`${exactly256}!`)).toEqual(['must be at most 256 characters']);
    expect(reasonsFor('a b '.repeat(10_000))).toContain('must be at most 256 characters');
  });

  it('refuses a common password whatever its case', () => {
    expect(isCommonPassword('password')).toBe(true);
    for (const pw of ['password', 'PASSWORD', 'PassWord', 'iloveyou', 'QWERTYUIOP', '12345678']) {
      expect(reasonsFor(pw)).toContain('is a commonly used password');
    }
  });

  it('refuses a common password written in full-width characters (NFKC first)', () => {
    expect(normalizePassword('ｐａｓｓｗｏｒｄ')).toBe('password');
    expect(reasonsFor('ｐａｓｓｗｏｒｄ')).toContain('is a commonly used password');
  });

  it('refuses a single character repeated', () => {
    expect(reasonsFor('ZZZZZZZZZZZZ')).toEqual(['must not be a single character repeated']);
  });

  it('refuses the username, the email and the email local part, case-insensitively', () => {
    const context = { username: 'Grace.Hopper-1906', email: 'Admiral.Grace.1906@Example.org' };
    const reason = 'must not be your username or email address';
    expect(reasonsFor('grace.hopper-1906', context)).toContain(reason);
    expect(reasonsFor('admiral.grace.1906@example.org', context)).toContain(reason);
    expect(reasonsFor('ADMIRAL.GRACE.1906', context)).toContain(reason);
    expect(() => checkPassword('grace.hopper-1906 rocks', context)).not.toThrow();
    expect(() => checkPassword('grace.hopper-1906', {})).not.toThrow();
  });

  it('counts Unicode code points, not UTF-16 units or bytes', () => {
    // 4 emoji: 8 UTF-16 units, 16 UTF-8 bytes, but 4 characters.
    expect(reasonsFor('🐉🔥🗝️🏰'.replace('\uFE0F', ''))).toContain('must be at least 8 characters');
    // 8 astral characters are enough.
    expect(() => checkPassword('𝒜𝒷𝒸🐉🔥🏰🌊🎻', {})).not.toThrow();
    // Non-Latin scripts are fine.
    expect(() => checkPassword('пароль-мой-кот', {})).not.toThrow();
    expect(() => checkPassword('パスワードは秘密です', {})).not.toThrow();
  });

  it('refuses control characters and unpaired surrogates', () => {
    expect(reasonsFor('violet\nkettle41')).toEqual(['must not contain control characters']);
    expect(reasonsFor('violet\u0000kettle41')).toEqual(['must not contain control characters']);
    expect(reasonsFor('violet\u007Fkettle41')).toEqual(['must not contain control characters']);
    expect(reasonsFor('violet\u0085kettle41')).toEqual(['must not contain control characters']);
    expect(reasonsFor('violet\uD800kettle41')).toEqual(['must not contain invalid Unicode (unpaired surrogates)']);
  });

  it('lists every reason and never echoes the password', () => {
    let error: ValidationError | undefined;
    try {
      checkPassword('Bob\t1', { username: 'bob\t1' });
    } catch (err) {
      error = err as ValidationError;
    }
    expect(error?.message).toMatch(/at least 8 characters.*control characters.*username or email/);
    expect(error?.message).not.toContain('Bob');
    expect(error?.issues.every((i) => i.path === 'password')).toBe(true);
  });
});
