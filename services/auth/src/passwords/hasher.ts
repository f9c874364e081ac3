/**
 * bcrypt password hashing (DESIGN.md §4: cost configurable, 12 by default, off the event loop).
 *
 * Off the event loop: only bcrypt's async API is used; the native addon runs each hash/compare on
 * libuv's threadpool (UV_THREADPOOL_SIZE, 4 by default), so a login never blocks other requests.
 *
 * Pre-hash: bcrypt(base64(sha256(NFKC(password)))).
 * - bcrypt only reads the first 72 bytes of its input and silently ignores the rest. A 256-code-point
 *   passphrase can be up to ~1 KiB of UTF-8, so without a pre-hash two passphrases sharing their first
 *   72 bytes would be the same password. SHA-256 folds the whole input into 32 bytes first.
 * - The digest is base64-encoded (44 ASCII bytes, < 72) rather than passed raw, because bcrypt reads
 *   its input as a NUL-terminated C string: a raw digest containing a 0x00 byte would be cut short
 *   there, and a digest starting with 0x00 would collide with the empty password.
 * - NFKC first, the same normalization the policy checks (policy.ts), so the bytes hashed do not
 *   depend on how the client's OS composed the characters.
 * - The pre-hash is unsalted, but bcrypt adds its own salt and cost; a database of these hashes
 *   reveals nothing more than plain bcrypt would. (A keyed HMAC "pepper" would also defeat
 *   "shucking" against leaked unsalted SHA-256 lists; add one here if a secret store is available,
 *   remembering that changing the scheme needs a rehash-on-login migration.)
 *
 * This is a versioned format decision: hashes stored by this module are only verifiable by it.
 */
import { createHash, randomBytes } from 'node:crypto';
import bcrypt from 'bcrypt';
import { normalizePassword } from './policy';

export const DEFAULT_BCRYPT_COST = 12;
const MIN_COST = 4;
const MAX_COST = 31;

export interface PasswordHasher {
  /** The bcrypt cost this hasher produces. */
  readonly cost: number;
  /** A new salted bcrypt hash of the pre-hashed password. */
  hash(password: string): Promise<string>;
  /** True when the password matches; false for a wrong password or a malformed hash. */
  verify(password: string, hash: string): Promise<boolean>;
  /**
   * Spends the time of one verify against a hash of this cost, and returns nothing: call it when the
   * user is unknown, so "no such user" and "wrong password" take the same time.
   */
  dummyVerify(): Promise<void>;
  /** True when a stored hash was made with another cost (or is unreadable): rehash it after a successful login. */
  needsRehash(hash: string): boolean;
}

/** base64(sha256(NFKC(password))): 44 ASCII bytes, no NUL, within bcrypt's 72-byte limit. */
export function prehashPassword(password: string): string {
  return createHash('sha256').update(normalizePassword(password), 'utf8').digest('base64');
}

export function createPasswordHasher(cost: number = DEFAULT_BCRYPT_COST): PasswordHasher {
  if (!Number.isInteger(cost) || cost < MIN_COST || cost > MAX_COST) {
    throw new RangeError(`bcrypt cost must be an integer from ${MIN_COST} to ${MAX_COST}, got ${cost}`);
  }

  // A hash of a random secret at the same cost, computed once (in the threadpool) when the hasher is
  // made; dummyVerify compares against it. The no-op catch keeps a failure from being an unhandled
  // rejection at startup; dummyVerify awaits the same promise and so still sees the error.
  const dummyHash = bcrypt.hash(prehashPassword(randomBytes(32).toString('base64')), cost);
  dummyHash.catch(() => undefined);

  return {
    cost,
    hash: (password) => bcrypt.hash(prehashPassword(password), cost),
    async verify(password, hash) {
      if (typeof hash !== 'string' || !hash.startsWith('$2')) return false;
      try {
        return await bcrypt.compare(prehashPassword(password), hash);
      } catch {
        return false;
      }
    },
    async dummyVerify() {
      await bcrypt.compare(prehashPassword(randomBytes(32).toString('base64')), await dummyHash);
    },
    needsRehash(hash) {
      try {
        return bcrypt.getRounds(hash) !== cost;
      } catch {
        return true;
      }
    },
  };
}
