import type { DomainEvent } from '../store.ts';
import type { Identifier, IdentifierType, Metadata, Page, User, UserFilter, UserOrder } from './types.ts';

/** A new user row; identifiers are inserted alongside in the same transaction. */
export interface NewUser {
  id: string;
  uuid: string;
  externalId: string | null;
  username: string | null;
  firstName: string | null;
  lastName: string | null;
  displayName: string | null;
  language: string | null;
  isAdmin: boolean;
  publicMetadata: Metadata;
  privateMetadata: Metadata;
  unsafeMetadata: Metadata;
  passwordDigest: string | null;
  passwordHasher: string | null;
  banned?: boolean;
  legalAcceptedAt?: Date | null;
  primaryEmailAddressId?: string | null;
  primaryPhoneNumberId?: string | null;
  primaryWeb3WalletId?: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewIdentifier {
  id: string;
  userId: string;
  type: IdentifierType;
  value: string;
  normalized: string;
  verified: boolean;
  verificationStrategy: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** Columns a service may change on a user; undefined leaves a column as it is. */
export interface UserPatch {
  externalId?: string | null;
  username?: string | null;
  firstName?: string | null;
  lastName?: string | null;
  displayName?: string | null;
  language?: string | null;
  isAdmin?: boolean;
  imageUrl?: string | null;
  imageId?: string | null;
  publicMetadata?: Metadata;
  privateMetadata?: Metadata;
  unsafeMetadata?: Metadata;
  passwordDigest?: string | null;
  passwordHasher?: string | null;
  passwordCompromisedAt?: Date | null;
  passwordMustChange?: boolean;
  totpEnabled?: boolean;
  backupCodeEnabled?: boolean;
  banned?: boolean;
  legalAcceptedAt?: Date | null;
  lockedUntil?: Date | null;
  primaryEmailAddressId?: string | null;
  primaryPhoneNumberId?: string | null;
  primaryWeb3WalletId?: string | null;
  lastSignInAt?: Date;
  createdAt?: Date;
  updatedAt: Date;
}

export interface StoredPassword {
  digest: string;
  hasher: string;
}

/**
 * What the users domain needs from storage. Unique violations surface as DomainErrors. Users marked
 * for deletion are invisible to every read, lock and change here, as if already deleted.
 */
export interface UserStore {
  findById(id: string): Promise<User | null>;
  /** Looks a user up by another unique key. */
  findBy(key: 'numeric_id' | 'external_id' | 'uuid', value: string | number): Promise<User | null>;
  /** Locks the user row for the rest of the transaction. */
  lockForUpdate(id: string): Promise<User | null>;
  list(filter: UserFilter, order: UserOrder, page: Page): Promise<User[]>;
  count(filter: UserFilter): Promise<number>;
  /** Inserts a user with its identifiers (in order) and its search text; returns the numeric id. */
  insert(user: NewUser, identifiers?: NewIdentifier[]): Promise<{ numericId: number }>;
  /**
   * The same, together with the domain event of its creation, as one atomic statement: no
   * transaction round trips on the create-user path, whose throughput a bench holds to raw hashing.
   */
  insertWithEvent(user: NewUser, identifiers: NewIdentifier[], event: DomainEvent): Promise<{ numericId: number }>;
  update(id: string, patch: UserPatch): Promise<boolean>;
  delete(id: string): Promise<boolean>;
  /** Marks the user for deletion, hiding it from every read; false if absent or already marked. */
  markForDeletion(id: string, at: Date): Promise<boolean>;
  /**
   * Deletes up to `limit` marked users, oldest mark first, skipping rows another transaction holds
   * (so workers on several nodes never wait on each other); returns the ids deleted.
   */
  purgeMarkedForDeletion(limit: number): Promise<string[]>;
  findPassword(id: string): Promise<StoredPassword | null>;
  /** Swaps a digest for a stronger one of the same password, only if `expected` is still stored. */
  rehashPassword(id: string, expected: string, digest: string, hasher: string): Promise<boolean>;
  findIdentifier(id: string): Promise<Identifier | null>;
  insertIdentifier(identifier: NewIdentifier): Promise<void>;
  updateIdentifier(
    id: string,
    patch: { verified?: boolean; verificationStrategy?: string | null; verificationAttempts?: number | null; verificationExpiresAt?: Date | null; updatedAt: Date },
  ): Promise<void>;
  deleteIdentifier(id: string): Promise<boolean>;
  /** Recomputes the text the `query` filter searches; call after changing names or identifiers. */
  refreshSearch(userId: string): Promise<void>;
}
