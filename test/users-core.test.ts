/**
 * The users core (services built by createApp) on every backend, called directly: no HTTP.
 * What matters here is the domain rules and their atomicity, checked against the real database.
 */
import { createHash, pbkdf2Sync, randomBytes } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError } from '../src/core/errors.ts';
import type { User } from '../src/core/users/types.ts';
import { BACKENDS, startServer, type TestServer } from './helpers/backends.ts';
import { waitForNoSessions } from './helpers/pg-drain.ts';

async function domainError(p: Promise<unknown>): Promise<DomainError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof DomainError) return e;
    throw e;
  }
  throw new Error('expected a DomainError, but the call succeeded');
}

/** A unique tag per call, so tests sharing one server never collide on identifiers. */
let counter = 0;
const tag = () => `${Date.now().toString(36)}${(counter++).toString(36)}`;

describe.each(BACKENDS)('users core (%s)', (backend) => {
  let server: TestServer;
  let lenient: TestServer;

  beforeAll(async () => {
    [server, lenient] = await Promise.all([startServer(backend), startServer(backend, { LATCHKEY_REQUIRE_IDENTIFIER: 'false' })]);
  });
  /** Closes the app, waits for its sessions to end, then lets the helper drop the database. */
  async function shutdown(s: TestServer | undefined): Promise<void> {
    if (!s) return;
    await s.app.close();
    await waitForNoSessions(s.config.databaseUrl);
    await s.close();
  }
  afterAll(async () => {
    await Promise.all([shutdown(server), shutdown(lenient)]);
  });

  const users = () => server.app.services.users;
  const identifiers = () => server.app.services.identifiers;
  const db = () => server.app.database.db;

  async function events(subjectId?: string): Promise<Array<{ type: string; subject_id: string }>> {
    let q = db().selectFrom('events').select(['type', 'subject_id']).orderBy('id');
    if (subjectId) q = q.where('subject_id', '=', subjectId);
    return q.execute();
  }
  async function storedPassword(id: string) {
    return db().selectFrom('users').select(['password_digest', 'password_hasher']).where('id', '=', id).executeTakeFirstOrThrow();
  }

  describe('createUser is all or nothing', () => {
    it('writes nothing when a later identifier collides with an existing one', async () => {
      const t = tag();
      await users().create({ emailAddresses: [`taken-${t}@x.com`] });
      const before = { users: await users().count({}), events: (await events()).length };

      const err = await domainError(users().create({ emailAddresses: [`new-${t}@x.com`, `Taken-${t}@X.com`], username: `u${t}`, password: 'a fine long passphrase' }));
      expect(err.code).toBe('identifier_exists');
      expect(err.meta.param).toBe('email_address');
      expect(await users().count({})).toBe(before.users);
      expect((await events()).length).toBe(before.events);
      expect(await users().count({ emailAddresses: [`new-${t}@x.com`] })).toBe(0);
      expect(await users().count({ usernames: [`u${t}`] })).toBe(0);

      // The first email, and the username, are still free.
      const ok = await users().create({ emailAddresses: [`new-${t}@x.com`], username: `u${t}` });
      expect(ok.identifiers.map((i) => i.value)).toEqual([`new-${t}@x.com`]);
    });

    it('writes nothing when a phone number, username or external id is taken', async () => {
      const t = tag();
      await users().create({ emailAddresses: [`owner-${t}@x.com`], phoneNumbers: ['+44 20 7946 0958'], username: `Owner${t}`, externalId: `ext-${t}` });
      const before = await users().count({});

      const phone = await domainError(users().create({ emailAddresses: [`p-${t}@x.com`], phoneNumbers: ['+442079460958'] }));
      expect([phone.code, phone.meta.param]).toEqual(['identifier_exists', 'phone_number']);
      const name = await domainError(users().create({ emailAddresses: [`n-${t}@x.com`], username: `OWNER${t}`.toLowerCase() }));
      expect([name.code, name.meta.param]).toEqual(['username_exists', 'username']);
      const ext = await domainError(users().create({ emailAddresses: [`e-${t}@x.com`], externalId: `ext-${t}` }));
      expect([ext.code, ext.meta.param]).toEqual(['external_id_exists', 'external_id']);

      expect(await users().count({})).toBe(before);
      expect(await users().count({ emailAddresses: [`p-${t}@x.com`, `n-${t}@x.com`, `e-${t}@x.com`] })).toBe(0);
    });

    it('refuses the same identifier twice in one request, before writing anything', async () => {
      const t = tag();
      const before = await users().count({});
      const emails = await domainError(users().create({ emailAddresses: [`dup-${t}@x.com`, `DUP-${t}@X.COM`] }));
      expect([emails.code, emails.meta.param]).toEqual(['identifier_exists', 'email_address']);
      const phones = await domainError(users().create({ emailAddresses: [`ok-${t}@x.com`], phoneNumbers: ['+1 415-555-2671', '+14155552671'] }));
      expect([phones.code, phones.meta.param]).toEqual(['identifier_exists', 'phone_number']);
      const wallet = `0x${randomBytes(20).toString('hex')}`;
      const wallets = await domainError(users().create({ web3Wallets: [wallet, wallet.toUpperCase().replace('0X', '0x')] }));
      expect([wallets.code, wallets.meta.param]).toEqual(['identifier_exists', 'web3_wallet']);
      expect(await users().count({})).toBe(before);
      expect(await users().count({ emailAddresses: [`dup-${t}@x.com`, `ok-${t}@x.com`] })).toBe(0);
    });

    it('the first identifier of each kind becomes primary', async () => {
      const t = tag();
      const u = await users().create({ emailAddresses: [`a-${t}@x.com`, `b-${t}@x.com`], phoneNumbers: ['+33 6 12 34 56 78'] });
      const byValue = (v: string) => u.identifiers.find((i) => i.value === v);
      expect(u.primaryEmailAddressId).toBe(byValue(`a-${t}@x.com`)?.id);
      expect(u.primaryPhoneNumberId).toBe(byValue('+33612345678')?.id);
      expect(u.primaryWeb3WalletId).toBeNull();
      expect(u.identifiers.every((i) => i.verified && i.verificationStrategy === 'admin')).toBe(true);
    });

    it('returns identifiers in the order they were given', async () => {
      // Several users with several emails each: the order must hold every time, not by luck.
      for (let n = 0; n < 8; n++) {
        const t = tag();
        const emails = Array.from({ length: 8 }, (_, i) => `order${i}-${t}@x.com`);
        const created = await users().create({ emailAddresses: emails });
        expect(created.identifiers.map((i) => i.value)).toEqual(emails);
        expect((await users().get(created.id)).identifiers.map((i) => i.value)).toEqual(emails);
      }
    });
  });

  describe('the identifier requirement', () => {
    it('is enforced by default: no identifier, no user', async () => {
      const before = await users().count({});
      const err = await domainError(users().create({ username: `lonely${tag()}` }));
      expect([err.code, err.meta.param]).toEqual(['identifier_required', 'email_address']);
      expect(await users().count({})).toBe(before);
    });

    it('can be turned off with LATCHKEY_REQUIRE_IDENTIFIER=false', async () => {
      expect(lenient.config.requireIdentifier).toBe(false);
      const u = await lenient.app.services.users.create({ username: `lonely${tag()}` });
      expect(u.identifiers).toEqual([]);
      expect(u.primaryEmailAddressId).toBeNull();
      expect((await lenient.app.services.users.get(u.id)).username).toBe(u.username);
    });

    it('deleting the last identifier fails with last_identifier when required', async () => {
      const u = await users().create({ emailAddresses: [`last-${tag()}@x.com`] });
      const [only] = u.identifiers;
      const err = await domainError(identifiers().delete(only.id, 'email_address'));
      expect(err.code).toBe('last_identifier');
      const after = await users().get(u.id);
      expect(after.identifiers.map((i) => i.id)).toEqual([only.id]);
      expect(after.primaryEmailAddressId).toBe(only.id);
    });

    it('deleting one of several identifiers is fine when required', async () => {
      const t = tag();
      const u = await users().create({ emailAddresses: [`keep-${t}@x.com`], phoneNumbers: ['+49 30 901820'] });
      const phone = u.identifiers.find((i) => i.type === 'phone_number') as User['identifiers'][number];
      // Phone numbers are unique across users too, so free it for later tests either way.
      await identifiers().delete(phone.id, 'phone_number');
      const after = await users().get(u.id);
      expect(after.identifiers.map((i) => i.value)).toEqual([`keep-${t}@x.com`]);
      expect(after.primaryPhoneNumberId).toBeNull();
      // With the phone gone, the email is the last one.
      expect((await domainError(identifiers().delete(after.identifiers[0].id, 'email_address'))).code).toBe('last_identifier');
    });

    it('deleting the last identifier is allowed when not required', async () => {
      const svc = lenient.app.services;
      const u = await svc.users.create({ emailAddresses: [`bye-${tag()}@x.com`] });
      await svc.identifiers.delete(u.identifiers[0].id, 'email_address');
      const after = await svc.users.get(u.id);
      expect(after.identifiers).toEqual([]);
      expect(after.primaryEmailAddressId).toBeNull();
    });
  });

  describe('primary identifiers', () => {
    it('deleting the primary email hands primary to the next verified one', async () => {
      const t = tag();
      const u = await users().create({ emailAddresses: [`first-${t}@x.com`] });
      const unverified = await identifiers().add({ userId: u.id, type: 'email_address', value: `second-${t}@x.com`, verified: false });
      const verified = await identifiers().add({ userId: u.id, type: 'email_address', value: `third-${t}@x.com`, verified: true });
      expect((await users().get(u.id)).primaryEmailAddressId).toBe(u.identifiers[0].id);

      await identifiers().delete(u.identifiers[0].id, 'email_address');
      const after = await users().get(u.id);
      expect(after.primaryEmailAddressId).toBe(verified.id);
      expect(after.identifiers.map((i) => i.id).sort()).toEqual([unverified.id, verified.id].sort());
    });

    it('deleting a non-primary email leaves the primary alone', async () => {
      const t = tag();
      const u = await users().create({ emailAddresses: [`p-${t}@x.com`] });
      const extra = await identifiers().add({ userId: u.id, type: 'email_address', value: `x-${t}@x.com`, verified: true });
      await identifiers().delete(extra.id, 'email_address');
      const after = await users().get(u.id);
      expect(after.primaryEmailAddressId).toBe(u.identifiers[0].id);
      expect(after.identifiers.map((i) => i.value)).toEqual([`p-${t}@x.com`]);
    });

    it('a primary identifier must be verified', async () => {
      const t = tag();
      const u = await users().create({ emailAddresses: [`v-${t}@x.com`] });
      const primary = u.identifiers[0].id;
      const pending = await identifiers().add({ userId: u.id, type: 'email_address', value: `pending-${t}@x.com`, verified: false });
      expect(pending.verified).toBe(false);

      const viaUser = await domainError(users().update(u.id, { primaryEmailAddressId: pending.id }));
      expect([viaUser.code, viaUser.meta.param]).toEqual(['primary_identifier_unverified', 'primary_email_address_id']);
      const viaIdent = await domainError(identifiers().update(pending.id, 'email_address', { primary: true }));
      expect(viaIdent.code).toBe('primary_identifier_unverified');
      const viaAdd = await domainError(identifiers().add({ userId: u.id, type: 'email_address', value: `never-${t}@x.com`, verified: false, primary: true }));
      expect(viaAdd.code).toBe('primary_identifier_unverified');

      let now = await users().get(u.id);
      expect(now.primaryEmailAddressId).toBe(primary);
      // The refused add wrote nothing.
      expect(now.identifiers.map((i) => i.value).sort()).toEqual([`pending-${t}@x.com`, `v-${t}@x.com`]);
      expect(await users().count({ emailAddresses: [`never-${t}@x.com`] })).toBe(0);

      // Verified first, it may become primary.
      await identifiers().update(pending.id, 'email_address', { verified: true, primary: true });
      now = await users().get(u.id);
      expect(now.primaryEmailAddressId).toBe(pending.id);
      expect(now.identifiers.find((i) => i.id === pending.id)?.verified).toBe(true);
      await users().update(u.id, { primaryEmailAddressId: primary });
      expect((await users().get(u.id)).primaryEmailAddressId).toBe(primary);
    });
  });

  describe('metadata', () => {
    it('merges deeply and removes keys set to null', async () => {
      const u = await users().create({
        emailAddresses: [`meta-${tag()}@x.com`],
        publicMetadata: { a: { b: 1, c: 2 }, keep: true, list: [1, 2] },
        privateMetadata: { secret: 's' },
      });
      const merged = await users().mergeMetadata(u.id, { publicMetadata: { a: { c: null, d: 3 }, list: [3], gone: null, added: { x: 'y' } } });
      expect(merged.publicMetadata).toEqual({ a: { b: 1, d: 3 }, keep: true, list: [3], added: { x: 'y' } });
      expect(merged.privateMetadata).toEqual({ secret: 's' });
      expect(merged.unsafeMetadata).toEqual({});
      const again = await users().mergeMetadata(u.id, { privateMetadata: { secret: null }, unsafeMetadata: { theme: 'dark' } });
      expect(again.publicMetadata).toEqual(merged.publicMetadata);
      expect(again.privateMetadata).toEqual({});
      expect(again.unsafeMetadata).toEqual({ theme: 'dark' });
      expect((await users().get(u.id)).unsafeMetadata).toEqual({ theme: 'dark' });
    });

    it('20 concurrent merges of distinct keys all survive', async () => {
      const u = await users().create({ emailAddresses: [`race-${tag()}@x.com`], publicMetadata: { base: 0 } });
      const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => users().mergeMetadata(u.id, { publicMetadata: { [`k${i}`]: i } })));
      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
      const expected: Record<string, number> = { base: 0 };
      for (let i = 0; i < 20; i++) expected[`k${i}`] = i;
      expect((await users().get(u.id)).publicMetadata).toEqual(expected);
    });

    it('refuses to merge into a user that does not exist', async () => {
      const err = await domainError(users().mergeMetadata('user_missing', { publicMetadata: { a: 1 } }));
      expect([err.code, err.meta.param]).toEqual(['user_not_found', 'user_id']);
    });
  });

  describe('imported password digests', () => {
    const PASSWORD = 'imported pässword 42';
    const WRONG = 'imported password 42';
    const digests: Record<string, (p: string) => string> = {
      bcrypt: (p) => bcrypt.hashSync(p, 4),
      md5: (p) => createHash('md5').update(p, 'utf8').digest('hex'),
      pbkdf2_sha256_django: (p) => `pbkdf2_sha256$1000$djangoSalt123$${pbkdf2Sync(p, 'djangoSalt123', 1000, 32, 'sha256').toString('base64')}`,
    };

    for (const [hasher, make] of Object.entries(digests)) {
      it(`${hasher}: verifies, then is replaced by argon2id`, async () => {
        const digest = make(PASSWORD);
        const u = await users().create({ emailAddresses: [`${hasher}-${tag()}@x.com`], passwordDigest: digest, passwordHasher: hasher });
        expect(u.passwordEnabled).toBe(true);
        expect(await storedPassword(u.id)).toEqual({ password_digest: digest, password_hasher: hasher });

        const wrong = await domainError(users().verifyPassword(u.id, WRONG));
        expect([wrong.code, wrong.meta.param]).toEqual(['password_incorrect', 'password']);
        // A failed check changes nothing.
        expect(await storedPassword(u.id)).toEqual({ password_digest: digest, password_hasher: hasher });

        expect(await users().verifyPassword(u.id, PASSWORD)).toBe(true);
        const rehashed = await storedPassword(u.id);
        expect(rehashed.password_hasher).toBe('argon2id');
        expect(rehashed.password_digest).toMatch(/^\$argon2id\$v=19\$m=\d+,t=\d+,p=1\$/);
        expect(rehashed.password_digest).not.toBe(digest);

        expect(await users().verifyPassword(u.id, PASSWORD)).toBe(true);
        // A native digest at current parameters is left alone.
        expect((await storedPassword(u.id)).password_digest).toBe(rehashed.password_digest);
        expect((await domainError(users().verifyPassword(u.id, WRONG))).code).toBe('password_incorrect');
      });
    }

    it('refuses a malformed digest and writes nothing', async () => {
      const t = tag();
      const err = await domainError(users().create({ emailAddresses: [`bad-${t}@x.com`], passwordDigest: 'not-md5', passwordHasher: 'md5' }));
      expect([err.code, err.meta.param]).toEqual(['password_digest_invalid', 'password_digest']);
      expect(await users().count({ emailAddresses: [`bad-${t}@x.com`] })).toBe(0);
    });

    it('reports password_not_set and user_not_found', async () => {
      const u = await users().create({ emailAddresses: [`nopw-${tag()}@x.com`] });
      expect((await domainError(users().verifyPassword(u.id, 'anything at all'))).code).toBe('password_not_set');
      expect((await domainError(users().verifyPassword('user_missing', 'anything at all'))).code).toBe('user_not_found');
    });

    it('a plaintext password is stored as argon2id and verifies', async () => {
      const u = await users().create({ emailAddresses: [`plain-${tag()}@x.com`], password: 'a perfectly fine passphrase' });
      expect((await storedPassword(u.id)).password_hasher).toBe('argon2id');
      expect(await users().verifyPassword(u.id, 'a perfectly fine passphrase')).toBe(true);
      expect((await domainError(users().verifyPassword(u.id, 'a perfectly fine passphrasE'))).code).toBe('password_incorrect');
    });
  });

  describe('timestamps and events', () => {
    it('honours a given created_at', async () => {
      const createdAt = new Date('2019-04-05T06:07:08.901Z');
      const u = await users().create({ emailAddresses: [`old-${tag()}@x.com`], createdAt });
      expect(u.createdAt.toISOString()).toBe(createdAt.toISOString());
      expect((await users().get(u.id)).createdAt.toISOString()).toBe(createdAt.toISOString());
      expect(u.updatedAt.getTime()).toBeGreaterThan(createdAt.getTime());
    });

    it('records user.created and user.deleted in the same transaction as the change', async () => {
      const u = await users().create({ emailAddresses: [`ev-${tag()}@x.com`] });
      expect(await events(u.id)).toEqual([{ type: 'user.created', subject_id: u.id }]);
      await users().delete(u.id);
      expect(await events(u.id)).toEqual([
        { type: 'user.created', subject_id: u.id },
        { type: 'user.deleted', subject_id: u.id },
      ]);
      expect((await domainError(users().get(u.id))).code).toBe('user_not_found');
      // Deleting again fails and records nothing.
      expect((await domainError(users().delete(u.id))).code).toBe('user_not_found');
      expect(await events(u.id)).toHaveLength(2);
    });

    it('a failed create leaves no event', async () => {
      const t = tag();
      await users().create({ emailAddresses: [`held-${t}@x.com`] });
      const before = await events();
      await domainError(users().create({ emailAddresses: [`free-${t}@x.com`, `held-${t}@x.com`] }));
      const after = await events();
      expect(after).toEqual(before);
    });
  });
});
