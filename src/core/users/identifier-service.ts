import type { Clock } from '../clock.ts';
import { DomainError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { Store } from '../store.ts';
import { replaceIdentifierIn } from './identifier-replace.ts';
import { normalizeEmail, normalizePhone } from './identifiers.ts';
import type { UserRules } from './user-options.ts';
import type { UserPatch } from './user-store.ts';
import type { Identifier, IdentifierType, User } from './types.ts';

const PRIMARY_FIELD = {
  email_address: 'primaryEmailAddressId',
  phone_number: 'primaryPhoneNumberId',
  web3_wallet: 'primaryWeb3WalletId',
} as const satisfies Record<IdentifierType, keyof UserPatch>;

export interface AddIdentifierInput {
  userId: string;
  type: 'email_address' | 'phone_number';
  value: string;
  verified?: boolean | null;
  primary?: boolean | null;
}

function notFound(id: string): DomainError {
  return new DomainError('identifier_not_found', `No identifier was found with id ${id}.`, { param: 'id' });
}

/** Email addresses and phone numbers as objects of their own, each belonging to one user. */
export function createIdentifierService(deps: { store: Store; clock: Clock; rules: UserRules }) {
  const { store, clock, rules } = deps;

  async function lockOwner(tx: Store, userId: string): Promise<User> {
    const user = await tx.users.lockForUpdate(userId);
    if (!user) throw new DomainError('user_not_found', `No user was found with id ${userId}.`, { param: 'user_id' });
    return user;
  }

  async function finish(tx: Store, ident: Identifier, event: string): Promise<Identifier> {
    await tx.users.refreshSearch(ident.userId);
    await tx.events.record({ type: event, subjectId: ident.userId, payload: { identifier_id: ident.id }, at: clock.now() });
    return ident;
  }

  async function find(tx: Store, id: string, type: IdentifierType): Promise<Identifier> {
    const ident = await tx.users.findIdentifier(id);
    if (!ident || ident.type !== type) throw notFound(id);
    return ident;
  }

  return {
    get: (id: string, type: IdentifierType) => find(store, id, type),

    async add(input: AddIdentifierInput): Promise<Identifier> {
      const norm = input.type === 'email_address' ? normalizeEmail(input.value) : normalizePhone(input.value);
      return store.transaction(async (tx) => {
        const user = await lockOwner(tx, input.userId);
        const now = clock.now();
        const verified = input.verified ?? false;
        const ident: Identifier = {
          id: newId('idn'),
          userId: user.id,
          type: norm.type,
          value: norm.value,
          verified,
          verificationStrategy: verified ? 'admin' : null,
          verificationAttempts: null,
          verificationExpiresAt: null,
          createdAt: now,
          updatedAt: now,
        };
        await tx.users.insertIdentifier({ ...ident, normalized: norm.normalized });
        const field = PRIMARY_FIELD[norm.type];
        if (input.primary && !verified) {
          throw new DomainError('primary_identifier_unverified', 'Only a verified identifier can be primary.', { param: 'primary' });
        }
        // As in Clerk, the first identifier of a kind becomes primary even when unverified.
        if (input.primary || user[field] === null) await tx.users.update(user.id, { [field]: ident.id, updatedAt: now });
        else await tx.users.update(user.id, { updatedAt: now });
        return finish(tx, ident, 'user.identifier.created');
      });
    },

    async update(id: string, type: IdentifierType, patch: { verified?: boolean | null; primary?: boolean | null }): Promise<Identifier> {
      return store.transaction(async (tx) => {
        const found = await find(tx, id, type);
        const user = await lockOwner(tx, found.userId);
        const now = clock.now();
        const verified = patch.verified ?? found.verified;
        if (patch.verified !== undefined && patch.verified !== null && patch.verified !== found.verified) {
          await tx.users.updateIdentifier(id, { verified, verificationStrategy: verified ? 'admin' : null, verificationAttempts: null, verificationExpiresAt: null, updatedAt: now });
        }
        const field = PRIMARY_FIELD[type];
        if (patch.primary === true && user[field] !== id) {
          if (!verified) throw new DomainError('primary_identifier_unverified', 'Only a verified identifier can be primary.', { param: 'primary' });
          await tx.users.update(user.id, { [field]: id, updatedAt: now });
        } else {
          await tx.users.update(user.id, { updatedAt: now });
        }
        return finish(tx, (await tx.users.findIdentifier(id)) as Identifier, 'user.identifier.updated');
      });
    },

    /**
     * Replaces all of a user's identifiers of one kind with a single new, verified, primary one,
     * in one transaction.
     */
    async replace(userId: string, type: 'email_address' | 'phone_number', value: string): Promise<Identifier> {
      const norm = type === 'email_address' ? normalizeEmail(value) : normalizePhone(value);
      return store.transaction(async (tx) => {
        const user = await lockOwner(tx, userId);
        const ident = await replaceIdentifierIn(tx, user, norm, clock.now());
        return finish(tx, ident, 'user.identifier.replaced');
      });
    },

    /**
     * Deletes an identifier; a deleted primary hands over to the oldest remaining one of its kind.
     * With `ownerId`, the identifier must belong to that user.
     */
    async delete(id: string, type: IdentifierType, ownerId?: string): Promise<void> {
      await store.transaction(async (tx) => {
        const found = await find(tx, id, type);
        if (ownerId !== undefined && found.userId !== ownerId) throw notFound(id);
        const user = await lockOwner(tx, found.userId);
        const rest = user.identifiers.filter((i) => i.id !== id);
        if (rules.requireIdentifier && rest.length === 0) {
          throw new DomainError('last_identifier', 'A user must keep at least one email address, phone number or web3 wallet.', { param: 'id' });
        }
        await tx.users.deleteIdentifier(id);
        const field = PRIMARY_FIELD[type];
        const now = clock.now();
        if (user[field] === id) {
          const sameKind = rest.filter((i) => i.type === type);
          const next = sameKind.find((i) => i.verified) ?? sameKind[0];
          await tx.users.update(user.id, { [field]: next?.id ?? null, updatedAt: now });
        } else {
          await tx.users.update(user.id, { updatedAt: now });
        }
        await finish(tx, found, 'user.identifier.deleted');
      });
    },
  };
}

export type IdentifierService = ReturnType<typeof createIdentifierService>;
