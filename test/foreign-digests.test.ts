import { describe, it, expect } from 'vitest';
import { createCipheriv, createHash, pbkdf2Sync, randomBytes, scryptSync } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { hash as argon2Hash } from '@node-rs/argon2';
import type { Algorithm } from '@node-rs/argon2';
import { FOREIGN_HASHERS, validateDigest, verifyForeignDigest } from '../src/core/credentials/foreign-digests.ts';
import type { ForeignHasher } from '../src/core/credentials/foreign-digests.ts';
import { DomainError } from '../src/core/errors.ts';

// The package declares Algorithm as an ambient const enum, which verbatimModuleSyntax forbids
// reading, so its documented values are spelled out.
const ARGON2I = 1 as Algorithm;
const ARGON2ID = 2 as Algorithm;

const PASSWORD = 'correct horse battery stäple';
const WRONG = 'correct horse battery staple';

function firebaseDigest(password: string, rounds: number, memCost: number): string {
  const salt = randomBytes(12);
  const separator = Buffer.from('Bw==', 'base64');
  const signerKey = randomBytes(64);
  const key = scryptSync(password, Buffer.concat([salt, separator]), 32, { N: 2 ** memCost, r: rounds, p: 1, maxmem: 64 * 1024 * 1024 });
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  const hash = Buffer.concat([cipher.update(signerKey), cipher.final()]);
  return [hash, salt, signerKey, separator].map((b) => b.toString('base64')).concat(String(rounds), String(memCost)).join('$');
}

/** A real digest of `password` for each hasher, generated with an independent implementation. */
const generators: Record<ForeignHasher, (password: string) => Promise<string> | string> = {
  bcrypt: (p) => bcrypt.hash(p, 4),
  md5: (p) => createHash('md5').update(p).digest('hex'),
  sha256: (p) => createHash('sha256').update(p).digest('hex'),
  pbkdf2_sha256: (p) => {
    const salt = randomBytes(16);
    return `pbkdf2_sha256$1000$${salt.toString('base64')}$${pbkdf2Sync(p, salt, 1000, 32, 'sha256').toString('base64')}`;
  },
  pbkdf2_sha256_django: (p) => `pbkdf2_sha256$1000$s0mesalt$${pbkdf2Sync(p, 's0mesalt', 1000, 32, 'sha256').toString('base64')}`,
  pbkdf2_sha1: (p) => `pbkdf2_sha1$1000$s0mesalt$${pbkdf2Sync(p, 's0mesalt', 1000, 20, 'sha1').toString('hex')}`,
  scrypt_firebase: (p) => firebaseDigest(p, 8, 10),
  argon2i: (p) => argon2Hash(p, { algorithm: ARGON2I, memoryCost: 1024, timeCost: 2 }),
  argon2id: (p) => argon2Hash(p, { algorithm: ARGON2ID, memoryCost: 1024, timeCost: 2 }),
};

const malformed: Record<ForeignHasher, string[]> = {
  bcrypt: ['$2x$04$abcdefghijklmnopqrstuv0123456789012345678901234567890', '$2b$04$short', '$2b$17$' + 'a'.repeat(53), '$2b$03$' + 'a'.repeat(53)],
  md5: ['5f4dcc3b5aa765d61d8327deb882cf9', 'zf4dcc3b5aa765d61d8327deb882cf99', '5f4dcc3b5aa765d61d8327deb882cf99aa'],
  sha256: ['abc', 'g'.repeat(64), '5f4dcc3b5aa765d61d8327deb882cf99'],
  pbkdf2_sha256: [
    'pbkdf2_sha256$1000$c2FsdA==',
    'pbkdf2_sha1$1000$c2FsdA==$' + 'A'.repeat(44),
    'pbkdf2_sha256$0$c2FsdA==$' + 'A'.repeat(44),
    'pbkdf2_sha256$10000001$c2FsdA==$' + 'A'.repeat(44),
    'pbkdf2_sha256$1000$not base64!$' + 'A'.repeat(44),
    'pbkdf2_sha256$1000$c2FsdA==$' + 'A'.repeat(200),
  ],
  pbkdf2_sha256_django: ['pbkdf2_sha256$1000$$' + 'A'.repeat(44), 'pbkdf2_sha256$abc$salt$' + 'A'.repeat(44), 'pbkdf2_sha256$1000$salt$***'],
  pbkdf2_sha1: ['pbkdf2_sha1$1000$salt$xyz', 'pbkdf2_sha1$1000$salt$' + 'A'.repeat(28), 'pbkdf2_sha1$-5$salt$' + 'ab'.repeat(20)],
  scrypt_firebase: ['a$b$c', 'AAAA$AAAA$AAAA$Bw==$8$21', 'AAAA$AAAA$AAAA$Bw==$9$14', 'AAAA$AAAA$AAAAAAAA$Bw==$8$14', '!!$AAAA$AAAA$Bw==$8$14'],
  argon2i: ['$argon2id$v=19$m=1024,t=2,p=1$c29tZXNhbHQ$aGFzaGhhc2hoYXNo', '$argon2i$v=19$m=99999999,t=2,p=1$c29tZXNhbHQ$aGFzaA', 'argon2i', '$argon2i$v=19$m=1024,t=2,p=1$c2E$aGFzaGhhc2hoYXNo'],
  argon2id: ['$argon2i$v=19$m=1024,t=2,p=1$c29tZXNhbHQ$aGFzaGhhc2hoYXNo', '$argon2id$v=19$m=1024,t=99,p=1$c29tZXNhbHQ$aGFzaA', ''],
};

async function expectInvalid(run: () => unknown): Promise<void> {
  let caught: unknown;
  try {
    await run();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(DomainError);
  expect((caught as DomainError).code).toBe('password_digest_invalid');
  expect((caught as DomainError).meta.param).toBe('password_digest');
}

describe('foreign password digests', () => {
  for (const hasher of FOREIGN_HASHERS) {
    describe(hasher, () => {
      it('verifies the right password and rejects a wrong one', async () => {
        const digest = await generators[hasher](PASSWORD);
        if (hasher.startsWith('argon2')) expect(digest.startsWith(`$${hasher}$`)).toBe(true);
        expect(() => validateDigest(hasher, digest)).not.toThrow();
        expect(await verifyForeignDigest(hasher, digest, PASSWORD)).toBe(true);
        expect(await verifyForeignDigest(hasher, digest, WRONG)).toBe(false);
        expect(await verifyForeignDigest(hasher, digest, '')).toBe(false);
      });

      it('rejects malformed digests with password_digest_invalid', async () => {
        for (const digest of malformed[hasher]) {
          await expectInvalid(() => validateDigest(hasher, digest));
          await expectInvalid(() => verifyForeignDigest(hasher, digest, PASSWORD));
        }
      });
    });
  }

  describe('published vectors', () => {
    it('md5 and sha256 of "password"', async () => {
      expect(await verifyForeignDigest('md5', '5f4dcc3b5aa765d61d8327deb882cf99', 'password')).toBe(true);
      expect(await verifyForeignDigest('md5', '5F4DCC3B5AA765D61D8327DEB882CF99', 'password')).toBe(true);
      const sha = '5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8';
      expect(await verifyForeignDigest('sha256', sha, 'password')).toBe(true);
      expect(await verifyForeignDigest('sha256', sha, 'Password')).toBe(false);
    });

    it("Django's own pbkdf2 test vectors", async () => {
      // From Django's test_hashers.py (password 'lètmein', salt 'seasalt').
      const django = 'pbkdf2_sha256$10000$seasalt$CWWFdHOWwPnki7HvkcqN9iA2T3KLW1cf2uZ5kvArtVY=';
      expect(await verifyForeignDigest('pbkdf2_sha256_django', django, 'lètmein')).toBe(true);
      expect(await verifyForeignDigest('pbkdf2_sha256_django', django, 'lètmeinz')).toBe(false);
      // Django stores the sha1 key as base64; this format wants the same bytes as hex.
      const sha1Hex = Buffer.from('oAfF6vgs95ncksAhGXOWf4Okq7o=', 'base64').toString('hex');
      expect(await verifyForeignDigest('pbkdf2_sha1', `pbkdf2_sha1$10000$seasalt$${sha1Hex}`, 'lètmein')).toBe(true);
    });

    it("Firebase's published scrypt example", async () => {
      // From the firebase/scrypt README: password 'user1password', rounds 8, mem_cost 14.
      const digest = [
        'lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==',
        '42xEC+ixf3L2lw==',
        'jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==',
        'Bw==',
        '8',
        '14',
      ].join('$');
      expect(await verifyForeignDigest('scrypt_firebase', digest, 'user1password')).toBe(true);
      expect(await verifyForeignDigest('scrypt_firebase', digest, 'user2password')).toBe(false);
    });
  });

  it('accepts $2a$ and $2y$ bcrypt prefixes', async () => {
    const digest = await bcrypt.hash(PASSWORD, 4);
    for (const prefix of ['$2a$', '$2y$']) {
      expect(await verifyForeignDigest('bcrypt', prefix + digest.slice(4), PASSWORD)).toBe(true);
      expect(await verifyForeignDigest('bcrypt', prefix + digest.slice(4), WRONG)).toBe(false);
    }
  });
});
