import { Type } from 'typebox';
import { ERROR_RESPONSES, Metadata, Nullable } from './schemas.ts';

const Timestamp = Type.Integer({ description: 'Unix time in milliseconds' });
const StateEnum = ['pending', 'accepted', 'revoked', 'expired'];

export const Invitation = Type.Object(
  {
    object: Type.Literal('invitation'),
    id: Type.String(),
    email_address: Type.String(),
    public_metadata: Metadata,
    revoked: Type.Boolean(),
    status: Type.String({ enum: StateEnum, description: '`expired` (a pending invitation past its expiry) is Clerk\'s current API; the published spec lists the other three.' }),
    url: Type.Optional(Type.String({ description: 'The sign-up link, only in the answer to a create with `notify: false`: its token is stored hashed and never shown again.' })),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: 'ClerkInvitation', additionalProperties: false },
);

export const OrganizationInvitation = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal('organization_invitation'),
    email_address: Type.String(),
    role: Type.String(),
    role_name: Type.String(),
    organization_id: Type.String(),
    status: Type.String({ enum: StateEnum }),
    public_metadata: Metadata,
    private_metadata: Metadata,
    url: Type.Null({ description: 'Always null: the link is only in the email.' }),
    expires_at: Timestamp,
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: 'ClerkOrganizationInvitation', additionalProperties: false },
);

const listed = (object: string, $id: string) =>
  Type.Object(
    {
      object: Type.Literal(object),
      id: Type.String(),
      invitation_id: Type.Optional(Type.String()),
      identifier: Type.String(),
      identifier_type: Type.String({ enum: ['email_address', 'phone_number', 'web3_wallet'] }),
      instance_id: Type.String(),
      created_at: Timestamp,
      updated_at: Timestamp,
    },
    { $id, additionalProperties: false },
  );

export const AllowlistIdentifier = listed('allowlist_identifier', 'ClerkAllowlistIdentifier');
export const BlocklistIdentifier = listed('blocklist_identifier', 'ClerkBlocklistIdentifier');

export const RedirectUrl = Type.Object(
  { object: Type.Literal('redirect_url'), id: Type.String(), url: Type.String(), created_at: Timestamp, updated_at: Timestamp },
  { $id: 'ClerkRedirectUrl', additionalProperties: false },
);

export const SignUp = Type.Object(
  {
    object: Type.Literal('sign_up_attempt'),
    id: Type.String(),
    status: Type.String({ enum: ['missing_requirements', 'complete', 'abandoned'] }),
    required_fields: Type.Array(Type.String()),
    optional_fields: Type.Array(Type.String()),
    missing_fields: Type.Array(Type.String()),
    unverified_fields: Type.Array(Type.String()),
    verifications: Type.Object({}, { additionalProperties: true }),
    username: Nullable(Type.String()),
    email_address: Nullable(Type.String()),
    phone_number: Nullable(Type.String()),
    web3_wallet: Nullable(Type.String()),
    password_enabled: Type.Boolean(),
    first_name: Nullable(Type.String()),
    last_name: Nullable(Type.String()),
    unsafe_metadata: Metadata,
    public_metadata: Metadata,
    custom_action: Type.Boolean(),
    external_id: Nullable(Type.String()),
    created_session_id: Nullable(Type.String()),
    created_user_id: Nullable(Type.String()),
    abandon_at: Timestamp,
  },
  { $id: 'ClerkSignUp', additionalProperties: false },
);

/** Registered once on the dialect beside SHARED_SCHEMAS. */
export const INSTANCE_SCHEMAS = [Invitation, OrganizationInvitation, AllowlistIdentifier, BlocklistIdentifier, RedirectUrl, SignUp];

/** `paginated=true` (what the official SDK sends) answers `{data, total_count}`; without it, the spec's bare array. */
export const Paginated = Type.Optional(Type.Boolean({ description: 'Answer `{data, total_count}` instead of a bare array (the official SDK sends it).' }));

export const pageOf = (ref: string) => Type.Object({ data: Type.Array(Type.Ref(ref)), total_count: Type.Integer() }, { additionalProperties: false });

/** A list that is a bare array, or `{data, total_count}` with `paginated=true`. */
export const listOrPage = (ref: string) => ({ 200: Type.Union([Type.Array(Type.Ref(ref)), pageOf(ref)]), ...ERROR_RESPONSES });

export const Deleted = (object: string) =>
  Type.Object({ object: Type.Literal(object), id: Type.String(), deleted: Type.Boolean() }, { additionalProperties: false });

export const IdParam = (name: string) => Type.Object({ [name]: Type.String({ minLength: 1, maxLength: 128 }) }, { additionalProperties: false });
