import type { ColumnType, Generated } from 'kysely';
import type { OAuthApplicationsTable, OidcPayloadsTable } from './oidc-tables.ts';
import type { ClientsTable, SessionsTable } from './session-tables.ts';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type Json = ColumnType<Record<string, unknown>, string, string>;
/** A jsonb column with a default, which an insert may leave out. */
type JsonWithDefault = ColumnType<Record<string, unknown>, string | undefined, string>;

/** Table shapes as Kysely sees them; the migrations are the source of truth. */
export interface UsersTable {
  id: string;
  numeric_id: Generated<string | number>;
  uuid: string;
  external_id: string | null;
  username: string | null;
  first_name: string | null;
  last_name: string | null;
  display_name: string | null;
  language: string | null;
  is_admin: Generated<boolean>;
  image_url: string | null;
  image_id: string | null;
  public_metadata: Json;
  private_metadata: Json;
  unsafe_metadata: Json;
  password_digest: string | null;
  password_hasher: string | null;
  password_compromised_at: Timestamp | null;
  totp_enabled: Generated<boolean>;
  backup_code_enabled: Generated<boolean>;
  banned: Generated<boolean>;
  legal_accepted_at: Timestamp | null;
  locked_until: Timestamp | null;
  failed_attempts: Generated<number>;
  failure_window_start: Timestamp | null;
  failures_in_window: Generated<number>;
  mfa_failures: Generated<number>;
  password_must_change: Generated<boolean>;
  mfa_window_start: Timestamp | null;
  primary_email_address_id: string | null;
  primary_phone_number_id: string | null;
  primary_web3_wallet_id: string | null;
  last_sign_in_at: Timestamp | null;
  search: Generated<string>;
  /** Set when a deletion is requested; the row is hidden from reads until the worker deletes it. */
  deletion_requested_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface IdentifiersTable {
  id: string;
  user_id: string;
  type: string;
  value: string;
  normalized: string;
  verified: boolean;
  verification_strategy: string | null;
  seq: Generated<string | number>;
  verification_attempts: number | null;
  verification_expires_at: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface OrganizationsTable {
  id: string;
  name: string;
  slug: string;
  image_id: Generated<string | null>;
  public_metadata: JsonWithDefault;
  private_metadata: JsonWithDefault;
  max_allowed_memberships: Generated<number>;
  admin_delete_enabled: Generated<boolean>;
  created_by: Generated<string | null>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface OrganizationMembershipsTable {
  id: string;
  organization_id: string;
  user_id: string;
  /** An organization_roles key. */
  role: string;
  public_metadata: JsonWithDefault;
  private_metadata: JsonWithDefault;
  /** The user's Authress tenant link (at most one per user). */
  tenant_link: Generated<boolean>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface OrganizationRolesTable {
  id: string;
  key: string;
  name: string;
  description: Generated<string>;
  permissions: ColumnType<string[], string, string>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface SecretKeysTable {
  id: string;
  name: string;
  key_hash: string;
  last_four: string;
  created_at: Timestamp;
  revoked_at: Timestamp | null;
}

export interface EventsTable {
  id: Generated<string | number>;
  type: string;
  subject_id: string;
  payload: Json;
  created_at: Timestamp;
}

export interface ImagesTable {
  id: string;
  content_type: string;
  bytes: Uint8Array;
  sha256: string;
  created_at: Timestamp;
}

export interface UserTotpTable {
  user_id: string;
  secret_sealed: string;
  confirmed: boolean;
  last_used_step: string | number;
  created_at: Timestamp;
}

export interface BackupCodesTable {
  id: string;
  user_id: string;
  code_hash: string;
  hasher: string;
  used_at: Timestamp | null;
  created_at: Timestamp;
}

export interface VerificationsTable {
  id: string;
  user_id: string;
  identifier_id: string | null;
  purpose: string;
  strategy: string;
  code_hash: string | null;
  token_hash: string | null;
  attempts: Generated<number>;
  max_attempts: number;
  expires_at: Timestamp;
  consumed_at: Timestamp | null;
  voided_at: Timestamp | null;
  created_at: Timestamp;
}

export interface OutboxMessagesTable {
  id: string;
  channel: string;
  template: string | null;
  to_address: string;
  sender: string;
  subject: string | null;
  body: string | null;
  body_plain: string | null;
  secrets: ColumnType<string[], string, string>;
  status: string;
  attempts: Generated<number>;
  next_attempt_at: Timestamp;
  last_error: string | null;
  provider_id: string | null;
  user_id: string | null;
  identifier_id: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  sent_at: Timestamp | null;
}

export interface MessageTemplatesTable {
  channel: string;
  slug: string;
  name: string;
  subject: string | null;
  body: string;
  markup: string;
  from_email_name: string | null;
  delivered_by_clerk: boolean;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface InvitationsTable {
  id: string;
  email_address: string;
  email_normalized: string;
  public_metadata: JsonWithDefault;
  redirect_url: string | null;
  status: string;
  token_hash: string;
  expires_at: Timestamp;
  user_id: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** The instance invitation's columns plus the organization, role and inviter. */
export interface OrganizationInvitationsTable extends InvitationsTable {
  organization_id: string;
  role: string;
  private_metadata: JsonWithDefault;
  inviter_user_id: string | null;
}

export interface InstanceSettingsTable {
  key: string;
  value: Json;
  updated_at: Timestamp;
}

export interface AccessListIdentifiersTable {
  id: string;
  list: string;
  identifier: string;
  identifier_type: string;
  normalized: string;
  invitation_id: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface RedirectUrlsTable {
  id: string;
  url: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface SignUpsTable {
  id: string;
  email_address: string | null;
  phone_number: string | null;
  web3_wallet: string | null;
  username: string | null;
  first_name: string | null;
  last_name: string | null;
  password_digest: string | null;
  password_hasher: string | null;
  external_id: string | null;
  custom_action: Generated<boolean>;
  public_metadata: JsonWithDefault;
  unsafe_metadata: JsonWithDefault;
  verified_fields: ColumnType<string[], string | undefined, string>;
  created_user_id: string | null;
  abandon_at: Timestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
  /** SHA-256 of the token in the browser's sign-up cookie (migration 0018). */
  browser_token_hash: string | null;
  completed_at: Timestamp | null;
}

export interface SignUpCodesTable {
  id: string;
  sign_up_id: string;
  code_hash: string;
  attempts: Generated<number>;
  max_attempts: number;
  expires_at: Timestamp;
  consumed_at: Timestamp | null;
  voided_at: Timestamp | null;
  created_at: Timestamp;
}

export interface Database {
  clients: ClientsTable;
  sessions: SessionsTable;
  oidc_payloads: OidcPayloadsTable;
  oauth_applications: OAuthApplicationsTable;
  invitations: InvitationsTable;
  organization_invitations: OrganizationInvitationsTable;
  instance_settings: InstanceSettingsTable;
  access_list_identifiers: AccessListIdentifiersTable;
  redirect_urls: RedirectUrlsTable;
  sign_ups: SignUpsTable;
  sign_up_codes: SignUpCodesTable;
  outbox_messages: OutboxMessagesTable;
  message_templates: MessageTemplatesTable;
  verifications: VerificationsTable;
  user_totp: UserTotpTable;
  backup_codes: BackupCodesTable;
  images: ImagesTable;
  users: UsersTable;
  identifiers: IdentifiersTable;
  organizations: OrganizationsTable;
  organization_memberships: OrganizationMembershipsTable;
  organization_roles: OrganizationRolesTable;
  secret_keys: SecretKeysTable;
  events: EventsTable;
}
