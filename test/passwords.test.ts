/**
 * Password policy and hashing (src/core/credentials): normalisation, length and content rules,
 * the breached-password list, argon2id parameters and the hasher's bounded gate.
 */
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { type BreachedPasswords, breachedPasswordsFrom, loadBreachedPasswords } from '../src/core/credentials/breached-passwords.ts';
import { createPasswordHasher, DEFAULT_HASHING, NATIVE_HASHER, type PasswordHasher } from '../src/core/credentials/password-hasher.ts';
import { checkPassword, normalizePassword, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, type PasswordContext } from '../src/core/credentials/password-policy.ts';
import { DomainError } from '../src/core/errors.ts';
import { FAST_HASHING, TEST_BREACHED } from './helpers/backends.ts';

function thrown(run: () => unknown): DomainError {
  try {
    run();
  } catch (e) {
    if (e instanceof DomainError) return e;
    throw e;
  }
  throw new Error('expected a DomainError, but the call succeeded');
}

const NOBODY: PasswordContext = { emails: [], username: null };
const EMPTY_LIST = breachedPasswordsFrom('');
const fast = (over: Partial<typeof DEFAULT_HASHING> = {}) => createPasswordHasher({ ...DEFAULT_HASHING, ...FAST_HASHING, ...over });

/** A random password of `n` url-safe characters. */
const random = (n: number) => randomBytes(n).toString('base64url').slice(0, n);

describe('Unicode normalisation (NFKC)', () => {
  let hasher: PasswordHasher;
  beforeAll(() => {
    hasher = fast();
  });

  const pairs: Array<[string, string, string]> = [
    ['fullwidth letters and digits', 'ｐａｓｓｗｏｒｄ１２３Ｘｙ', 'password123Xy'],
    ['decomposed é against composed é', 'cafe\u0301 au lait, bitte', 'caf\u00e9 au lait, bitte'],
    ['the ﬁ ligature against f + i', 'con\uFB01dential matters', 'confidential matters'],
    ['Ångström sign against Å', 'unit \u212B of length', 'unit \u00C5 of length'],
  ];

  for (const [name, typed, equivalent] of pairs) {
    it(`${name}: either form verifies against a digest of the other`, async () => {
      expect(typed).not.toBe(equivalent);
      expect(normalizePassword(typed)).toBe(normalizePassword(equivalent));
      const digest = await hasher.hash(normalizePassword(typed));
      expect(await hasher.verify(normalizePassword(equivalent), digest, NATIVE_HASHER)).toBe(true);
      expect(await hasher.verify(normalizePassword(typed), digest, NATIVE_HASHER)).toBe(true);
      const back = await hasher.hash(normalizePassword(equivalent));
      expect(await hasher.verify(normalizePassword(typed), back, NATIVE_HASHER)).toBe(true);
      // The hasher itself compares bytes: it is normalisation that makes the forms match.
      expect(normalizePassword(typed)).not.toBe(typed);
      expect(await hasher.verify(typed, digest, NATIVE_HASHER)).toBe(false);
    });
  }

  it('checkPassword returns the normalised form', () => {
    expect(checkPassword('ｐａｓｓｗｏｒｄ１２３Ｘｙ', NOBODY, EMPTY_LIST)).toBe('password123Xy');
    expect(checkPassword('cafe\u0301 au lait, bitte', NOBODY, EMPTY_LIST)).toBe('caf\u00e9 au lait, bitte');
  });
});

describe('length rules', () => {
  it(`rejects ${PASSWORD_MIN_LENGTH - 1} characters as password_too_short, accepts ${PASSWORD_MIN_LENGTH}`, () => {
    expect(PASSWORD_MIN_LENGTH).toBe(8);
    const short = thrown(() => checkPassword('Zq7#kP2', NOBODY, EMPTY_LIST));
    expect(short.code).toBe('password_too_short');
    expect(short.meta).toMatchObject({ param: 'password', min: 8 });
    expect(checkPassword('Zq7#kP2m', NOBODY, EMPTY_LIST)).toBe('Zq7#kP2m');
  });

  it('counts code points after normalisation, not UTF-16 units', () => {
    // Seven emoji are fourteen UTF-16 units but seven characters.
    expect(thrown(() => checkPassword('🔑'.repeat(7), NOBODY, EMPTY_LIST)).code).toBe('password_too_short');
    expect(checkPassword('🔑'.repeat(8), NOBODY, EMPTY_LIST)).toBe('🔑'.repeat(8));
    // Eight code points typed, seven once e + combining acute compose.
    expect(thrown(() => checkPassword('abcdefe\u0301', NOBODY, EMPTY_LIST)).code).toBe('password_too_short');
  });

  it('accepts and verifies 128- and 1000-character passwords; refuses past the maximum', async () => {
    const hasher = fast();
    for (const n of [128, 1000]) {
      const pw = random(n);
      expect(pw).toHaveLength(n);
      const normalized = checkPassword(pw, NOBODY, EMPTY_LIST);
      expect(normalized).toBe(pw);
      const digest = await hasher.hash(normalized);
      expect(await hasher.verify(pw, digest, NATIVE_HASHER)).toBe(true);
      expect(await hasher.verify(pw.slice(0, -1), digest, NATIVE_HASHER)).toBe(false);
    }
    expect(PASSWORD_MAX_LENGTH).toBeGreaterThanOrEqual(1000);
    expect(checkPassword('a'.repeat(7) + random(PASSWORD_MAX_LENGTH - 7), NOBODY, EMPTY_LIST)).toHaveLength(PASSWORD_MAX_LENGTH);
    const long = thrown(() => checkPassword(random(PASSWORD_MAX_LENGTH + 1), NOBODY, EMPTY_LIST));
    expect(long.code).toBe('password_too_long');
    expect(long.meta.param).toBe('password');
  });

  it('does not truncate: 100-byte passwords sharing their first 80 bytes do not verify as each other', async () => {
    const hasher = fast();
    const prefix = random(80);
    const a = prefix + random(20);
    const b = prefix + random(20);
    expect(Buffer.byteLength(a)).toBe(100);
    expect(Buffer.byteLength(b)).toBe(100);
    expect(a).not.toBe(b);
    const digestA = await hasher.hash(a);
    expect(await hasher.verify(a, digestA, NATIVE_HASHER)).toBe(true);
    expect(await hasher.verify(b, digestA, NATIVE_HASHER)).toBe(false);
    expect(await hasher.verify(prefix, digestA, NATIVE_HASHER)).toBe(false);
    expect(await hasher.verify(a, await hasher.hash(b), NATIVE_HASHER)).toBe(false);
  });
});

describe('identifiers inside passwords', () => {
  it('rejects a password containing the email local part or the username, in any case', () => {
    const cases: Array<[string, PasswordContext]> = [
      ['my-johnny-pass-99', { emails: ['johnny@example.com'], username: null }],
      ['XXJOHNNYXX-and-more', { emails: ['other@example.com', 'Johnny@example.com'], username: null }],
      ['zorro_z rides again', { emails: [], username: 'Zorro_Z' }],
      ['ZORRO_Z-rocks-2024', { emails: ['someone@example.com'], username: 'zorro_z' }],
    ];
    for (const [pw, ctx] of cases) {
      const err = thrown(() => checkPassword(pw, ctx, EMPTY_LIST));
      expect(err.code).toBe('password_contains_identifier');
      expect(err.meta.param).toBe('password');
    }
  });

  it('ignores names shorter than three characters and unrelated ones', () => {
    expect(checkPassword('ab-a-long-secret', { emails: ['ab@example.com'], username: 'ab' }, EMPTY_LIST)).toBe('ab-a-long-secret');
    expect(checkPassword('nothing in common', { emails: ['johnny@example.com'], username: 'zorro' }, EMPTY_LIST)).toBe('nothing in common');
  });

  it('compares after normalisation', () => {
    // Fullwidth "johnny" is "johnny" once NFKC-normalised.
    const err = thrown(() => checkPassword('my ｊｏｈｎｎｙ pass', { emails: ['johnny@example.com'], username: null }, EMPTY_LIST));
    expect(err.code).toBe('password_contains_identifier');
  });
});

describe('breached passwords', () => {
  let list: BreachedPasswords;
  beforeAll(async () => {
    list = await loadBreachedPasswords();
  });

  it('loads at least 100,000 entries', () => {
    expect(list.size).toBeGreaterThanOrEqual(100_000);
  });

  it('rejects common passwords, case-insensitively, as password_pwned', () => {
    for (const pw of ['password123', 'iloveyou1234', 'PassWord123', 'qwerty123456', 'letmein123']) {
      expect(list.has(pw)).toBe(true);
      const err = thrown(() => checkPassword(pw, NOBODY, list));
      expect(err.code).toBe('password_pwned');
      expect(err.meta.param).toBe('password');
    }
  });

  it('accepts a random 20-character password', () => {
    const pw = random(20);
    expect(list.has(pw)).toBe(false);
    expect(checkPassword(pw, NOBODY, list)).toBe(pw);
  });

  it('breachedPasswordsFrom keeps entries of 8 or more characters and matches whole entries only', () => {
    const small = breachedPasswordsFrom('short\nExactly8\n  spaced-out  \nsecretpassword\n\n');
    expect(small.size).toBe(3);
    expect(small.has('short')).toBe(false);
    expect(small.has('exactly8')).toBe(true);
    expect(small.has('SPACED-OUT')).toBe(true);
    expect(small.has('secretpasswor')).toBe(false);
    expect(small.has('secretpassword!')).toBe(false);
    expect(TEST_BREACHED.has('password123')).toBe(true);
  });
});

describe('argon2id hashing', () => {
  it('uses the security baseline by default: argon2id, 19 MiB, 2 passes, 1 lane', async () => {
    expect(DEFAULT_HASHING).toMatchObject({ memoryCost: 19456, timeCost: 2 });
    const hasher = createPasswordHasher();
    const digest = await hasher.hash('a default-cost password');
    expect(digest.startsWith('$argon2id$v=19$m=19456,t=2,p=1$')).toBe(true);
    expect(await hasher.verify('a default-cost password', digest, NATIVE_HASHER)).toBe(true);
    expect(await hasher.verify('a default-cost passworD', digest, NATIVE_HASHER)).toBe(false);
    expect(hasher.needsRehash(digest, NATIVE_HASHER)).toBe(false);
    // Salted: the same password hashes differently each time.
    expect(await hasher.hash('a default-cost password')).not.toBe(digest);
  });

  it('needsRehash: true for foreign hashers and weaker argon2 parameters', async () => {
    const strong = createPasswordHasher();
    const weakDigest = await fast().hash('some password here');
    expect(weakDigest.startsWith(`$argon2id$v=19$m=${FAST_HASHING.memoryCost},t=${FAST_HASHING.timeCost},p=1$`)).toBe(true);
    expect(strong.needsRehash(weakDigest, NATIVE_HASHER)).toBe(true);
    const fewerPasses = await createPasswordHasher({ ...DEFAULT_HASHING, timeCost: 1 }).hash('some password here');
    expect(strong.needsRehash(fewerPasses, NATIVE_HASHER)).toBe(true);
    for (const hasher of ['bcrypt', 'md5', 'sha256', 'pbkdf2_sha256', 'pbkdf2_sha256_django', 'pbkdf2_sha1', 'scrypt_firebase', 'argon2i']) {
      expect(strong.needsRehash(weakDigest, hasher)).toBe(true);
    }
    // The weaker hasher considers its own digests current.
    expect(fast().needsRehash(weakDigest, NATIVE_HASHER)).toBe(false);
  });

  it('verify answers false for unknown hashers and garbage digests', async () => {
    const hasher = fast();
    const digest = await hasher.hash('some password here');
    expect(await hasher.verify('some password here', digest, 'rot13')).toBe(false);
    expect(await hasher.verify('some password here', 'not a digest', NATIVE_HASHER)).toBe(false);
  });
});

describe('the bounded hashing gate', () => {
  it('with concurrency 1 and a queue of 2, ten hashes at once: three succeed, seven are refused hasher_busy', async () => {
    const hasher = fast({ concurrency: 1, maxQueue: 2 });
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => hasher.hash(`burst password ${i}`)));
    const ok = results.filter((r): r is PromiseFulfilledResult<string> => r.status === 'fulfilled');
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(ok).toHaveLength(3);
    expect(refused).toHaveLength(7);
    // The first come are served; the rest are refused at once.
    expect(results.slice(0, 3).every((r) => r.status === 'fulfilled')).toBe(true);
    for (const r of refused) {
      expect(r.reason).toBeInstanceOf(DomainError);
      expect((r.reason as DomainError).code).toBe('hasher_busy');
      expect((r.reason as DomainError).meta.retryAfterSeconds).toBeGreaterThan(0);
    }
    for (const [i, r] of ok.entries()) expect(await hasher.verify(`burst password ${i}`, r.value, NATIVE_HASHER)).toBe(true);

    // Once the burst is over the gate is free again, for hashes and verifications alike.
    const again = await Promise.allSettled(Array.from({ length: 3 }, (_, i) => hasher.hash(`after ${i}`)));
    expect(again.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
  });

  it('gates verifications too, and a queue of 0 admits only the running ones', async () => {
    const hasher = fast({ concurrency: 2, maxQueue: 0 });
    const digest = await hasher.hash('gate check password');
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => hasher.verify('gate check password', digest, NATIVE_HASHER)));
    expect(results.filter((r) => r.status === 'fulfilled').map((r) => (r as PromiseFulfilledResult<boolean>).value)).toEqual([true, true]);
    const reasons = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => (r.reason as DomainError).code);
    expect(reasons).toEqual(['hasher_busy', 'hasher_busy', 'hasher_busy', 'hasher_busy']);
  });

  it('a failing task releases its slot', async () => {
    const hasher = fast({ concurrency: 1, maxQueue: 0 });
    // A malformed foreign digest makes the gated task throw.
    await expect(hasher.verify('x', 'not-md5', 'md5')).rejects.toMatchObject({ code: 'password_digest_invalid' });
    expect(await hasher.verify('x', 'not-md5', 'md5').catch((e: DomainError) => e.code)).toBe('password_digest_invalid');
    const digest = await hasher.hash('still works fine');
    expect(await hasher.verify('still works fine', digest, NATIVE_HASHER)).toBe(true);
  });
});
