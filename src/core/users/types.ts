/** The kinds of identifier a user can sign in with. */
export type IdentifierType = 'email_address' | 'phone_number' | 'web3_wallet';

export interface Identifier {
  id: string;
  userId: string;
  type: IdentifierType;
  /** As the user gave it (phones already in E.164). */
  value: string;
  verified: boolean;
  /** How it was verified: 'admin', 'email_code', 'phone_code', ... */
  verificationStrategy: string | null;
  /** Attempts used on the latest one-time code, while one is pending. */
  verificationAttempts: number | null;
  /** When the latest one-time code expires, while one is pending. */
  verificationExpiresAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export type Metadata = Record<string, unknown>;

/** The one user record every dialect reads; each dialect shows the part it knows. */
export interface User {
  id: string;
  numericId: number;
  uuid: string;
  externalId: string | null;
  username: string | null;
  firstName: string | null;
  lastName: string | null;
  displayName: string | null;
  language: string | null;
  /** Instance administrator (Dex admin, Pterodactyl root_admin, DPoD roles). */
  isAdmin: boolean;
  /** An image URL from outside (imported users). */
  imageUrl: string | null;
  /** An uploaded image Latchkey serves itself. */
  imageId: string | null;
  publicMetadata: Metadata;
  privateMetadata: Metadata;
  unsafeMetadata: Metadata;
  passwordEnabled: boolean;
  totpEnabled: boolean;
  backupCodeEnabled: boolean;
  banned: boolean;
  lockedUntil: Date | null;
  primaryEmailAddressId: string | null;
  primaryPhoneNumberId: string | null;
  primaryWeb3WalletId: string | null;
  identifiers: Identifier[];
  lastSignInAt: Date | null;
  legalAcceptedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** Include and exclude lists, as Clerk's `+id` / `-id` filter values express them. */
export interface IdSet {
  include: string[];
  exclude: string[];
}

export interface UserFilter {
  emailAddresses?: string[];
  phoneNumbers?: string[];
  usernames?: string[];
  web3Wallets?: string[];
  externalIds?: IdSet;
  userIds?: IdSet;
  organizationIds?: IdSet;
  /** Case-insensitive partial match over identifiers, username, names and id. */
  query?: string;
  uuids?: string[];
  /** Case-insensitive substring of any email address. */
  emailContains?: string;
  /** Case-insensitive substring of the username. */
  usernameContains?: string;
  /** Case-insensitive substring of any text field: what `query` searches, and the external id. */
  text?: string;
  /** Users linked to this tenant (an organization id; see the tenant links of memberships). */
  tenantId?: string;
  /** Keyset paging: only users after this position in the (created_at, id) ascending order. */
  after?: UserPosition;
}

/** A user's place in the (created_at, id) order, which keyset cursors carry. */
export interface UserPosition {
  createdAt: Date;
  id: string;
}

export interface UserOrder {
  field: 'created_at' | 'updated_at' | 'numeric_id' | 'uuid';
  direction: 'asc' | 'desc';
}

export interface Page {
  limit: number;
  offset: number;
}
