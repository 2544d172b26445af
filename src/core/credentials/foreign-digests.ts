/**
 * Checks passwords against digests imported from other systems (Clerk's CreateUser
 * `password_digest` + `password_hasher`), so migrated users can sign in before we rehash.
 */
import { createCipheriv, createHash, pbkdf2, scrypt, timingSafeEqual } from 'node:crypto';
import type { BinaryLike, ScryptOptions } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { parseOptions as parseArgon2, verify as verifyArgon2 } from '@node-rs/argon2';
import { DomainError } from '../errors.ts';

/** Hashers a client may name as `password_hasher` when importing a digest. */
export const FOREIGN_HASHERS = [
  'bcrypt',
  'md5',
  'sha256',
  'pbkdf2_sha256',
  'pbkdf2_sha256_django',
  'pbkdf2_sha1',
  'scrypt_firebase',
  'argon2i',
  'argon2id',
] as const;

/** One of {@link FOREIGN_HASHERS}. */
export type ForeignHasher = (typeof FOREIGN_HASHERS)[number];

// Digests arrive from untrusted callers and every verify pays their cost, so cost parameters
// are capped well above real-world values but far below anything that could stall the server.
const MAX_BCRYPT_COST = 16;
const MAX_PBKDF2_ITERATIONS = 10_000_000;
// Longer PBKDF2 output repeats the full iteration count per hash block, so it is a cost too.
const MAX_PBKDF2_KEY_BYTES = 64;
// Firebase itself only issues rounds 1-8 and memory cost 1-14; nothing legitimate is larger.
const MAX_FIREBASE_ROUNDS = 8;
const MAX_FIREBASE_MEM_COST = 14;
const MAX_ARGON2_MEMORY_KIB = 256 * 1024;
const MAX_ARGON2_TIME = 16;
const MAX_ARGON2_PARALLELISM = 16;

const HEX = /^[0-9a-fA-F]+$/;
// Buffer's base64 decoder silently skips junk, so the alphabet is checked up front. Both the
// standard and URL-safe alphabets are accepted because exporters differ.
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;
const DECIMAL = /^[1-9][0-9]{0,8}$/;
const BCRYPT = /^\$2[aby]\$([0-9]{2})\$[./A-Za-z0-9]{53}$/;
const ARGON2 =
  /^\$(argon2i|argon2id)\$(?:v=(?:16|19)\$)?m=([0-9]{1,10}),t=([0-9]{1,10}),p=([0-9]{1,3})\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/;

type Pbkdf2Digest = 'sha256' | 'sha1';

/** A digest parsed into exactly what the verifier needs; produced only by {@link parse}. */
type Parsed =
  | { kind: 'bcrypt'; digest: string }
  | { kind: 'plain'; algorithm: 'md5' | 'sha256'; hash: Buffer }
  | { kind: 'pbkdf2'; digest: Pbkdf2Digest; iterations: number; salt: Buffer; hash: Buffer }
  | {
      kind: 'firebase';
      hash: Buffer;
      salt: Buffer;
      signerKey: Buffer;
      saltSeparator: Buffer;
      rounds: number;
      memCost: number;
    }
  | { kind: 'argon2'; digest: string };

function invalid(hasher: ForeignHasher, why: string): DomainError {
  return new DomainError('password_digest_invalid', `password_digest is not a valid ${hasher} digest: ${why}`, {
    param: 'password_digest',
  });
}

function hex(hasher: ForeignHasher, value: string, bytes?: number): Buffer {
  if (!HEX.test(value) || value.length % 2 !== 0) throw invalid(hasher, 'expected hex');
  if (bytes !== undefined && value.length !== bytes * 2) throw invalid(hasher, `expected ${bytes * 2} hex characters`);
  return Buffer.from(value, 'hex');
}

function base64(hasher: ForeignHasher, value: string, what: string): Buffer {
  // A length of 1 mod 4 cannot come from any byte string, so it means truncation.
  if (!BASE64.test(value) || value.replace(/=+$/, '').length % 4 === 1) throw invalid(hasher, `${what} is not base64`);
  return Buffer.from(value, 'base64');
}

function bounded(hasher: ForeignHasher, value: string, what: string, max: number): number {
  const n = DECIMAL.test(value) ? Number(value) : NaN;
  if (!(n >= 1 && n <= max)) throw invalid(hasher, `${what} must be an integer from 1 to ${max}`);
  return n;
}

function pbkdf2Key(hasher: ForeignHasher, key: Buffer): Buffer {
  if (key.length < 16 || key.length > MAX_PBKDF2_KEY_BYTES) {
    throw invalid(hasher, `hash must be 16 to ${MAX_PBKDF2_KEY_BYTES} bytes`);
  }
  return key;
}

function parsePbkdf2(hasher: ForeignHasher, digest: string): Parsed {
  const parts = digest.split('$');
  const prefix = hasher === 'pbkdf2_sha1' ? 'pbkdf2_sha1' : 'pbkdf2_sha256';
  if (parts.length !== 4 || parts[0] !== prefix) throw invalid(hasher, `expected ${prefix}$<iterations>$<salt>$<hash>`);
  const [, iterText, saltText, hashText] = parts;
  const iterations = bounded(hasher, iterText, 'iterations', MAX_PBKDF2_ITERATIONS);
  if (saltText === '') throw invalid(hasher, 'salt is empty');
  switch (hasher) {
    case 'pbkdf2_sha256':
      return { kind: 'pbkdf2', digest: 'sha256', iterations, salt: base64(hasher, saltText, 'salt'), hash: pbkdf2Key(hasher, base64(hasher, hashText, 'hash')) };
    case 'pbkdf2_sha256_django':
      return { kind: 'pbkdf2', digest: 'sha256', iterations, salt: Buffer.from(saltText, 'utf8'), hash: pbkdf2Key(hasher, base64(hasher, hashText, 'hash')) };
    default:
      return { kind: 'pbkdf2', digest: 'sha1', iterations, salt: Buffer.from(saltText, 'utf8'), hash: pbkdf2Key(hasher, hex(hasher, hashText)) };
  }
}

function parseFirebase(digest: string): Parsed {
  const hasher = 'scrypt_firebase';
  const parts = digest.split('$');
  if (parts.length !== 6) {
    throw invalid(hasher, 'expected <hash>$<salt>$<signer key>$<salt separator>$<rounds>$<memory cost>');
  }
  const [hashText, saltText, signerText, separatorText, roundsText, memText] = parts;
  const hash = base64(hasher, hashText, 'hash');
  const salt = base64(hasher, saltText, 'salt');
  const signerKey = base64(hasher, signerText, 'signer key');
  // Firebase projects can use an empty salt separator, so only a present one is decoded.
  const saltSeparator = separatorText === '' ? Buffer.alloc(0) : base64(hasher, separatorText, 'salt separator');
  const rounds = bounded(hasher, roundsText, 'rounds', MAX_FIREBASE_ROUNDS);
  const memCost = bounded(hasher, memText, 'memory cost', MAX_FIREBASE_MEM_COST);
  // AES-CTR preserves length, so a hash of any other length could never match.
  if (hash.length !== signerKey.length) throw invalid(hasher, 'hash and signer key differ in length');
  return { kind: 'firebase', hash, salt, signerKey, saltSeparator, rounds, memCost };
}

function parseArgon(hasher: 'argon2i' | 'argon2id', digest: string): Parsed {
  const m = ARGON2.exec(digest);
  if (!m || m[1] !== hasher) throw invalid(hasher, `expected $${hasher}$v=19$m=<kib>,t=<passes>,p=<lanes>$<salt>$<hash>`);
  bounded(hasher, m[2], 'memory cost', MAX_ARGON2_MEMORY_KIB);
  bounded(hasher, m[3], 'time cost', MAX_ARGON2_TIME);
  bounded(hasher, m[4], 'parallelism', MAX_ARGON2_PARALLELISM);
  try {
    // The native parser catches what a regex cannot, such as a salt too short for argon2.
    parseArgon2(digest);
  } catch (e) {
    throw invalid(hasher, e instanceof Error ? e.message : 'unparseable');
  }
  return { kind: 'argon2', digest };
}

function parse(hasher: ForeignHasher, digest: string): Parsed {
  if (typeof digest !== 'string' || digest === '') throw invalid(hasher, 'digest is empty');
  switch (hasher) {
    case 'bcrypt': {
      const m = BCRYPT.exec(digest);
      if (!m) throw invalid(hasher, 'expected $2a$, $2b$ or $2y$ followed by cost and 53 characters');
      const cost = Number(m[1]);
      if (cost < 4 || cost > MAX_BCRYPT_COST) throw invalid(hasher, `cost must be from 4 to ${MAX_BCRYPT_COST}`);
      return { kind: 'bcrypt', digest };
    }
    case 'md5':
      return { kind: 'plain', algorithm: 'md5', hash: hex(hasher, digest, 16) };
    case 'sha256':
      return { kind: 'plain', algorithm: 'sha256', hash: hex(hasher, digest, 32) };
    case 'pbkdf2_sha256':
    case 'pbkdf2_sha256_django':
    case 'pbkdf2_sha1':
      return parsePbkdf2(hasher, digest);
    case 'scrypt_firebase':
      return parseFirebase(digest);
    case 'argon2i':
    case 'argon2id':
      return parseArgon(hasher, digest);
    default:
      throw invalid(hasher, 'unknown hasher');
  }
}

/**
 * Checks that `digest` is well formed for `hasher` and that its cost parameters are within
 * the limits we are willing to pay on every sign-in. Does no hashing.
 * @throws DomainError('password_digest_invalid', …, { param: 'password_digest' }) when it is not.
 */
export function validateDigest(hasher: ForeignHasher, digest: string): void {
  parse(hasher, digest);
}

function equal(a: Buffer, b: Buffer): boolean {
  // timingSafeEqual throws on a length mismatch; length is public (it is in the digest) anyway.
  return a.length === b.length && timingSafeEqual(a, b);
}

function pbkdf2Async(password: string, salt: Buffer, iterations: number, keylen: number, digest: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    pbkdf2(password, salt, iterations, keylen, digest, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

function scryptAsync(password: BinaryLike, salt: BinaryLike, keylen: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/**
 * Verifies a plaintext password against an imported digest.
 * @returns false for a wrong password; never throws for one.
 * @throws DomainError('password_digest_invalid') only when the digest itself is malformed.
 */
export async function verifyForeignDigest(hasher: ForeignHasher, digest: string, password: string): Promise<boolean> {
  const parsed = parse(hasher, digest);
  switch (parsed.kind) {
    case 'bcrypt': {
      // Rehash with the digest's own salt rather than bcrypt.compare, whose string comparison
      // is not the constant-time primitive we use everywhere else.
      const computed = await bcrypt.hash(password, parsed.digest.slice(0, 29));
      return equal(Buffer.from(computed), Buffer.from(parsed.digest));
    }
    case 'plain':
      return equal(createHash(parsed.algorithm).update(password, 'utf8').digest(), parsed.hash);
    case 'pbkdf2': {
      const key = await pbkdf2Async(password, parsed.salt, parsed.iterations, parsed.hash.length, parsed.digest);
      return equal(key, parsed.hash);
    }
    case 'firebase': {
      const N = 2 ** parsed.memCost;
      const key = await scryptAsync(password, Buffer.concat([parsed.salt, parsed.saltSeparator]), 32, {
        N,
        r: parsed.rounds,
        p: 1,
        // Node refuses anything over 32 MiB by default; the real need is 128·N·r bytes.
        maxmem: 256 * N * parsed.rounds + 32 * 1024 * 1024,
      });
      const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
      const computed = Buffer.concat([cipher.update(parsed.signerKey), cipher.final()]);
      return equal(computed, parsed.hash);
    }
    case 'argon2':
      return verifyArgon2(parsed.digest, password);
  }
}
