import bcrypt from 'bcrypt';
import { createPasswordHasher, DEFAULT_BCRYPT_COST, prehashPassword } from './hasher';

describe('createPasswordHasher', () => {
  const hasher = createPasswordHasher(4);

  it('round-trips a password at the configured cost', async () => {
    const hash = await hasher.hash('violet-kettle-41');
    expect(hash).toMatch(/^\$2b\$04\$/);
    expect(await hasher.verify('violet-kettle-41', hash)).toBe(true);
    expect(hasher.needsRehash(hash)).toBe(false);
  });

  it('salts: the same password hashes differently each time', async () => {
    const [a, b] = await Promise.all([hasher.hash('violet-kettle-41'), hasher.hash('violet-kettle-41')]);
    expect(a).not.toBe(b);
  });

  it('refuses a wrong password and a malformed hash', async () => {
    const hash = await hasher.hash('violet-kettle-41');
    expect(await hasher.verify('violet-kettle-42', hash)).toBe(false);
    expect(await hasher.verify('violet-kettle-41', 'not-a-hash')).toBe(false);
    expect(await hasher.verify('violet-kettle-41', '$2b$04$short')).toBe(false);
  });

  it('does NOT accept a 100-character passphrase that differs only after byte 72 (the pre-hash)', async () => {
    const head = 'a'.repeat(72);
    const original = `${head}${'b'.repeat(28)}`;
    const variant = `${head}${'c'.repeat(28)}`;
    expect(original).toHaveLength(100);
    // Plain bcrypt would take them as one password: it reads only the first 72 bytes.
    const plain = await bcrypt.hash(original, 4);
    expect(await bcrypt.compare(variant, plain)).toBe(true);
    // Ours does not.
    const hash = await hasher.hash(original);
    expect(await hasher.verify(original, hash)).toBe(true);
    expect(await hasher.verify(variant, hash)).toBe(false);
  });

  it('verifies NFKC-equivalent spellings as the same password', async () => {
    const hash = await hasher.hash('ｖｉｏｌｅｔ-kettle');
    expect(await hasher.verify('violet-kettle', hash)).toBe(true);
  });

  it('pre-hashes to 44 ASCII bytes without NUL', () => {
    const pre = prehashPassword('é'.repeat(256));
    expect(pre).toMatch(/^[A-Za-z0-9+/]{43}=$/);
  });

  it('dummyVerify resolves to nothing', async () => {
    await expect(hasher.dummyVerify()).resolves.toBeUndefined();
  });

  it('flags hashes of another cost for rehash and rejects invalid costs', async () => {
    const other = await createPasswordHasher(5).hash('violet-kettle-41');
    expect(hasher.needsRehash(other)).toBe(true);
    expect(hasher.needsRehash('garbage')).toBe(true);
    expect(DEFAULT_BCRYPT_COST).toBe(12);
    expect(() => createPasswordHasher(3)).toThrow(RangeError);
    expect(() => createPasswordHasher(12.5)).toThrow(RangeError);
  });
});
