import type { Clock } from '../clock.ts';
import { DomainError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { Store } from '../store.ts';
import { normalizeEmail, normalizePhone, normalizeWeb3Wallet } from '../users/identifiers.ts';
import type { Metadata } from '../users/types.ts';
import { checkMetadata, checkText, checkUsername } from '../users/user-input.ts';

export type SignUpStatus = 'missing_requirements' | 'complete' | 'abandoned';

/** A registration in progress: what the hosted sign-up has collected before it creates the user. */
export interface SignUp {
  id: string;
  emailAddress: string | null;
  phoneNumber: string | null;
  web3Wallet: string | null;
  username: string | null;
  firstName: string | null;
  lastName: string | null;
  passwordEnabled: boolean;
  /** Copied to the user when the sign-up completes. */
  externalId: string | null;
  /** Set by the application once its own checks ran ("ready to convert"). */
  customAction: boolean;
  publicMetadata: Metadata;
  unsafeMetadata: Metadata;
  /** Fields the registrant has proved, such as `email_address`. */
  verifiedFields: string[];
  createdUserId: string | null;
  abandonAt: Date;
  createdAt: Date;
  updatedAt: Date;
}

export interface SignUpStore {
  insert(s: SignUp & { passwordDigest: string | null; passwordHasher: string | null }): Promise<void>;
  findById(id: string): Promise<SignUp | null>;
  /** Locks the row for the rest of the transaction. */
  lockForUpdate(id: string): Promise<SignUp | null>;
  update(id: string, patch: { externalId?: string | null; customAction?: boolean; updatedAt: Date }): Promise<void>;
}

export interface CreateSignUpInput {
  emailAddress?: string | null;
  phoneNumber?: string | null;
  web3Wallet?: string | null;
  username?: string | null;
  firstName?: string | null;
  lastName?: string | null;
  /** An argon2id digest the caller computed (hashing stays outside transactions). */
  passwordDigest?: string | null;
  passwordHasher?: string | null;
  publicMetadata?: Metadata;
  unsafeMetadata?: Metadata;
  verifiedFields?: string[];
}

/** As in Clerk, a sign-up left unfinished is abandoned after a day. */
export const SIGN_UP_LIFETIME_MS = 24 * 60 * 60_000;

export function signUpStatus(s: SignUp, now: Date): SignUpStatus {
  if (s.createdUserId) return 'complete';
  return now >= s.abandonAt ? 'abandoned' : 'missing_requirements';
}

function notFound(id: string): DomainError {
  return new DomainError('sign_up_not_found', `No sign-up was found with id ${id}.`, { param: 'id' });
}

/**
 * Pending registrations. The hosted sign-up creates and completes them; the admin API reads
 * them and sets `external_id` and `custom_action` while they are pending.
 */
export function createSignUpService(deps: { store: Store; clock: Clock }) {
  const { store, clock } = deps;

  return {
    async create(input: CreateSignUpInput): Promise<SignUp> {
      const now = clock.now();
      const row = {
        id: newId('sua'),
        emailAddress: input.emailAddress ? normalizeEmail(input.emailAddress).value : null,
        phoneNumber: input.phoneNumber ? normalizePhone(input.phoneNumber).value : null,
        web3Wallet: input.web3Wallet ? normalizeWeb3Wallet(input.web3Wallet).value : null,
        username: checkUsername(input.username) ?? null,
        firstName: checkText(input.firstName, 'first_name') ?? null,
        lastName: checkText(input.lastName, 'last_name') ?? null,
        passwordEnabled: Boolean(input.passwordDigest),
        passwordDigest: input.passwordDigest ?? null,
        passwordHasher: input.passwordDigest ? (input.passwordHasher ?? 'argon2id') : null,
        externalId: null,
        customAction: false,
        publicMetadata: checkMetadata(input.publicMetadata, 'public_metadata') ?? {},
        unsafeMetadata: checkMetadata(input.unsafeMetadata, 'unsafe_metadata') ?? {},
        verifiedFields: input.verifiedFields ?? [],
        createdUserId: null,
        abandonAt: new Date(now.getTime() + SIGN_UP_LIFETIME_MS),
        createdAt: now,
        updatedAt: now,
      };
      return store.transaction(async (tx) => {
        await tx.signUps.insert(row);
        await tx.events.record({ type: 'sign_up.created', subjectId: row.id, payload: {}, at: now });
        const { passwordDigest: _d, passwordHasher: _h, ...signUp } = row;
        return signUp;
      });
    },

    async get(id: string): Promise<SignUp> {
      const s = await store.signUps.findById(id);
      if (!s) throw notFound(id);
      return s;
    },

    /** Sets `external_id` (checked free among users) and `custom_action` on a pending sign-up. */
    async update(id: string, patch: { externalId?: string | null; customAction?: boolean | null }): Promise<SignUp> {
      const externalId = patch.externalId === undefined ? undefined : (checkText(patch.externalId, 'external_id') ?? null);
      return store.transaction(async (tx) => {
        const current = await tx.signUps.lockForUpdate(id);
        if (!current) throw notFound(id);
        const now = clock.now();
        const status = signUpStatus(current, now);
        if (status !== 'missing_requirements') {
          throw new DomainError('sign_up_not_pending', `This sign-up is ${status === 'complete' ? 'complete' : 'abandoned'} and can no longer be updated.`, { param: 'id' });
        }
        if (externalId && (await tx.users.findBy('external_id', externalId))) {
          throw new DomainError('external_id_exists', 'That external_id is taken by another user.', { param: 'external_id' });
        }
        await tx.signUps.update(id, { externalId, customAction: patch.customAction ?? undefined, updatedAt: now });
        await tx.events.record({ type: 'sign_up.updated', subjectId: id, payload: { fields: Object.keys(patch) }, at: now });
        return (await tx.signUps.findById(id)) as SignUp;
      });
    },
  };
}

export type SignUpService = ReturnType<typeof createSignUpService>;
