/**
 * Password policy in the spirit of NIST SP 800-63B §3.1.1.2 (memorized secrets):
 *
 * - length is what matters: at least 8 and at most 256 Unicode code points (not UTF-16 units, not
 *   bytes), counted after NFKC normalization;
 * - long passphrases, spaces and any printable Unicode are welcome; nothing is trimmed or truncated;
 * - no composition rules (no "one digit, one symbol");
 * - a blocklist instead: the common-password list shipped by `@zxcvbn-ts/language-common` (about
 *   49,000 entries, compared case-insensitively), a single character repeated, and the user's own
 *   username, email address or the email's local part;
 * - control characters (and lone UTF-16 surrogates, which cannot be encoded) are refused: they are
 *   almost always a paste or client bug, and would be typed differently on another device.
 *
 * Every password is normalized with NFKC before it is checked *and* before it is hashed (hasher.ts
 * uses the same `normalizePassword`), so "ﬁ" and "fi", or a full-width "Ａ" and "A", are one password
 * however the user's keyboard or OS composes them.
 */
import { dictionary } from '@zxcvbn-ts/language-common';
import { ValidationError } from '@sms/shared/errors';

export const MIN_PASSWORD_CODE_POINTS = 8;
export const MAX_PASSWORD_CODE_POINTS = 256;

/** The policy in a client's words (API documents). */
export const PASSWORD_RULES =
  `${MIN_PASSWORD_CODE_POINTS} to ${MAX_PASSWORD_CODE_POINTS} characters (Unicode code points, after NFKC normalization), ` +
  'not a common password, not one character repeated, not the username or email; refused with the reasons (400). ' +
  'Every character counts: the whole password is SHA-256 pre-hashed before bcrypt, so nothing past bcrypt\'s 72-byte input is ignored.';

export interface PasswordContext {
  username?: string;
  email?: string;
}

/** The one normalization used before every check and every hash. */
export function normalizePassword(password: string): string {
  return password.normalize('NFKC');
}

let commonPasswords: ReadonlySet<string> | undefined;

/** The blocklist, built on first use (~50 ms, ~49k lowercase entries, ordered by frequency upstream). */
function commonPasswordSet(): ReadonlySet<string> {
  commonPasswords ??= new Set(dictionary['passwords-common'].map((p) => p.normalize('NFKC').toLowerCase()));
  return commonPasswords;
}

/** True when the password (after NFKC, case-insensitively) is on the common-password list. */
export function isCommonPassword(password: string): boolean {
  return commonPasswordSet().has(normalizePassword(password).toLowerCase());
}

const CONTROL = /\p{Cc}/u;
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Throws a ValidationError listing every reason the password is refused; returns nothing when it is
 * acceptable. The password itself never appears in the message.
 */
export function checkPassword(password: string, context: PasswordContext = {}): void {
  if (typeof password !== 'string') {
    throw new ValidationError('Password rejected: it must be a string', [{ path: 'password', message: 'must be a string' }]);
  }
  const reasons: string[] = [];

  // NFKC can grow a string (one code point may expand to many), so refuse absurd inputs before doing
  // any work on them; 4 UTF-16 units per allowed code point is far more than any real password needs.
  if (password.length > MAX_PASSWORD_CODE_POINTS * 4) {
    reasons.push(`must be at most ${MAX_PASSWORD_CODE_POINTS} characters`);
  } else {
    const normalized = normalizePassword(password);
    const codePoints = Array.from(normalized);
    const lower = normalized.toLowerCase();

    if (codePoints.length < MIN_PASSWORD_CODE_POINTS) reasons.push(`must be at least ${MIN_PASSWORD_CODE_POINTS} characters`);
    if (codePoints.length > MAX_PASSWORD_CODE_POINTS) reasons.push(`must be at most ${MAX_PASSWORD_CODE_POINTS} characters`);
    if (CONTROL.test(normalized)) reasons.push('must not contain control characters');
    if (LONE_SURROGATE.test(normalized)) reasons.push('must not contain invalid Unicode (unpaired surrogates)');
    if (commonPasswordSet().has(lower)) reasons.push('is a commonly used password');
    else if (codePoints.length > 0 && codePoints.every((c) => c === codePoints[0])) reasons.push('must not be a single character repeated');
    if (matchesContext(lower, context)) reasons.push('must not be your username or email address');
  }

  if (reasons.length > 0) {
    throw new ValidationError(
      `Password rejected: it ${reasons.join('; it ')}`,
      reasons.map((message) => ({ path: 'password', message })),
    );
  }
}

function matchesContext(lowerPassword: string, { username, email }: PasswordContext): boolean {
  const forbidden: string[] = [];
  if (username) forbidden.push(username);
  if (email) {
    forbidden.push(email);
    const at = email.lastIndexOf('@');
    if (at > 0) forbidden.push(email.slice(0, at));
  }
  return forbidden.some((value) => value.normalize('NFKC').toLowerCase() === lowerPassword);
}
