import { type Static, type TSchema, Type } from 'typebox';

/** A nullable value written as a JSON Schema type list, which fast-json-stringify serialises fastest. */
export function Nullable<T extends TSchema>(schema: T) {
  return Type.Unsafe<Static<T> | null>({ ...schema, type: [(schema as any).type, 'null'] });
}

const Timestamp = Type.Integer({ description: 'Unix time in milliseconds' });

export const Verification = Nullable(
  Type.Object(
    {
      status: Type.String({ enum: ['unverified', 'verified', 'failed', 'expired'] }),
      strategy: Type.String(),
      attempts: Nullable(Type.Integer()),
      expire_at: Nullable(Type.Integer()),
    },
    { additionalProperties: false },
  ),
);

export const EmailAddress = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal('email_address'),
    email_address: Type.String(),
    reserved: Type.Boolean(),
    verification: Verification,
    linked_to: Type.Array(Type.Object({ type: Type.String(), id: Type.String() })),
  },
  { $id: 'ClerkEmailAddress', additionalProperties: false },
);

export const PhoneNumber = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal('phone_number'),
    phone_number: Type.String(),
    reserved_for_second_factor: Type.Boolean(),
    default_second_factor: Type.Boolean(),
    reserved: Type.Boolean(),
    verification: Verification,
    linked_to: Type.Array(Type.Object({ type: Type.String(), id: Type.String() })),
    backup_codes: Nullable(Type.Array(Type.String())),
  },
  { $id: 'ClerkPhoneNumber', additionalProperties: false },
);

export const Web3Wallet = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal('web3_wallet'),
    web3_wallet: Type.String(),
    verification: Verification,
  },
  { $id: 'ClerkWeb3Wallet', additionalProperties: false },
);

/** A JSON object of any keys. */
export const Metadata = Type.Unsafe<Record<string, unknown>>(Type.Object({}, { additionalProperties: true }));

export const User = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal('user'),
    external_id: Nullable(Type.String()),
    primary_email_address_id: Nullable(Type.String()),
    primary_phone_number_id: Nullable(Type.String()),
    primary_web3_wallet_id: Nullable(Type.String()),
    username: Nullable(Type.String()),
    first_name: Nullable(Type.String()),
    last_name: Nullable(Type.String()),
    profile_image_url: Type.String(),
    image_url: Type.String(),
    public_metadata: Metadata,
    private_metadata: Nullable(Type.Object({}, { additionalProperties: true })),
    unsafe_metadata: Metadata,
    gender: Nullable(Type.String()),
    birthday: Nullable(Type.String()),
    email_addresses: Type.Array(Type.Ref('ClerkEmailAddress')),
    phone_numbers: Type.Array(Type.Ref('ClerkPhoneNumber')),
    web3_wallets: Type.Array(Type.Ref('ClerkWeb3Wallet')),
    password_enabled: Type.Boolean(),
    two_factor_enabled: Type.Boolean(),
    totp_enabled: Type.Boolean(),
    backup_code_enabled: Type.Boolean(),
    external_accounts: Type.Array(Type.Object({})),
    last_sign_in_at: Nullable(Timestamp),
    banned: Type.Boolean(),
    locked: Type.Boolean(),
    lockout_expires_in_seconds: Nullable(Type.Integer()),
    has_image: Type.Boolean(),
    locale: Nullable(Type.String()),
    legal_accepted_at: Nullable(Timestamp),
    updated_at: Timestamp,
    created_at: Timestamp,
  },
  { $id: 'ClerkUser', additionalProperties: false },
);

export const DeletedObject = Type.Object(
  { object: Type.String(), id: Type.String(), deleted: Type.Boolean() },
  { additionalProperties: false },
);

export const TotalCount = Type.Object(
  { object: Type.Literal('total_count'), total_count: Type.Integer() },
  { additionalProperties: false },
);

export const ClerkErrors = Type.Object(
  {
    errors: Type.Array(
      Type.Object({
        message: Type.String(),
        long_message: Type.String(),
        code: Type.String(),
        meta: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
      }),
    ),
  },
  { $id: 'ClerkErrors' },
);

/** Shared schemas registered once on the dialect, referenced by $id from the routes. */
export const SHARED_SCHEMAS = [EmailAddress, PhoneNumber, Web3Wallet, User, ClerkErrors];

export const UserId = Type.Object({ user_id: Type.String({ minLength: 1, maxLength: 128 }) }, { additionalProperties: false });

/** The error responses every authenticated route may give. */
export const ERROR_RESPONSES = {
  400: Type.Ref('ClerkErrors'),
  401: Type.Ref('ClerkErrors'),
  403: Type.Ref('ClerkErrors'),
  404: Type.Ref('ClerkErrors'),
  422: Type.Ref('ClerkErrors'),
  429: Type.Ref('ClerkErrors'),
} as const;
