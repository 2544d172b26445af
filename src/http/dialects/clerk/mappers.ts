import type { Identifier, User } from '../../../core/users/types.ts';

const ms = (d: Date | null) => (d ? d.getTime() : null);

/** Clerk's verification object: Admin for identifiers an administrator vouched for, OTP otherwise. */
function verification(i: Identifier, now: Date) {
  const expireAt = ms(i.verificationExpiresAt);
  if (i.verified) return { status: 'verified', strategy: i.verificationStrategy ?? 'admin', attempts: i.verificationAttempts, expire_at: expireAt };
  if (!i.verificationStrategy || !i.verificationExpiresAt) return null;
  const attempts = i.verificationAttempts ?? 0;
  const status = attempts >= 5 ? 'failed' : i.verificationExpiresAt <= now ? 'expired' : 'unverified';
  return { status, strategy: i.verificationStrategy, attempts, expire_at: expireAt };
}

export function toClerkEmailAddress(i: Identifier, now: Date) {
  return { id: i.id, object: 'email_address' as const, email_address: i.value, reserved: false, verification: verification(i, now), linked_to: [] };
}

export function toClerkPhoneNumber(i: Identifier, now: Date) {
  return {
    id: i.id,
    object: 'phone_number' as const,
    phone_number: i.value,
    reserved_for_second_factor: false,
    default_second_factor: false,
    reserved: false,
    verification: verification(i, now),
    linked_to: [],
    backup_codes: null,
  };
}

export function toClerkWeb3Wallet(i: Identifier, now: Date) {
  return { id: i.id, object: 'web3_wallet' as const, web3_wallet: i.value, verification: verification(i, now) };
}

/** Maps the core user to Clerk's `User` object; uploaded images are served under `publicUrl`. */
export type ClerkUserJson = ReturnType<typeof toClerkUser>;

export function toClerkUser(u: User, publicUrl: string, now: Date) {
  const lockedFor = u.lockedUntil && u.lockedUntil > now ? Math.ceil((u.lockedUntil.getTime() - now.getTime()) / 1000) : null;
  const image = u.imageId ? `${publicUrl}/images/${u.imageId}` : (u.imageUrl ?? '');
  const of = (type: Identifier['type']) => u.identifiers.filter((i) => i.type === type);
  return {
    id: u.id,
    object: 'user' as const,
    external_id: u.externalId,
    primary_email_address_id: u.primaryEmailAddressId,
    primary_phone_number_id: u.primaryPhoneNumberId,
    primary_web3_wallet_id: u.primaryWeb3WalletId,
    username: u.username,
    first_name: u.firstName,
    last_name: u.lastName,
    profile_image_url: image,
    image_url: image,
    public_metadata: u.publicMetadata,
    private_metadata: u.privateMetadata,
    unsafe_metadata: u.unsafeMetadata,
    gender: null,
    birthday: null,
    email_addresses: of('email_address').map((i) => toClerkEmailAddress(i, now)),
    phone_numbers: of('phone_number').map((i) => toClerkPhoneNumber(i, now)),
    web3_wallets: of('web3_wallet').map((i) => toClerkWeb3Wallet(i, now)),
    password_enabled: u.passwordEnabled,
    two_factor_enabled: u.totpEnabled || u.backupCodeEnabled,
    totp_enabled: u.totpEnabled,
    backup_code_enabled: u.backupCodeEnabled,
    external_accounts: [],
    last_sign_in_at: ms(u.lastSignInAt),
    banned: u.banned,
    // Beyond the published spec, as Clerk's current API and SDK have them.
    locked: lockedFor !== null,
    lockout_expires_in_seconds: lockedFor,
    has_image: image !== '',
    locale: u.language,
    legal_accepted_at: ms(u.legalAcceptedAt),
    updated_at: u.updatedAt.getTime(),
    created_at: u.createdAt.getTime(),
  };
}
