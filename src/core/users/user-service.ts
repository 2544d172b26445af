import { normalizePassword, checkPassword } from '../credentials/password-policy.ts';
import { NATIVE_HASHER } from '../credentials/password-hasher.ts';
import { checkReserved, guardedPasswordCheck, type LockoutPolicy, type StoredPassword } from '../credentials/lockout.ts';
import { DomainError } from '../errors.ts';
import type { Store } from '../store.ts';
import { type CreateUserDeps, type CreateUserHooks, type CreateUserInput, createUser } from './create-user.ts';
import { replaceIdentifierIn } from './identifier-replace.ts';
import { purgeMarkedUsers, requestUserDeletion } from './user-deletion.ts';
import { lookupForm, normalizeEmail } from './identifiers.ts';
import { mergeMetadata } from './metadata.ts';
import { checkMetadata, checkText, checkUsername } from './user-input.ts';
import type { UserPatch } from './user-store.ts';
import type { RevocationReason } from '../sessions/types.ts';
import type { Metadata, Page, User, UserFilter, UserOrder } from './types.ts';

export interface UpdateUserInput {
  externalId?: string | null;
  username?: string | null;
  firstName?: string | null;
  lastName?: string | null;
  displayName?: string | null;
  language?: string | null;
  isAdmin?: boolean;
  primaryEmailAddressId?: string;
  /** Makes this the user's one email address (verified, primary), replacing the others. */
  email?: string;
  primaryPhoneNumberId?: string;
  primaryWeb3WalletId?: string;
  /** An image uploaded earlier, to become the profile picture. */
  profileImageId?: string | null;
  password?: string | null;
  skipPasswordChecks?: boolean;
  publicMetadata?: Metadata;
  privateMetadata?: Metadata;
  unsafeMetadata?: Metadata;
  createdAt?: Date;
  totpSecret?: string;
  backupCodes?: string[];
}

export interface MetadataPatch {
  publicMetadata?: Metadata;
  privateMetadata?: Metadata;
  unsafeMetadata?: Metadata;
}

export const LIST_LIMIT_MAX = 500;
const TOTAL_COUNT_TTL_MS = 5_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NIL_UUID = '00000000-0000-0000-0000-000000000000';

function notFound(id: string): DomainError {
  return new DomainError('user_not_found', `No user was found with id ${id}.`, { param: 'user_id' });
}

/** Normalises filter values the way identifiers are stored, so look-ups hit the unique indexes. */
/**
 * Values that can never match (an email that is not an email) are dropped; a filter left with
 * none of its values matches nothing, which `impossible` reports so no query runs.
 */
function normalizeFilter(filter: UserFilter): UserFilter & { impossible?: true } {
  let impossible = false;
  const forms = (type: 'email_address' | 'phone_number' | 'web3_wallet', values?: string[]) => {
    if (!values?.length) return undefined;
    const kept = values.map((v) => lookupForm(type, v)).filter((v): v is string => v !== null);
    if (kept.length === 0) impossible = true;
    return kept;
  };
  const normalized = {
    ...filter,
    emailAddresses: forms('email_address', filter.emailAddresses),
    phoneNumbers: forms('phone_number', filter.phoneNumbers),
    web3Wallets: forms('web3_wallet', filter.web3Wallets),
    usernames: filter.usernames?.map((u) => u.toLowerCase()),
    query: filter.query?.trim() ? filter.query.trim().toLowerCase() : undefined,
    text: filter.text?.trim().toLowerCase() || undefined,
    // A malformed UUID can match nothing; the nil UUID says so without a database error.
    uuids: filter.uuids?.map((u) => (UUID.test(u) ? u.toLowerCase() : NIL_UUID)),
  };
  return impossible ? { ...normalized, impossible: true } : normalized;
}

/**
 * `onSecurityEvent` runs after a ban, lock, delete or password change has committed; the
 * composition root points it at the sessions service, which revokes the user's sessions (a
 * plain callback, so the users service does not depend on sessions).
 */
export function createUserService(
  deps: CreateUserDeps & { lockout: LockoutPolicy; onDeletionRequested?: () => void; onSecurityEvent?: (userId: string, reason: RevocationReason) => Promise<void> },
) {
  const { store, clock, hasher, breached } = deps;

  async function secured<T>(id: string, reason: RevocationReason, change: Promise<T>): Promise<T> {
    const result = await change;
    await deps.onSecurityEvent?.(id, reason);
    return result;
  }

  async function load(tx: Store, id: string): Promise<User> {
    const user = await tx.users.lockForUpdate(id);
    if (!user) throw notFound(id);
    return user;
  }

  function primaryPatch(user: User, field: 'email_address' | 'phone_number' | 'web3_wallet', identId: string | undefined, param: string) {
    if (identId === undefined) return undefined;
    const ident = user.identifiers.find((i) => i.id === identId && i.type === field);
    if (!ident) throw new DomainError('identifier_not_found', `${identId} is not one of this user's identifiers.`, { param });
    if (!ident.verified) throw new DomainError('primary_identifier_unverified', 'Only a verified identifier can be primary.', { param });
    return identId;
  }

  let totalCache: { value: number; until: number } | null = null;

  async function setFlag(id: string, patch: Partial<UserPatch>, event: string): Promise<User> {
    return store.transaction(async (tx) => {
      await load(tx, id);
      const now = clock.now();
      await tx.users.update(id, { ...patch, updatedAt: now });
      await tx.events.record({ type: event, subjectId: id, payload: {}, at: now });
      return (await tx.users.findById(id)) as User;
    });
  }

  async function setLock(id: string, until: Date | null): Promise<User> {
    return store.transaction(async (tx) => {
      if (!(await tx.lockout.setLock(id, until))) throw notFound(id);
      await tx.events.record({ type: until ? 'user.locked' : 'user.unlocked', subjectId: id, payload: {}, at: clock.now() });
      return (await tx.users.findById(id)) as User;
    });
  }

  return {
    async create(input: CreateUserInput, hooks?: CreateUserHooks) {
      const user = await createUser(deps, input, hooks);
      totalCache = null;
      return user;
    },

    /** Looks a user up by numeric id, external id or UUID; `user_not_found` when absent. */
    async getBy(key: 'numeric_id' | 'external_id' | 'uuid', value: string | number): Promise<User> {
      const valid = key === 'uuid' ? UUID.test(String(value)) : key === 'numeric_id' ? Number.isSafeInteger(value) && Number(value) > 0 : true;
      const user = valid ? await store.users.findBy(key, value) : null;
      if (!user) throw new DomainError('user_not_found', `No user was found with ${key} ${value}.`, { param: key });
      return user;
    },

    async get(id: string): Promise<User> {
      const user = await store.users.findById(id);
      if (!user) throw notFound(id);
      return user;
    },

    list(filter: UserFilter, order: UserOrder, page: Page): Promise<User[]> {
      if (filter.after && (order.field !== 'created_at' || order.direction !== 'asc')) {
        throw new DomainError('invalid_param', 'A keyset position pages only the created_at ascending order.', { param: 'cursor' });
      }
      if (page.limit < 1 || page.limit > LIST_LIMIT_MAX) throw new DomainError('invalid_param', `limit must be between 1 and ${LIST_LIMIT_MAX}.`, { param: 'limit' });
      if (page.offset < 0) throw new DomainError('invalid_param', 'offset must be 0 or more.', { param: 'offset' });
      const normalized = normalizeFilter(filter);
      return normalized.impossible ? Promise.resolve([]) : store.users.list(normalized, order, page);
    },

    /**
     * Counts matching users. The unfiltered total costs a full index scan at a million users and
     * SDKs ask for it with every page, so it is kept for a few seconds (this process's own
     * creates and deletes refresh it at once; other nodes' show within the TTL).
     */
    async count(filter: UserFilter): Promise<number> {
      const normalized = normalizeFilter(filter);
      if (normalized.impossible) return 0;
      const unfiltered = Object.values(normalized).every((v) => v === undefined);
      if (!unfiltered) return store.users.count(normalized);
      const now = clock.now().getTime();
      if (totalCache && totalCache.until > now) return totalCache.value;
      const value = await store.users.count(normalized);
      totalCache = { value, until: now + TOTAL_COUNT_TTL_MS };
      return value;
    },

    async update(id: string, input: UpdateUserInput): Promise<User> {
      const username = checkUsername(input.username);
      const texts = {
        externalId: checkText(input.externalId, 'external_id'),
        firstName: checkText(input.firstName, 'first_name'),
        lastName: checkText(input.lastName, 'last_name'),
        displayName: checkText(input.displayName, 'display_name'),
        language: checkText(input.language, 'language', 35),
      };
      const email = input.email !== undefined ? normalizeEmail(input.email, 'email') : undefined;
      checkMetadata(input.publicMetadata, 'public_metadata');
      checkMetadata(input.privateMetadata, 'private_metadata');
      checkMetadata(input.unsafeMetadata, 'unsafe_metadata');
      let digest: string | null | undefined;
      if (input.password !== undefined && input.password !== null) {
        const current = await this.get(id);
        const emails = current.identifiers.filter((i) => i.type === 'email_address').map((i) => i.value);
        const password = input.skipPasswordChecks
          ? normalizePassword(input.password)
          : checkPassword(input.password, { emails, username: username ?? current.username }, breached);
        digest = await hasher.hash(password);
      }
      const updated = await store.transaction(async (tx) => {
        const user = await load(tx, id);
        const now = clock.now();
        if (input.profileImageId && !(await tx.images.exists(input.profileImageId))) {
          throw new DomainError('image_not_found', `No image ${input.profileImageId}.`, { param: 'profile_image_id' });
        }
        await tx.users.update(id, {
          ...texts,
          imageId: input.profileImageId,
          username,
          isAdmin: input.isAdmin,
          primaryEmailAddressId: primaryPatch(user, 'email_address', input.primaryEmailAddressId, 'primary_email_address_id'),
          primaryPhoneNumberId: primaryPatch(user, 'phone_number', input.primaryPhoneNumberId, 'primary_phone_number_id'),
          primaryWeb3WalletId: primaryPatch(user, 'web3_wallet', input.primaryWeb3WalletId, 'primary_web3_wallet_id'),
          ...(digest ? { passwordDigest: digest, passwordHasher: NATIVE_HASHER } : {}),
          publicMetadata: input.publicMetadata,
          privateMetadata: input.privateMetadata,
          unsafeMetadata: input.unsafeMetadata,
          createdAt: input.createdAt,
          updatedAt: now,
        });
        if (input.totpSecret) await deps.mfa.importTotp(tx, id, input.totpSecret);
        if (input.backupCodes) await deps.mfa.importBackupCodes(tx, id, input.backupCodes);
        if (email) await replaceIdentifierIn(tx, user, email, now);
        await tx.users.refreshSearch(id);
        await tx.events.record({ type: 'user.updated', subjectId: id, payload: digest ? { password_changed: true } : {}, at: now });
        return (await tx.users.findById(id)) as User;
      });
      // An administrator setting the password is a reset: sessions opened with the old one end.
      if (digest) await deps.onSecurityEvent?.(id, 'password_reset');
      return updated;
    },

    async delete(id: string): Promise<void> {
      await store.transaction(async (tx) => {
        if (!(await tx.users.delete(id))) throw notFound(id);
        totalCache = null;
        await tx.events.record({ type: 'user.deleted', subjectId: id, payload: {}, at: clock.now() });
      });
      // The rows went with the user (cascade); the hook still tells the session listeners.
      await deps.onSecurityEvent?.(id, 'delete');
    },

    /**
     * Hides the user from every read at once and leaves the hard delete to the deletion worker
     * (see user-deletion.ts); `onDeletionRequested` wakes it.
     */
    async requestDeletion(id: string): Promise<void> {
      await requestUserDeletion(deps, id);
      totalCache = null;
      await deps.onSecurityEvent?.(id, 'delete');
      deps.onDeletionRequested?.();
    },

    /** Hard-deletes up to `limit` users marked for deletion; the deletion worker calls this. */
    purgeMarked: (limit: number) => purgeMarkedUsers(deps, limit),

    /** Replaces each given kind of metadata whole; kinds left out keep their value. */
    replaceMetadata(id: string, patch: MetadataPatch): Promise<User> {
      return setFlag(
        id,
        {
          publicMetadata: checkMetadata(patch.publicMetadata, 'public_metadata'),
          privateMetadata: checkMetadata(patch.privateMetadata, 'private_metadata'),
          unsafeMetadata: checkMetadata(patch.unsafeMetadata, 'unsafe_metadata'),
        },
        'user.updated',
      );
    },

    removePassword: (id: string) => setFlag(id, { passwordDigest: null, passwordHasher: null, passwordCompromisedAt: null }, 'user.password.removed'),

    /** Marks the password as known to be compromised; sign-in then demands a reset. */
    setPasswordCompromised: (id: string, compromised: boolean) =>
      setFlag(id, { passwordCompromisedAt: compromised ? clock.now() : null }, compromised ? 'user.password.compromised' : 'user.password.uncompromised'),

    ban: (id: string) => secured(id, 'ban', setFlag(id, { banned: true }, 'user.banned')),
    unban: (id: string) => setFlag(id, { banned: false }, 'user.unbanned'),

    /** Deep-merges each kind of metadata under a row lock, so concurrent merges do not lose keys. */
    async mergeMetadata(id: string, patch: MetadataPatch): Promise<User> {
      return store.transaction(async (tx) => {
        const user = await load(tx, id);
        const merged = {
          publicMetadata: patch.publicMetadata && checkMetadata(mergeMetadata(user.publicMetadata, patch.publicMetadata), 'public_metadata'),
          privateMetadata: patch.privateMetadata && checkMetadata(mergeMetadata(user.privateMetadata, patch.privateMetadata), 'private_metadata'),
          unsafeMetadata: patch.unsafeMetadata && checkMetadata(mergeMetadata(user.unsafeMetadata, patch.unsafeMetadata), 'unsafe_metadata'),
        };
        const now = clock.now();
        await tx.users.update(id, { ...merged, updatedAt: now });
        await tx.events.record({ type: 'user.updated', subjectId: id, payload: { metadata: true }, at: now });
        return (await tx.users.findById(id)) as User;
      });
    },

    /**
     * Checks a password. An imported digest that verifies is replaced by a native argon2id one,
     * so foreign hashes live only until each user's next successful check.
     * `deferSuccess`: see guardedPasswordCheck; the caller must then clear the failure count.
     * `reserved`: the attempt was already reserved (`LockoutStore.reserveForSignIn`), with this digest.
     */
    async verifyPassword(id: string, password: string, options: { deferSuccess?: boolean; reserved?: StoredPassword } = {}): Promise<true> {
      const normalized = normalizePassword(password);
      let checked: StoredPassword | undefined;
      const check = (stored: StoredPassword) => {
        checked = stored;
        return hasher.verify(normalized, stored.digest, stored.hasher);
      };
      const guard = { store, clock, policy: deps.lockout };
      // The lockout reservation hands back the digest: one round trip before the hash.
      const ok = options.reserved ? await checkReserved(guard, id, options.reserved, check, options) : await guardedPasswordCheck(guard, id, check, options);
      if (ok === 'missing') throw notFound(id);
      if (ok === 'no_password') throw new DomainError('password_not_set', 'This user has no password.', { param: 'password' });
      if (!ok || !checked) throw new DomainError('password_incorrect', 'Password is incorrect.', { param: 'password' });
      if (hasher.needsRehash(checked.digest, checked.hasher)) {
        // Only if the password is still the one just checked: a change made meanwhile wins.
        await store.users.rehashPassword(id, checked.digest, await hasher.hash(normalized), NATIVE_HASHER);
      }
      return true;
    },

    /** Locks the user for the policy's lock duration, as too many failures would. */
    // Only this administrator's lock revokes sessions: a lock from wrong passwords does not, or
    // anyone who knows a username could sign its owner out by guessing.
    lock: (id: string) => secured(id, 'lock', setLock(id, new Date(clock.now().getTime() + deps.lockout.durationMs))),
    unlock: (id: string) => setLock(id, null),
  };
}

export type UserService = ReturnType<typeof createUserService>;
