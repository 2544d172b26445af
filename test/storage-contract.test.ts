/**
 * The storage contract: the UserStore, SecretKeyStore and EventStore interfaces of the core,
 * exercised directly against the real storage layer on every backend (no services, no HTTP).
 * Values are handed over already normalised, as the core would (emails and usernames lower-cased
 * for comparison, phones in E.164).
 */
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { openStorage } from '../src/app.ts';
import { DomainError } from '../src/core/errors.ts';
import { newId, newUuid } from '../src/core/ids.ts';
import type { Store } from '../src/core/store.ts';
import type { IdentifierType, User, UserFilter, UserOrder } from '../src/core/users/types.ts';
import type { NewIdentifier, NewUser } from '../src/core/users/user-store.ts';
import { type DatabaseHandle, openDatabase } from '../src/storage/db.ts';
import { migrateToLatest } from '../src/storage/migrate.ts';
import { createStore } from '../src/storage/store.ts';
import { BACKENDS, type Backend, scratchPostgres } from './helpers/backends.ts';
import { waitForNoSessions } from './helpers/pg-drain.ts';

/** Every migration file, by name, in the order they must run. */
const ALL_MIGRATIONS = readdirSync(new URL('../src/storage/migrations/', import.meta.url))
  .filter((f) => /^\d{4}-.*\.ts$/.test(f))
  .map((f) => f.replace(/\.ts$/, ''))
  .sort();
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const T0 = new Date('2024-03-01T10:00:00.000Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

async function domainError(p: Promise<unknown>): Promise<DomainError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof DomainError) return e;
    throw e;
  }
  throw new Error('expected a DomainError, but the call succeeded');
}

function newUser(over: Partial<NewUser> = {}): NewUser {
  return {
    id: newId('user'),
    uuid: newUuid(),
    externalId: null,
    username: null,
    firstName: null,
    lastName: null,
    displayName: null,
    language: null,
    isAdmin: false,
    publicMetadata: {},
    privateMetadata: {},
    unsafeMetadata: {},
    passwordDigest: null,
    passwordHasher: null,
    createdAt: T0,
    updatedAt: T0,
    ...over,
  };
}

/** An identifier row with the normalised form the core would compute. */
function newIdent(userId: string, type: IdentifierType, value: string, over: Partial<NewIdentifier> = {}): NewIdentifier {
  return {
    id: newId('idn'),
    userId,
    type,
    value,
    normalized: type === 'phone_number' ? value : value.toLowerCase(),
    verified: true,
    verificationStrategy: 'admin',
    createdAt: T0,
    updatedAt: T0,
    ...over,
  };
}

interface Opened {
  handle: DatabaseHandle;
  migrated: string[];
  /** The scratch database's URL on PostgreSQL. */
  url?: string;
  /** Closes the handle and throws the database away. */
  dispose: () => Promise<void>;
}

/** Closes first, lets the sessions end, then drops the scratch database. */
async function disposer(handle: DatabaseHandle, scratch: { url: string; drop: () => Promise<void> } | null) {
  await handle.close();
  if (scratch) {
    await waitForNoSessions(scratch.url);
    await scratch.drop();
  }
}

async function open(backend: Backend): Promise<Opened> {
  const scratch = backend === 'postgres' ? await scratchPostgres() : null;
  const handle = await openDatabase(scratch ? { databaseUrl: scratch.url, dataDir: 'memory://' } : { dataDir: 'memory://' });
  return { handle, url: scratch?.url, migrated: await migrateToLatest(handle.db), dispose: () => disposer(handle, scratch) };
}

describe.each(BACKENDS)('storage contract (%s)', (backend) => {
  let opened: Opened;
  let store: Store;
  const db = () => opened.handle.db;

  async function reset(): Promise<void> {
    // DELETE (not TRUNCATE, which is ten times slower on PostgreSQL); dependents go by cascade.
    for (const table of ['events', 'organization_memberships', 'organizations', 'identifiers', 'users', 'secret_keys'] as const) {
      await db().deleteFrom(table).execute();
    }
  }
  const countRows = async (table: 'users' | 'identifiers' | 'events') =>
    Number((await db().selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

  beforeAll(async () => {
    opened = await open(backend);
    store = createStore(opened.handle.db);
  });
  afterAll(async () => {
    await opened?.dispose();
  });

  describe('migrations', () => {
    it('applies every migration on a fresh database, then is a no-op', async () => {
      expect(opened.handle.kind).toBe(backend);
      expect(ALL_MIGRATIONS.slice(0, 2)).toEqual(['0001-users', '0002-password-compromised']);
      expect(opened.migrated).toEqual(ALL_MIGRATIONS);
      expect(await migrateToLatest(db())).toEqual([]);
      expect(await migrateToLatest(db())).toEqual([]);
      const cols = await sql<{ column_name: string }>`select column_name from information_schema.columns
        where table_name = 'users' and column_name = 'password_compromised_at'`.execute(db());
      expect(cols.rows.map((r) => r.column_name)).toEqual(['password_compromised_at']);
    });

    it('openStorage opens and migrates in one step', async () => {
      const scratch = backend === 'postgres' ? await scratchPostgres() : null;
      const config = loadConfig({ LATCHKEY_DATA_DIR: 'memory://', ...(scratch ? { DATABASE_URL: scratch.url } : {}) });
      config.dataDir = 'memory://';
      const handle = await openStorage(config);
      try {
        expect(handle.kind).toBe(backend);
        expect(await migrateToLatest(handle.db)).toEqual([]);
        expect(await createStore(handle.db).users.count({})).toBe(0);
      } finally {
        await disposer(handle, scratch);
      }
    });
  });

  describe('users', () => {
    beforeEach(reset);

    it('inserts a user and reads every field back', async () => {
      const u = newUser({
        externalId: 'ext-1',
        username: 'Alice',
        firstName: 'Alice',
        lastName: 'Liddell',
        displayName: 'Al',
        language: 'en-GB',
        isAdmin: true,
        publicMetadata: { plan: 'pro', nested: { a: [1, 2] } },
        privateMetadata: { stripe: 'cus_1' },
        unsafeMetadata: { theme: 'dark' },
        passwordDigest: '$argon2id$v=19$m=1024,t=1,p=1$c29tZXNhbHQ$aGFzaA',
        passwordHasher: 'argon2id',
        createdAt: new Date('2021-05-06T07:08:09.123Z'),
        updatedAt: new Date('2022-01-02T03:04:05.678Z'),
      });
      await store.users.insert(u);
      const got = (await store.users.findById(u.id)) as User;
      expect(got).toMatchObject({
        id: u.id,
        uuid: u.uuid,
        externalId: 'ext-1',
        username: 'Alice',
        firstName: 'Alice',
        lastName: 'Liddell',
        displayName: 'Al',
        language: 'en-GB',
        isAdmin: true,
        imageUrl: null,
        publicMetadata: { plan: 'pro', nested: { a: [1, 2] } },
        privateMetadata: { stripe: 'cus_1' },
        unsafeMetadata: { theme: 'dark' },
        passwordEnabled: true,
        totpEnabled: false,
        backupCodeEnabled: false,
        banned: false,
        lockedUntil: null,
        primaryEmailAddressId: null,
        primaryPhoneNumberId: null,
        primaryWeb3WalletId: null,
        identifiers: [],
        lastSignInAt: null,
      });
      expect(got.createdAt).toBeInstanceOf(Date);
      expect(got.createdAt.toISOString()).toBe('2021-05-06T07:08:09.123Z');
      expect(got.updatedAt.toISOString()).toBe('2022-01-02T03:04:05.678Z');
      expect(await store.users.findPassword(u.id)).toEqual({ digest: u.passwordDigest, hasher: 'argon2id' });
    });

    it('returns null for unknown users and users without a password', async () => {
      const u = newUser();
      await store.users.insert(u);
      expect(await store.users.findById('user_missing')).toBeNull();
      expect(await store.users.findPassword('user_missing')).toBeNull();
      expect(await store.users.findPassword(u.id)).toBeNull();
      expect((await store.users.findById(u.id))?.passwordEnabled).toBe(false);
    });

    it('numericId is a positive integer that increases; uuid is the UUID given', async () => {
      const users = [newUser(), newUser(), newUser()];
      for (const u of users) await store.users.insert(u);
      const read = await Promise.all(users.map(async (u) => (await store.users.findById(u.id)) as User));
      for (const [i, r] of read.entries()) {
        expect(Number.isSafeInteger(r.numericId)).toBe(true);
        expect(r.numericId).toBeGreaterThan(0);
        expect(typeof r.numericId).toBe('number');
        expect(r.uuid).toMatch(UUID);
        expect(r.uuid).toBe(users[i].uuid);
      }
      expect(read[1].numericId).toBeGreaterThan(read[0].numericId);
      expect(read[2].numericId).toBeGreaterThan(read[1].numericId);
    });

    it('rejects a malformed uuid as invalid_param and a duplicate id', async () => {
      const bad = newUser({ uuid: 'not-a-uuid' });
      expect((await domainError(store.users.insert(bad))).code).toBe('invalid_param');
      expect(await store.users.findById(bad.id)).toBeNull();
      const u = newUser();
      await store.users.insert(u);
      expect(await domainError(store.users.insert({ ...u, uuid: newUuid() }))).toBeInstanceOf(DomainError);
      expect(await countRows('users')).toBe(1);
    });

    it('updates only the columns a patch sets', async () => {
      const u = newUser({ username: 'bob', firstName: 'Bob', lastName: 'Builder', publicMetadata: { a: 1 } });
      await store.users.insert(u);
      const later = at(5);
      expect(
        await store.users.update(u.id, {
          firstName: 'Robert',
          lastName: null,
          publicMetadata: { b: { c: 2 } },
          privateMetadata: { secret: true },
          banned: true,
          lockedUntil: at(60),
          passwordDigest: 'digest-x',
          passwordHasher: 'md5',
          passwordCompromisedAt: at(1),
          updatedAt: later,
        }),
      ).toBe(true);
      const got = (await store.users.findById(u.id)) as User;
      expect(got.username).toBe('bob');
      expect(got.firstName).toBe('Robert');
      expect(got.lastName).toBeNull();
      expect(got.publicMetadata).toEqual({ b: { c: 2 } });
      expect(got.privateMetadata).toEqual({ secret: true });
      expect(got.unsafeMetadata).toEqual({});
      expect(got.banned).toBe(true);
      expect(got.lockedUntil?.toISOString()).toBe(at(60).toISOString());
      expect(got.updatedAt.toISOString()).toBe(later.toISOString());
      expect(got.createdAt.toISOString()).toBe(T0.toISOString());
      expect(got.passwordEnabled).toBe(true);
      expect(await store.users.findPassword(u.id)).toEqual({ digest: 'digest-x', hasher: 'md5' });
      const raw = await db().selectFrom('users').select('password_compromised_at').where('id', '=', u.id).executeTakeFirstOrThrow();
      expect(new Date(raw.password_compromised_at as Date).toISOString()).toBe(at(1).toISOString());

      expect(await store.users.update(u.id, { createdAt: at(-10), updatedAt: later })).toBe(true);
      expect((await store.users.findById(u.id))?.createdAt.toISOString()).toBe(at(-10).toISOString());
      expect(await store.users.update('user_missing', { firstName: 'x', updatedAt: later })).toBe(false);
    });

    it('deletes a user with its identifiers; a second delete reports false', async () => {
      const u = newUser();
      await store.users.insert(u);
      const e = newIdent(u.id, 'email_address', 'gone@example.com');
      await store.users.insertIdentifier(e);
      expect(await store.users.delete(u.id)).toBe(true);
      expect(await store.users.findById(u.id)).toBeNull();
      expect(await store.users.findIdentifier(e.id)).toBeNull();
      expect(await countRows('identifiers')).toBe(0);
      expect(await store.users.delete(u.id)).toBe(false);
      // The identifier's value is free again.
      const v = newUser();
      await store.users.insert(v);
      await store.users.insertIdentifier(newIdent(v.id, 'email_address', 'gone@example.com'));
      expect((await store.users.findById(v.id))?.identifiers.map((i) => i.value)).toEqual(['gone@example.com']);
    });
  });

  describe('identifiers', () => {
    beforeEach(reset);

    it('folds identifiers into reads in insertion order, whatever their timestamps', async () => {
      const u = newUser();
      await store.users.insert(u);
      // Timestamps out of order on purpose: reads follow insertion order (a sequence), so ties
      // inside one millisecond keep the order identifiers were given in.
      const idents = [
        newIdent(u.id, 'phone_number', '+14155552671', { id: 'idn_c', createdAt: at(3), updatedAt: at(3) }),
        newIdent(u.id, 'email_address', 'First@Example.com', { id: 'idn_z', createdAt: at(1), updatedAt: at(1) }),
        newIdent(u.id, 'email_address', 'tie-b@example.com', { id: 'idn_b', createdAt: at(2), updatedAt: at(2), verified: false, verificationStrategy: null }),
        newIdent(u.id, 'web3_wallet', '0x52908400098527886E0F7030069857D2E4169EE7', { id: 'idn_a', createdAt: at(2), updatedAt: at(4) }),
      ];
      for (const i of idents) await store.users.insertIdentifier(i);
      const got = (await store.users.findById(u.id)) as User;
      expect(got.identifiers.map((i) => i.id)).toEqual(['idn_c', 'idn_z', 'idn_b', 'idn_a']);
      expect(got.identifiers[1]).toEqual({
        id: 'idn_z',
        userId: u.id,
        type: 'email_address',
        value: 'First@Example.com',
        verified: true,
        verificationStrategy: 'admin',
        verificationAttempts: null,
        verificationExpiresAt: null,
        createdAt: at(1),
        updatedAt: at(1),
      });
      expect(got.identifiers[2]).toMatchObject({ type: 'email_address', verified: false, verificationStrategy: null });
      expect(got.identifiers[3]).toMatchObject({ type: 'web3_wallet', value: '0x52908400098527886E0F7030069857D2E4169EE7', updatedAt: at(4) });
      expect(got.identifiers[0]).toMatchObject({ type: 'phone_number', value: '+14155552671' });
    });

    it('finds, updates and deletes single identifiers', async () => {
      const u = newUser();
      await store.users.insert(u);
      const e = newIdent(u.id, 'email_address', 'Some@Example.com', { verified: false, verificationStrategy: null });
      await store.users.insertIdentifier(e);
      expect(await store.users.findIdentifier(e.id)).toEqual({
        id: e.id,
        userId: u.id,
        type: 'email_address',
        value: 'Some@Example.com',
        verified: false,
        verificationStrategy: null,
        verificationAttempts: null,
        verificationExpiresAt: null,
        createdAt: T0,
        updatedAt: T0,
      });
      await store.users.updateIdentifier(e.id, { verified: true, verificationStrategy: 'email_code', updatedAt: at(7) });
      expect(await store.users.findIdentifier(e.id)).toMatchObject({ verified: true, verificationStrategy: 'email_code', updatedAt: at(7) });
      // Leaving fields out keeps them.
      await store.users.updateIdentifier(e.id, { updatedAt: at(8) });
      expect(await store.users.findIdentifier(e.id)).toMatchObject({ verified: true, verificationStrategy: 'email_code', updatedAt: at(8) });
      expect(await store.users.findIdentifier('idn_missing')).toBeNull();
      expect(await store.users.deleteIdentifier(e.id)).toBe(true);
      expect(await store.users.deleteIdentifier(e.id)).toBe(false);
      expect((await store.users.findById(u.id))?.identifiers).toEqual([]);
    });

    it('rejects an identifier for a user that does not exist as user_not_found', async () => {
      const err = await domainError(store.users.insertIdentifier(newIdent('user_missing', 'email_address', 'orphan@example.com')));
      expect(err.code).toBe('user_not_found');
      expect(await countRows('identifiers')).toBe(0);
    });
  });

  describe('uniqueness, translated to domain errors', () => {
    let owner: NewUser;
    let other: NewUser;
    beforeEach(async () => {
      await reset();
      owner = newUser({ username: 'Taken_Name', externalId: 'ext-taken' });
      other = newUser();
      await store.users.insert(owner);
      await store.users.insert(other);
      await store.users.insertIdentifier(newIdent(owner.id, 'email_address', 'Ann@Example.com'));
      await store.users.insertIdentifier(newIdent(owner.id, 'phone_number', '+442079460958'));
      await store.users.insertIdentifier(newIdent(owner.id, 'web3_wallet', '0x52908400098527886E0F7030069857D2E4169EE7'));
    });

    it('emails are unique case-insensitively: identifier_exists on email_address', async () => {
      for (const value of ['ann@example.com', 'ANN@EXAMPLE.COM', 'Ann@Example.com']) {
        const err = await domainError(store.users.insertIdentifier(newIdent(other.id, 'email_address', value)));
        expect(err.code).toBe('identifier_exists');
        expect(err.meta.param).toBe('email_address');
      }
      // The same user cannot hold it twice either.
      const self = await domainError(store.users.insertIdentifier(newIdent(owner.id, 'email_address', 'aNN@example.com')));
      expect(self.code).toBe('identifier_exists');
      expect((await store.users.findById(other.id))?.identifiers).toEqual([]);
      expect(await countRows('identifiers')).toBe(3);
    });

    it('insertWithEvent writes user, identifiers and event in one statement, or nothing', async () => {
      const u = newUser();
      const at = T0;
      const events = await countRows('events');
      const { numericId } = await store.users.insertWithEvent(u, [newIdent(u.id, 'email_address', 'Solo@Example.com')], { type: 'user.created', subjectId: u.id, payload: {}, at });
      expect(numericId).toBeGreaterThan(0);
      expect((await store.users.findById(u.id))?.identifiers.map((i) => i.value)).toEqual(['Solo@Example.com']);
      expect(await countRows('events')).toBe(events + 1);
      // A taken email fails the whole statement: no user, no event.
      const clash = newUser();
      const err = await domainError(store.users.insertWithEvent(clash, [newIdent(clash.id, 'email_address', 'solo@example.com')], { type: 'user.created', subjectId: clash.id, payload: {}, at }));
      expect(err.code).toBe('identifier_exists');
      expect(await store.users.findById(clash.id)).toBeNull();
      expect(await countRows('events')).toBe(events + 1);
      // And with no identifiers at all.
      const bare = newUser();
      await store.users.insertWithEvent(bare, [], { type: 'user.created', subjectId: bare.id, payload: {}, at });
      expect((await store.users.findById(bare.id))?.identifiers).toEqual([]);
    });

    it('phones are unique: identifier_exists on phone_number', async () => {
      const err = await domainError(store.users.insertIdentifier(newIdent(other.id, 'phone_number', '+442079460958')));
      expect(err.code).toBe('identifier_exists');
      expect(err.meta.param).toBe('phone_number');
    });

    it('web3 wallets are unique case-insensitively: identifier_exists on web3_wallet', async () => {
      const err = await domainError(store.users.insertIdentifier(newIdent(other.id, 'web3_wallet', '0x52908400098527886e0f7030069857d2e4169ee7')));
      expect(err.code).toBe('identifier_exists');
      expect(err.meta.param).toBe('web3_wallet');
    });

    it('the same value under another type is not a collision', async () => {
      const u = newUser();
      await store.users.insert(u);
      await store.users.insertIdentifier(newIdent(u.id, 'email_address', 'new@example.com'));
      await store.users.insertIdentifier(newIdent(u.id, 'phone_number', '+14155552671', { createdAt: at(1) }));
      expect((await store.users.findById(u.id))?.identifiers.map((i) => i.value)).toEqual(['new@example.com', '+14155552671']);
    });

    it('usernames are unique case-insensitively: username_exists', async () => {
      for (const username of ['taken_name', 'TAKEN_NAME']) {
        const err = await domainError(store.users.insert(newUser({ username })));
        expect(err.code).toBe('username_exists');
        expect(err.meta.param).toBe('username');
      }
      const err = await domainError(store.users.update(other.id, { username: 'TAKEN_name', updatedAt: at(1) }));
      expect(err.code).toBe('username_exists');
      expect((await store.users.findById(other.id))?.username).toBeNull();
      expect(await countRows('users')).toBe(2);
    });

    it('external ids are unique: external_id_exists', async () => {
      const err = await domainError(store.users.insert(newUser({ externalId: 'ext-taken' })));
      expect(err.code).toBe('external_id_exists');
      expect(err.meta.param).toBe('external_id');
      const upd = await domainError(store.users.update(other.id, { externalId: 'ext-taken', updatedAt: at(1) }));
      expect(upd.code).toBe('external_id_exists');
      // External ids compare exactly.
      await store.users.insert(newUser({ externalId: 'EXT-TAKEN' }));
      expect(await countRows('users')).toBe(3);
    });

    it('many users may have no username and no external id', async () => {
      for (let i = 0; i < 3; i++) await store.users.insert(newUser());
      expect(await store.users.count({})).toBe(5);
    });
  });

  describe('list and count', () => {
    // Seeded once; every test here only reads.
    const ids = { u1: 'user_t01', u2: 'user_t02', u3: 'user_t03', u4: 'user_t04', u5: 'user_t05' };
    const WALLET = '0xAbCdEf0123456789aBcDeF0123456789AbCdEf01';
    const ORG_A = 'org_a';
    const ORG_B = 'org_b';

    beforeAll(async () => {
      await reset();
      const specs: NewUser[] = [
        // u5 before u4: they share created_at, so only the id tiebreak orders them.
        newUser({ id: ids.u5, username: 'erin', firstName: 'Erin', createdAt: at(3), updatedAt: at(10) }),
        newUser({ id: ids.u1, username: 'Alice', externalId: 'ext-1', firstName: 'Alice', lastName: 'Liddell', createdAt: at(0), updatedAt: at(30) }),
        newUser({ id: ids.u2, username: 'bob', externalId: 'ext-2', firstName: 'Bob', createdAt: at(1), updatedAt: at(50) }),
        newUser({ id: ids.u3, firstName: '100%_sure', createdAt: at(2), updatedAt: at(20) }),
        newUser({ id: ids.u4, username: 'dave_x', externalId: 'ext-4', firstName: '100abcsure', lastName: 'back\\slash', createdAt: at(3), updatedAt: at(40) }),
      ];
      for (const u of specs) await store.users.insert(u);
      await store.users.insertIdentifier(newIdent(ids.u1, 'email_address', 'Alice@Example.com'));
      await store.users.insertIdentifier(newIdent(ids.u1, 'phone_number', '+14155552671', { createdAt: at(1) }));
      await store.users.insertIdentifier(newIdent(ids.u2, 'email_address', 'bob@example.com'));
      await store.users.insertIdentifier(newIdent(ids.u2, 'web3_wallet', WALLET));
      await store.users.insertIdentifier(newIdent(ids.u3, 'email_address', 'carol@example.org'));
      await store.users.insertIdentifier(newIdent(ids.u3, 'phone_number', '+442079460958'));
      await store.users.insertIdentifier(newIdent(ids.u5, 'email_address', 'erin@example.com'));
      for (const u of specs) await store.users.refreshSearch(u.id);

      await db().insertInto('organizations').values([
        { id: ORG_A, name: 'Org A', slug: 'a', created_at: T0, updated_at: T0 },
        { id: ORG_B, name: 'Org B', slug: 'b', created_at: T0, updated_at: T0 },
      ]).execute();
      await db().insertInto('organization_memberships').values([
        { id: 'orgmem_1', organization_id: ORG_A, user_id: ids.u1, role: 'org:admin', created_at: T0, updated_at: T0 },
        { id: 'orgmem_2', organization_id: ORG_A, user_id: ids.u2, role: 'org:member', created_at: T0, updated_at: T0 },
        { id: 'orgmem_3', organization_id: ORG_B, user_id: ids.u2, role: 'org:member', created_at: T0, updated_at: T0 },
        { id: 'orgmem_4', organization_id: ORG_B, user_id: ids.u3, role: 'org:member', created_at: T0, updated_at: T0 },
      ]).execute();
    });

    const ASC: UserOrder = { field: 'created_at', direction: 'asc' };
    const page = { limit: 100, offset: 0 };
    const none = { include: [], exclude: [] };

    /** Lists with `filter` (oldest first) and checks count agrees. */
    async function listed(filter: UserFilter): Promise<string[]> {
      const users = await store.users.list(filter, ASC, page);
      expect(await store.users.count(filter)).toBe(users.length);
      return users.map((u) => u.id);
    }

    it('lists everyone without a filter, with identifiers folded in', async () => {
      expect(await listed({})).toEqual([ids.u1, ids.u2, ids.u3, ids.u4, ids.u5]);
      const [alice] = await store.users.list({ userIds: { include: [ids.u1], exclude: [] } }, ASC, page);
      expect(alice.identifiers.map((i) => i.value)).toEqual(['Alice@Example.com', '+14155552671']);
    });

    it('orders by created_at and updated_at, both directions, with id as tiebreak', async () => {
      const order = async (field: UserOrder['field'], direction: UserOrder['direction']) =>
        (await store.users.list({}, { field, direction }, page)).map((u) => u.id);
      expect(await order('created_at', 'asc')).toEqual([ids.u1, ids.u2, ids.u3, ids.u4, ids.u5]);
      expect(await order('created_at', 'desc')).toEqual([ids.u5, ids.u4, ids.u3, ids.u2, ids.u1]);
      expect(await order('updated_at', 'asc')).toEqual([ids.u5, ids.u3, ids.u1, ids.u4, ids.u2]);
      expect(await order('updated_at', 'desc')).toEqual([ids.u2, ids.u4, ids.u1, ids.u3, ids.u5]);
    });

    it('pages with limit and offset', async () => {
      const pageOf = async (limit: number, offset: number, direction: UserOrder['direction'] = 'asc') =>
        (await store.users.list({}, { field: 'created_at', direction }, { limit, offset })).map((u) => u.id);
      expect(await pageOf(2, 0)).toEqual([ids.u1, ids.u2]);
      expect(await pageOf(2, 2)).toEqual([ids.u3, ids.u4]);
      expect(await pageOf(2, 4)).toEqual([ids.u5]);
      expect(await pageOf(2, 5)).toEqual([]);
      expect(await pageOf(1, 3, 'desc')).toEqual([ids.u2]);
      expect(await pageOf(3, 0, 'desc')).toEqual([ids.u5, ids.u4, ids.u3]);
      // count ignores paging.
      expect(await store.users.count({})).toBe(5);
    });

    it('filters by normalised email, phone, username and web3 wallet', async () => {
      expect(await listed({ emailAddresses: ['alice@example.com', 'carol@example.org'] })).toEqual([ids.u1, ids.u3]);
      expect(await listed({ emailAddresses: ['nobody@example.com'] })).toEqual([]);
      expect(await listed({ phoneNumbers: ['+442079460958'] })).toEqual([ids.u3]);
      expect(await listed({ phoneNumbers: ['+14155552671', '+442079460958'] })).toEqual([ids.u1, ids.u3]);
      expect(await listed({ usernames: ['alice', 'bob'] })).toEqual([ids.u1, ids.u2]);
      expect(await listed({ usernames: ['nobody'] })).toEqual([]);
      expect(await listed({ web3Wallets: [WALLET.toLowerCase()] })).toEqual([ids.u2]);
      // An email is not found under another type.
      expect(await listed({ phoneNumbers: ['alice@example.com'] })).toEqual([]);
      // Empty lists do not filter.
      expect(await listed({ emailAddresses: [], usernames: [] })).toHaveLength(5);
    });

    it('filters by external ids, include and exclude (users without one are not excluded)', async () => {
      expect(await listed({ externalIds: { include: ['ext-1', 'ext-4'], exclude: [] } })).toEqual([ids.u1, ids.u4]);
      expect(await listed({ externalIds: { include: [], exclude: ['ext-1'] } })).toEqual([ids.u2, ids.u3, ids.u4, ids.u5]);
      expect(await listed({ externalIds: { include: ['ext-1', 'ext-2'], exclude: ['ext-2'] } })).toEqual([ids.u1]);
      expect(await listed({ externalIds: { include: ['ext-missing'], exclude: [] } })).toEqual([]);
    });

    it('filters by user ids, include and exclude', async () => {
      expect(await listed({ userIds: { include: [ids.u2, ids.u5], exclude: [] } })).toEqual([ids.u2, ids.u5]);
      expect(await listed({ userIds: { include: [], exclude: [ids.u1, ids.u2] } })).toEqual([ids.u3, ids.u4, ids.u5]);
      expect(await listed({ userIds: { include: [ids.u1, ids.u2], exclude: [ids.u1] } })).toEqual([ids.u2]);
      expect(await listed({ userIds: none })).toHaveLength(5);
    });

    it('filters by organization membership, include and exclude', async () => {
      expect(await listed({ organizationIds: { include: [ORG_A], exclude: [] } })).toEqual([ids.u1, ids.u2]);
      expect(await listed({ organizationIds: { include: [ORG_B], exclude: [] } })).toEqual([ids.u2, ids.u3]);
      expect(await listed({ organizationIds: { include: [ORG_A, ORG_B], exclude: [] } })).toEqual([ids.u1, ids.u2, ids.u3]);
      expect(await listed({ organizationIds: { include: [], exclude: [ORG_A] } })).toEqual([ids.u3, ids.u4, ids.u5]);
      expect(await listed({ organizationIds: { include: [ORG_A], exclude: [ORG_B] } })).toEqual([ids.u1]);
      expect(await listed({ organizationIds: { include: ['org_missing'], exclude: [] } })).toEqual([]);
    });

    it('combines filters with AND', async () => {
      expect(await listed({ emailAddresses: ['alice@example.com', 'bob@example.com'], organizationIds: { include: [ORG_B], exclude: [] } })).toEqual([ids.u2]);
      expect(await listed({ usernames: ['alice', 'erin'], externalIds: { include: [], exclude: ['ext-1'] } })).toEqual([ids.u5]);
      expect(await listed({ query: 'example.com', userIds: { include: [], exclude: [ids.u2] } })).toEqual([ids.u1, ids.u5]);
    });

    it('query matches a substring of identifiers, username, names and id', async () => {
      expect(await listed({ query: 'alice' })).toEqual([ids.u1]);
      expect(await listed({ query: 'liddell' })).toEqual([ids.u1]);
      expect(await listed({ query: 'example.org' })).toEqual([ids.u3]);
      expect(await listed({ query: 'example.com' })).toEqual([ids.u1, ids.u2, ids.u5]);
      expect(await listed({ query: '+44207' })).toEqual([ids.u3]);
      expect(await listed({ query: 'dave_' })).toEqual([ids.u4]);
      expect(await listed({ query: 'user_t02' })).toEqual([ids.u2]);
      expect(await listed({ query: WALLET.toLowerCase().slice(0, 12) })).toEqual([ids.u2]);
      expect(await listed({ query: 'zzz-nothing' })).toEqual([]);
    });

    it('query treats LIKE metacharacters % and _ (and backslash) literally', async () => {
      // As wildcards, each of these would also match u4 ("100abcsure") or every id ("user_t0…").
      expect(await listed({ query: '100%' })).toEqual([ids.u3]);
      expect(await listed({ query: '0%_' })).toEqual([ids.u3]);
      expect(await listed({ query: '%_sure' })).toEqual([ids.u3]);
      expect(await listed({ query: '100_' })).toEqual([]);
      expect(await listed({ query: '%' })).toEqual([ids.u3]);
      expect(await listed({ query: 'k\\s' })).toEqual([ids.u4]);
      expect(await listed({ query: '\\' })).toEqual([ids.u4]);
    });

    it('refreshSearch picks up later changes', async () => {
      const u = newUser({ id: 'user_t99', createdAt: at(100), updatedAt: at(100) });
      await store.users.insert(u);
      try {
        await store.users.insertIdentifier(newIdent(u.id, 'email_address', 'Quentin@Late.example'));
        expect(await listed({ query: 'quentin' })).toEqual([]);
        await store.users.refreshSearch(u.id);
        expect(await listed({ query: 'quentin' })).toEqual([u.id]);
        await store.users.update(u.id, { firstName: 'Zebulon', updatedAt: at(101) });
        await store.users.refreshSearch(u.id);
        expect(await listed({ query: 'zebulon' })).toEqual([u.id]);
      } finally {
        await store.users.delete(u.id);
      }
      expect(await store.users.count({})).toBe(5);
    });
  });

  describe('transactions', () => {
    beforeEach(reset);

    it('commits and returns the value of the callback', async () => {
      const u = newUser();
      const result = await store.transaction(async (tx) => {
        await tx.users.insert(u);
        await tx.users.insertIdentifier(newIdent(u.id, 'email_address', 'tx@example.com'));
        await tx.events.record({ type: 'user.created', subjectId: u.id, payload: {}, at: T0 });
        return (await tx.users.findById(u.id))?.identifiers.length;
      });
      expect(result).toBe(1);
      expect((await store.users.findById(u.id))?.identifiers.map((i) => i.value)).toEqual(['tx@example.com']);
      expect(await countRows('events')).toBe(1);
    });

    it('rolls everything back when the callback throws', async () => {
      const u = newUser();
      const boom = new Error('boom');
      await expect(
        store.transaction(async (tx) => {
          await tx.users.insert(u);
          await tx.users.insertIdentifier(newIdent(u.id, 'email_address', 'rolled@example.com'));
          await tx.events.record({ type: 'user.created', subjectId: u.id, payload: {}, at: T0 });
          expect(await tx.users.findById(u.id)).not.toBeNull();
          throw boom;
        }),
      ).rejects.toBe(boom);
      expect(await store.users.findById(u.id)).toBeNull();
      expect(await countRows('users')).toBe(0);
      expect(await countRows('identifiers')).toBe(0);
      expect(await countRows('events')).toBe(0);
    });

    it('a unique violation inside a transaction surfaces as a DomainError and undoes earlier writes', async () => {
      const owner = newUser();
      await store.users.insert(owner);
      await store.users.insertIdentifier(newIdent(owner.id, 'email_address', 'held@example.com'));
      const u = newUser();
      const err = await domainError(
        store.transaction(async (tx) => {
          await tx.users.insert(u);
          await tx.users.insertIdentifier(newIdent(u.id, 'email_address', 'fresh@example.com'));
          await tx.users.insertIdentifier(newIdent(u.id, 'email_address', 'HELD@example.com'));
        }),
      );
      expect(err.code).toBe('identifier_exists');
      expect(err.meta.param).toBe('email_address');
      expect(await store.users.findById(u.id)).toBeNull();
      expect(await store.users.count({ emailAddresses: ['fresh@example.com'] })).toBe(0);
      expect(await countRows('users')).toBe(1);
    });

    it('a nested transaction joins the outer one', async () => {
      const inner = newUser();
      const outer = newUser();
      await expect(
        store.transaction(async (tx) => {
          await tx.users.insert(outer);
          const value = await tx.transaction(async (tx2) => {
            expect(tx2).toBe(tx);
            await tx2.users.insert(inner);
            return 'inner done';
          });
          expect(value).toBe('inner done');
          throw new Error('outer fails after the inner one returned');
        }),
      ).rejects.toThrow('outer fails');
      // The inner transaction did not commit on its own.
      expect(await store.users.findById(inner.id)).toBeNull();
      expect(await store.users.findById(outer.id)).toBeNull();

      await store.transaction((tx) => tx.transaction((tx2) => tx2.users.insert(inner)));
      expect((await store.users.findById(inner.id))?.id).toBe(inner.id);
    });

    it.runIf(backend === 'postgres')('uncommitted writes are invisible outside the transaction', async () => {
      const u = newUser();
      await store.transaction(async (tx) => {
        await tx.users.insert(u);
        expect(await store.users.findById(u.id)).toBeNull();
        expect((await tx.users.findById(u.id))?.id).toBe(u.id);
      });
      expect((await store.users.findById(u.id))?.id).toBe(u.id);
    });

    it('lockForUpdate returns null for unknown ids and the user for known ones', async () => {
      expect(await store.users.lockForUpdate('user_missing')).toBeNull();
      const u = newUser({ firstName: 'Locked' });
      await store.users.insert(u);
      await store.users.insertIdentifier(newIdent(u.id, 'email_address', 'lock@example.com'));
      const seen = await store.transaction(async (tx) => {
        expect(await tx.users.lockForUpdate('user_missing')).toBeNull();
        return tx.users.lockForUpdate(u.id);
      });
      expect(seen?.id).toBe(u.id);
      expect(seen?.firstName).toBe('Locked');
      expect(seen?.identifiers.map((i) => i.value)).toEqual(['lock@example.com']);
    });

    it('lockForUpdate serialises concurrent read-modify-write transactions', async () => {
      const u = newUser({ publicMetadata: { n: 0 } });
      await store.users.insert(u);
      await Promise.all(
        Array.from({ length: 10 }, () =>
          store.transaction(async (tx) => {
            const user = (await tx.users.lockForUpdate(u.id)) as User;
            await tx.users.update(u.id, { publicMetadata: { n: (user.publicMetadata.n as number) + 1 }, updatedAt: at(1) });
          }),
        ),
      );
      expect((await store.users.findById(u.id))?.publicMetadata).toEqual({ n: 10 });
    });
  });

  describe('sign-in reservation (find the account and reserve an attempt in one statement)', () => {
    beforeEach(reset);
    const policy = { threshold: 3, durationMs: 3_600_000, hourlyMax: 100 };
    const digest = '$argon2id$v=19$m=1024,t=1,p=1$c29tZXNhbHQ$aGFzaA';
    const counters = async (id: string) =>
      db().selectFrom('users').select(['failed_attempts', 'failures_in_window']).where('id', '=', id).executeTakeFirstOrThrow();

    async function account(over: Partial<NewUser> = {}, email = 'Sign.In@Example.com', verified = true) {
      const u = newUser({ passwordDigest: digest, passwordHasher: 'argon2id', username: 'Signer', ...over });
      await store.users.insert(u);
      await store.users.insertIdentifier(newIdent(u.id, 'email_address', email, { verified }));
      return u;
    }

    it('finds by verified email or username, returns the user with identifiers and the digest, and counts the attempt', async () => {
      const u = await account({ firstName: 'Sig' });
      const byEmail = await store.lockout.reserveForSignIn({ type: 'email_address', normalized: 'sign.in@example.com' }, at(1), policy);
      expect(byEmail?.password).toEqual({ digest, hasher: 'argon2id' });
      expect(byEmail?.user).toMatchObject({ id: u.id, firstName: 'Sig', username: 'Signer', passwordEnabled: true, banned: false });
      expect(byEmail?.user.identifiers.map((i) => i.value)).toEqual(['Sign.In@Example.com']);
      expect((await store.lockout.reserveForSignIn({ type: 'username', lowered: 'signer' }, at(2), policy))?.user.id).toBe(u.id);
      expect(await counters(u.id)).toEqual({ failed_attempts: 2, failures_in_window: 2 });
      // The threshold: the third attempt is the last reserved; the fourth is refused (null), uncounted.
      expect(await store.lockout.reserveForSignIn({ type: 'username', lowered: 'signer' }, at(3), policy)).not.toBeNull();
      expect(await store.lockout.reserveForSignIn({ type: 'username', lowered: 'signer' }, at(4), policy)).toBeNull();
      expect((await counters(u.id)).failed_attempts).toBe(3);
    });

    it('reserves nothing for an unverified email, a user without a password, a locked or deleted user, or nobody', async () => {
      await account({}, 'unverified@example.com', false);
      expect(await store.lockout.reserveForSignIn({ type: 'email_address', normalized: 'unverified@example.com' }, at(1), policy)).toBeNull();
      const nopass = await account({ username: 'nopass', passwordDigest: null, passwordHasher: null }, 'nopass@example.com');
      expect(await store.lockout.reserveForSignIn({ type: 'email_address', normalized: 'nopass@example.com' }, at(1), policy)).toBeNull();
      expect((await counters(nopass.id)).failed_attempts).toBe(0);
      const locked = await account({ username: 'locked' }, 'locked@example.com');
      await store.lockout.setLock(locked.id, at(30));
      expect(await store.lockout.reserveForSignIn({ type: 'username', lowered: 'locked' }, at(1), policy)).toBeNull();
      // An expired lock starts a fresh count.
      expect((await store.lockout.reserveForSignIn({ type: 'username', lowered: 'locked' }, at(31), policy))?.user.lockedUntil).toBeNull();
      const gone = await account({ username: 'gone' }, 'gone@example.com');
      await db().updateTable('users').set({ deletion_requested_at: at(0) }).where('id', '=', gone.id).execute();
      expect(await store.lockout.reserveForSignIn({ type: 'email_address', normalized: 'gone@example.com' }, at(1), policy)).toBeNull();
      expect(await store.lockout.reserveForSignIn({ type: 'username', lowered: 'gone' }, at(1), policy)).toBeNull();
      expect(await store.lockout.reserveForSignIn({ type: 'email_address', normalized: 'nobody@example.com' }, at(1), policy)).toBeNull();
    });
  });

  describe('secret keys', () => {
    beforeEach(reset);

    const key = (over: Partial<{ id: string; name: string; keyHash: string; lastFour: string; createdAt: Date }> = {}) => ({
      id: newId('key'),
      name: 'test key',
      keyHash: randomUUID().replace(/-/g, '').repeat(2),
      lastFour: 'abcd',
      createdAt: T0,
      revokedAt: null,
      ...over,
    });

    it('inserts, finds by hash, lists oldest first, revokes once and counts active keys', async () => {
      const newer = key({ name: 'newer', createdAt: at(5), lastFour: 'wxyz' });
      const older = key({ name: 'older', createdAt: at(1) });
      await store.secretKeys.insert(newer);
      await store.secretKeys.insert(older);
      expect(await store.secretKeys.findByHash(newer.keyHash)).toEqual(newer);
      expect(await store.secretKeys.findByHash('0'.repeat(64))).toBeNull();
      expect((await store.secretKeys.list()).map((k) => k.name)).toEqual(['older', 'newer']);
      expect(await store.secretKeys.countActive()).toBe(2);

      expect(await store.secretKeys.revoke(older.id, at(9))).toBe(true);
      expect(await store.secretKeys.revoke(older.id, at(10))).toBe(false);
      expect(await store.secretKeys.revoke('key_missing', at(10))).toBe(false);
      expect((await store.secretKeys.findByHash(older.keyHash))?.revokedAt?.toISOString()).toBe(at(9).toISOString());
      expect(await store.secretKeys.countActive()).toBe(1);
      expect(await store.secretKeys.list()).toHaveLength(2);
    });

    it('refuses a second key with the same hash', async () => {
      const k = key();
      await store.secretKeys.insert(k);
      expect(await domainError(store.secretKeys.insert({ ...k, id: newId('key') }))).toBeInstanceOf(DomainError);
      expect(await store.secretKeys.countActive()).toBe(1);
    });
  });

  describe('events', () => {
    beforeEach(reset);

    it('records events with their payload, in order', async () => {
      await store.events.record({ type: 'user.created', subjectId: 'user_1', payload: { a: 1, nested: { b: [true] } }, at: at(1) });
      await store.events.record({ type: 'user.deleted', subjectId: 'user_1', payload: {}, at: at(2) });
      const rows = await db().selectFrom('events').selectAll().orderBy('id').execute();
      expect(rows.map((r) => [r.type, r.subject_id])).toEqual([
        ['user.created', 'user_1'],
        ['user.deleted', 'user_1'],
      ]);
      const payload = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);
      expect(payload(rows[0].payload)).toEqual({ a: 1, nested: { b: [true] } });
      expect(payload(rows[1].payload)).toEqual({});
      expect(new Date(rows[0].created_at).toISOString()).toBe(at(1).toISOString());
      expect(Number(rows[1].id)).toBeGreaterThan(Number(rows[0].id));
    });

    it('an event recorded in a rolled-back transaction is gone', async () => {
      await expect(
        store.transaction(async (tx) => {
          await tx.events.record({ type: 'user.created', subjectId: 'user_x', payload: {}, at: T0 });
          throw new Error('nope');
        }),
      ).rejects.toThrow('nope');
      expect(await countRows('events')).toBe(0);
    });
  });

  describe('connection resilience', () => {
    /**
     * Runs in a child process: an uncaught 'error' there kills only the child, and the exit code
     * tells. The child opens the database, lets one pooled connection go idle, has the server end
     * it (as a restart, failover or idle timeout would), waits, then queries again.
     */
    const CHILD = `
      import pg from 'pg';
      import { sql } from 'kysely';
      const { openDatabase } = await import(process.env.LK_DB_MODULE);
      const url = new URL(process.env.LK_URL);
      url.searchParams.set('application_name', process.env.LK_APP);
      const handle = await openDatabase({ databaseUrl: url.toString(), dataDir: 'memory://' });
      await sql\`select 1\`.execute(handle.db);
      const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
      await admin.connect();
      const killed = await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1', [process.env.LK_APP]);
      await admin.end();
      await new Promise((resolve) => setTimeout(resolve, 500));
      const again = await sql\`select 42 as n\`.execute(handle.db);
      console.log(JSON.stringify({ killed: killed.rowCount, n: again.rows[0].n }));
      await handle.close();
    `;

    it.runIf(backend === 'postgres')('survives the server ending an idle pooled connection', async () => {
      const app = `lk_resilience_${randomBytes(4).toString('hex')}`;
      const result = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', CHILD], {
        cwd: fileURLToPath(new URL('..', import.meta.url)),
        env: { ...process.env, LK_URL: opened.url, LK_APP: app, LK_DB_MODULE: new URL('../src/storage/db.ts', import.meta.url).href },
        timeout: 30_000,
      }).then(
        ({ stdout }) => ({ code: 0, stdout, stderr: '' }),
        (e: { code?: number; stdout?: string; stderr?: string }) => ({ code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }),
      );
      // On failure, show what killed the child.
      const lines = result.stderr.split('\n');
      const error = lines.find((l) => /^\s*\w*error:/i.test(l)) ?? lines.find((l) => /error/i.test(l)) ?? null;
      expect({ code: result.code, error }).toEqual({ code: 0, error: null });
      expect(JSON.parse(result.stdout.trim())).toEqual({ killed: 1, n: 42 });
    });
  });
});
