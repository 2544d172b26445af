import type { Clock } from '../clock.ts';
import type { MfaService } from '../credentials/mfa.ts';
import type { BreachedPasswords } from '../credentials/breached-passwords.ts';
import { FOREIGN_HASHERS, type ForeignHasher, validateDigest } from '../credentials/foreign-digests.ts';
import { NATIVE_HASHER, type PasswordHasher } from '../credentials/password-hasher.ts';
import { checkPassword, normalizePassword, PASSWORD_MAX_LENGTH } from '../credentials/password-policy.ts';
import { DomainError } from '../errors.ts';
import { newId, newUuid } from '../ids.ts';
import type { Store } from '../store.ts';
import type { SignUpRestrictions } from '../instance/access-lists.ts';
import { type NormalizedIdentifier, normalizeEmail, normalizePhone, normalizeWeb3Wallet } from './identifiers.ts';
import { checkMetadata, checkText, checkUsername } from './user-input.ts';
import type { UserRules } from './user-options.ts';
import type { NewIdentifier, NewUser } from './user-store.ts';
import type { Metadata, User } from './types.ts';

export interface CreateUserInput {
  externalId?: string | null;
  username?: string | null;
  firstName?: string | null;
  lastName?: string | null;
  displayName?: string | null;
  language?: string | null;
  isAdmin?: boolean;
  emailAddresses?: string[];
  /** Per email, by index: 'verified' (the default) or 'reserved' (claimed, not yet verified). */
  emailStatuses?: Array<'verified' | 'reserved'>;
  phoneNumbers?: string[];
  phoneStatuses?: Array<'verified' | 'reserved'>;
  web3Wallets?: string[];
  banned?: boolean;
  /** When the user accepted the legal terms, if the import knows. */
  legalAcceptedAt?: Date;
  password?: string | null;
  passwordDigest?: string;
  passwordHasher?: string;
  skipPasswordChecks?: boolean;
  skipPasswordRequirement?: boolean;
  publicMetadata?: Metadata;
  privateMetadata?: Metadata;
  unsafeMetadata?: Metadata;
  createdAt?: Date;
  /** A TOTP secret (base32) from a previous system, enabled at once. */
  totpSecret?: string;
  /** Backup codes from a previous system, plain or bcrypt digests. */
  backupCodes?: string[];
  /** Skips the instance's allow- and block-list: an administrator's explicit choice. */
  bypassRestrictions?: boolean;
  /** The verification strategy shown for verified identifiers; `admin` unless an invitation (`ticket`) proved them. */
  verifiedBy?: string;
}

/** Work to do in the transaction that creates the user, such as consuming the invitation it came from. */
export interface CreateUserHooks {
  withinTransaction?(tx: Store, user: User): Promise<void>;
}

export interface CreateUserDeps {
  store: Store;
  clock: Clock;
  hasher: PasswordHasher;
  breached: BreachedPasswords;
  rules: UserRules;
  mfa: MfaService;
  restrictions: SignUpRestrictions;
}

const MAX_IDENTIFIERS = 100;

type Status = 'verified' | 'reserved';

function statuses(values: string[] | undefined, given: Status[] | undefined, param: string): Status[] {
  const n = values?.length ?? 0;
  if (given === undefined) return Array(n).fill('verified');
  if (given.length !== n) throw new DomainError('invalid_param', `${param} needs exactly one entry per identifier.`, { param });
  return given;
}

function collectIdentifiers(input: CreateUserInput): Array<NormalizedIdentifier & { verified: boolean }> {
  const emailStatus = statuses(input.emailAddresses, input.emailStatuses, 'email_address_identification_status');
  const phoneStatus = statuses(input.phoneNumbers, input.phoneStatuses, 'phone_number_identification_status');
  const all = [
    ...(input.emailAddresses ?? []).map((e, i) => ({ ...normalizeEmail(e), verified: emailStatus[i] === 'verified' })),
    ...(input.phoneNumbers ?? []).map((p, i) => ({ ...normalizePhone(p), verified: phoneStatus[i] === 'verified' })),
    ...(input.web3Wallets ?? []).map((w) => ({ ...normalizeWeb3Wallet(w), verified: true })),
  ];
  if (all.length > MAX_IDENTIFIERS) throw new DomainError('invalid_param', `At most ${MAX_IDENTIFIERS} identifiers per user.`, { param: 'email_address' });
  const seen = new Set<string>();
  for (const i of all) {
    const key = `${i.type}:${i.normalized}`;
    if (seen.has(key)) throw new DomainError('identifier_exists', `${i.value} is listed twice.`, { param: i.type });
    seen.add(key);
  }
  return all;
}

/** Works out the stored password digest: hashes a plaintext password or accepts an imported digest. */
async function resolvePassword(input: CreateUserInput, identifiers: NormalizedIdentifier[], deps: CreateUserDeps) {
  const hasPlain = input.password !== undefined && input.password !== null;
  if (hasPlain && input.passwordDigest !== undefined) {
    throw new DomainError('invalid_param', 'Give either password or password_digest, not both.', { param: 'password_digest' });
  }
  if (input.passwordDigest !== undefined) {
    if (!input.passwordHasher) throw new DomainError('param_missing', 'password_hasher is required with password_digest.', { param: 'password_hasher' });
    if (!(FOREIGN_HASHERS as readonly string[]).includes(input.passwordHasher)) {
      throw new DomainError('invalid_param', `Unsupported password_hasher ${input.passwordHasher}.`, { param: 'password_hasher' });
    }
    validateDigest(input.passwordHasher as ForeignHasher, input.passwordDigest);
    return { digest: input.passwordDigest, hasher: input.passwordHasher };
  }
  if (input.passwordHasher !== undefined) throw new DomainError('param_missing', 'password_digest is required with password_hasher.', { param: 'password_digest' });
  if (hasPlain) {
    const password = input.skipPasswordChecks
      ? normalizePassword(input.password as string)
      : checkPassword(input.password as string, { emails: identifiers.filter((i) => i.type === 'email_address').map((i) => i.value), username: input.username ?? null }, deps.breached);
    if ([...password].length > PASSWORD_MAX_LENGTH || password.length === 0) {
      throw new DomainError('password_too_long', 'Password length is out of bounds.', { param: 'password' });
    }
    return { digest: await deps.hasher.hash(password), hasher: NATIVE_HASHER };
  }
  if (deps.rules.requirePassword && !input.skipPasswordRequirement) {
    throw new DomainError('password_required', 'A password is required.', { param: 'password' });
  }
  return null;
}

/**
 * Creates a user with its identifiers in one transaction. Identifiers given by an administrator
 * count as verified, as in Clerk. The first identifier of each kind becomes the primary one.
 */
export async function createUser(deps: CreateUserDeps, input: CreateUserInput, hooks: CreateUserHooks = {}): Promise<User> {
  const { store, clock, rules } = deps;
  const identifiers = collectIdentifiers(input);
  if (rules.requireIdentifier && identifiers.length === 0) {
    throw new DomainError('identifier_required', 'An email address, phone number or web3 wallet is required.', { param: 'email_address' });
  }
  // Before hashing: a refused identifier should cost no password hash.
  if (!input.bypassRestrictions) await deps.restrictions.check(identifiers);
  const username = checkUsername(input.username) ?? null;
  const fields = {
    externalId: checkText(input.externalId, 'external_id') ?? null,
    firstName: checkText(input.firstName, 'first_name') ?? null,
    lastName: checkText(input.lastName, 'last_name') ?? null,
    displayName: checkText(input.displayName, 'display_name') ?? null,
    language: checkText(input.language, 'language', 35) ?? null,
  };
  const metadata = {
    publicMetadata: checkMetadata(input.publicMetadata, 'public_metadata') ?? {},
    privateMetadata: checkMetadata(input.privateMetadata, 'private_metadata') ?? {},
    unsafeMetadata: checkMetadata(input.unsafeMetadata, 'unsafe_metadata') ?? {},
  };
  // Hash before the transaction: it is the slow part and needs no lock.
  const password = await resolvePassword(input, identifiers, deps);
  const now = clock.now();
  const id = newId('user');
  const rows: NewIdentifier[] = identifiers.map((ident) => ({
    id: newId('idn'),
    userId: id,
    ...ident,
    verificationStrategy: ident.verified ? (input.verifiedBy ?? 'admin') : null,
    createdAt: now,
    updatedAt: now,
  }));
  const primary = (type: string) => rows.find((r) => r.type === type)?.id ?? null;
  const newUser: NewUser = {
    id,
    uuid: newUuid(),
    username,
    ...fields,
    isAdmin: input.isAdmin ?? false,
    ...metadata,
    passwordDigest: password?.digest ?? null,
    passwordHasher: password?.hasher ?? null,
    banned: input.banned ?? false,
    legalAcceptedAt: input.legalAcceptedAt ?? null,
    primaryEmailAddressId: primary('email_address'),
    primaryPhoneNumberId: primary('phone_number'),
    primaryWeb3WalletId: primary('web3_wallet'),
    createdAt: input.createdAt ?? now,
    updatedAt: now,
  };
  const event = { type: 'user.created', subjectId: id, payload: {}, at: now };
  const mfaFlags = { totp: Boolean(input.totpSecret), backupCodes: Boolean(input.backupCodes?.length) };
  if (!input.totpSecret && !input.backupCodes?.length && !hooks.withinTransaction) {
    // The common case is one statement: user, identifiers and event, and no read-back.
    const { numericId } = await store.users.insertWithEvent(newUser, rows, event);
    return userFromInsert(newUser, rows, numericId, mfaFlags);
  }
  return store.transaction(async (tx) => {
    const { numericId } = await tx.users.insert(newUser, rows);
    if (input.totpSecret) await deps.mfa.importTotp(tx, id, input.totpSecret);
    if (input.backupCodes?.length) await deps.mfa.importBackupCodes(tx, id, input.backupCodes);
    await tx.events.record(event);
    const user = userFromInsert(newUser, rows, numericId, mfaFlags);
    await hooks.withinTransaction?.(tx, user);
    return user;
  });
}

/** The user just inserted, as a read would return it. */
function userFromInsert(u: NewUser, rows: NewIdentifier[], numericId: number, mfa: { totp: boolean; backupCodes: boolean }): User {
  return {
    id: u.id,
    numericId,
    uuid: u.uuid,
    externalId: u.externalId,
    username: u.username,
    firstName: u.firstName,
    lastName: u.lastName,
    displayName: u.displayName,
    language: u.language,
    isAdmin: u.isAdmin,
    imageUrl: null,
    imageId: null,
    publicMetadata: u.publicMetadata,
    privateMetadata: u.privateMetadata,
    unsafeMetadata: u.unsafeMetadata,
    passwordEnabled: u.passwordDigest !== null,
    totpEnabled: mfa.totp,
    backupCodeEnabled: mfa.backupCodes,
    banned: u.banned ?? false,
    lockedUntil: null,
    primaryEmailAddressId: u.primaryEmailAddressId ?? null,
    primaryPhoneNumberId: u.primaryPhoneNumberId ?? null,
    primaryWeb3WalletId: u.primaryWeb3WalletId ?? null,
    identifiers: rows.map((r) => ({
      id: r.id,
      userId: r.userId,
      type: r.type,
      value: r.value,
      verified: r.verified,
      verificationStrategy: r.verificationStrategy,
      verificationAttempts: null,
      verificationExpiresAt: null,
      createdAt: r.createdAt,
      updatedAt: r.updatedAt,
    })),
    lastSignInAt: null,
    legalAcceptedAt: u.legalAcceptedAt ?? null,
    createdAt: u.createdAt,
    updatedAt: u.updatedAt,
  };
}
