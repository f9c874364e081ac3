import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type JsonWebKey, type KeyObject } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * ES256 (P-256) signing keys with rotation.
 *
 * Production: `AUTH_SIGNING_KEYS` holds one or more PKCS#8 PEM private keys, concatenated. The first
 * signs; the others are previous keys, still published in the JWKS so tokens they signed keep
 * verifying. Rotation without downtime: (1) deploy `new + old` (new signs, both published); (2) after
 * the access-token lifetime (plus the verifiers' JWKS cache age), deploy `new` alone.
 *
 * Development: with no keys configured and `allowGenerate`, one key is generated into
 * `<keyDir>/current.pem` (mode 0600) and reused across restarts.
 *
 * The `kid` is the RFC 7638 JWK thumbprint of the public key: stable, derived, never configured.
 */

export const SIGNING_ALG = 'ES256';
const CURVE = 'P-256';
const NODE_CURVE = 'prime256v1';
const DEV_KEY_FILE = 'current.pem';

/** A public key as published at `/.well-known/jwks.json`: no private members. */
export interface PublishedJwk extends JsonWebKey {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
  kid: string;
  alg: 'ES256';
  use: 'sig';
}

export interface PublicSigningKey {
  kid: string;
  publicKey: KeyObject;
  publicJwk: PublishedJwk;
}

export interface KeyRing {
  /** The key every new token is signed with (the first configured one). */
  readonly current: { kid: string; privateKey: KeyObject; publicJwk: PublishedJwk };
  /** Every published key, current first. */
  readonly all: readonly PublicSigningKey[];
  /** The JWKS document (public members only). */
  jwks(): { keys: PublishedJwk[] };
}

export interface LoadSigningKeysOptions {
  /** `AUTH_SIGNING_KEYS`: concatenated PEM private keys, current first. Empty/blank counts as absent. */
  privateKeysPem?: string;
  /** Where the development key lives, e.g. `<repo>/.local/auth-keys`. */
  keyDir: string;
  /** Generate (once) and reuse a development key when no PEM is given. False in production. */
  allowGenerate: boolean;
}

/** RFC 7638 thumbprint of an EC public key: base64url(SHA-256(`{"crv","kty","x","y"}` canonical JSON)). */
export function jwkThumbprint(jwk: { crv: string; kty: string; x: string; y: string }): string {
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
  return createHash('sha256').update(canonical, 'utf8').digest('base64url');
}

function publicPart(privateKey: KeyObject, source: string): PublicSigningKey & { privateKey: KeyObject } {
  if (privateKey.asymmetricKeyType !== 'ec' || privateKey.asymmetricKeyDetails?.namedCurve !== NODE_CURVE) {
    throw new Error(`${source}: signing keys must be EC P-256 (ES256) private keys`);
  }
  const publicKey = createPublicKey(privateKey);
  const { kty, crv, x, y } = publicKey.export({ format: 'jwk' });
  if (kty !== 'EC' || crv !== CURVE || typeof x !== 'string' || typeof y !== 'string') {
    throw new Error(`${source}: signing keys must be EC P-256 (ES256) private keys`);
  }
  const kid = jwkThumbprint({ crv, kty, x, y });
  const publicJwk: PublishedJwk = Object.freeze({ kty, crv, x, y, kid, alg: SIGNING_ALG, use: 'sig' });
  return { kid, publicKey, privateKey, publicJwk };
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

/** Splits concatenated PEM blocks. Tolerates literal `\n` escapes (keys pasted into a .env or a compose file). */
function splitPem(text: string): string[] {
  const normalized = text.replace(/\\n/g, '\n').replace(/\r\n/g, '\n');
  return [...normalized.matchAll(PEM_BLOCK)].map((m) => m[0]);
}

function parsePrivateKey(pem: string, source: string): KeyObject {
  try {
    return createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    // Never echo the key material or the parser's message (it may quote it).
    throw new Error(`${source}: not a readable PEM private key (expected PKCS#8 "BEGIN PRIVATE KEY")`);
  }
}

function ringOf(keys: Array<PublicSigningKey & { privateKey: KeyObject }>): KeyRing {
  const [current] = keys;
  if (!current) throw new Error('no signing keys');
  const seen = new Set<string>();
  for (const k of keys) {
    if (seen.has(k.kid)) throw new Error(`AUTH_SIGNING_KEYS lists the same key twice (kid ${k.kid})`);
    seen.add(k.kid);
  }
  const all: readonly PublicSigningKey[] = Object.freeze(
    keys.map(({ kid, publicKey, publicJwk }) => Object.freeze({ kid, publicKey, publicJwk })),
  );
  return Object.freeze({
    current: Object.freeze({ kid: current.kid, privateKey: current.privateKey, publicJwk: current.publicJwk }),
    all,
    jwks: () => ({ keys: all.map((k) => ({ ...k.publicJwk })) }),
  });
}

function readDevKey(file: string): KeyObject | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const pems = splitPem(text);
  if (pems.length !== 1 || pems[0] === undefined) throw new Error(`${file}: expected exactly one PEM private key`);
  return parsePrivateKey(pems[0], file);
}

function loadOrGenerateDevKey(keyDir: string): KeyObject {
  const file = join(keyDir, DEV_KEY_FILE);
  const existing = readDevKey(file);
  if (existing) return existing;
  mkdirSync(keyDir, { recursive: true, mode: 0o700 });
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: NODE_CURVE });
  try {
    // 'wx': never overwrite; if another process wrote the key meanwhile, use theirs.
    writeFileSync(file, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600, flag: 'wx' });
    return privateKey;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const theirs = readDevKey(file);
    if (!theirs) throw err;
    return theirs;
  }
}

export function loadSigningKeys(opts: LoadSigningKeysOptions): KeyRing {
  const configured = opts.privateKeysPem?.trim() ?? '';
  if (configured !== '') {
    const pems = splitPem(configured);
    if (pems.length === 0) {
      throw new Error('AUTH_SIGNING_KEYS holds no PEM block; expected one or more PKCS#8 EC P-256 private keys, current first');
    }
    return ringOf(pems.map((pem, i) => publicPart(parsePrivateKey(pem, `AUTH_SIGNING_KEYS key #${i + 1}`), `AUTH_SIGNING_KEYS key #${i + 1}`)));
  }
  if (!opts.allowGenerate) {
    throw new Error(
      'no signing keys: set AUTH_SIGNING_KEYS to one or more PKCS#8 EC P-256 private keys (PEM, current first); ' +
        'generate one with `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256`',
    );
  }
  const file = join(opts.keyDir, DEV_KEY_FILE);
  return ringOf([publicPart(loadOrGenerateDevKey(opts.keyDir), file)]);
}
