import type { User } from '../../../core/users/types.ts';

/** Authress's `UserIdentity`; the model forbids any other property. */
export interface UserIdentity {
  userId: string;
  name: string;
  picture?: string;
  email?: string;
}

/**
 * The user as Authress shows it. `name` is the display name, else first and last name, else the
 * username, else the primary identifier, else the id, so it is never empty. `picture` is the
 * uploaded image (served under `publicUrl`) or an imported image URL; `email` is the primary email
 * address (else the first). Both are left out, not null, when there is none.
 */
export function toUserIdentity(u: User, publicUrl: string): UserIdentity {
  const email = u.identifiers.find((i) => i.id === u.primaryEmailAddressId) ?? u.identifiers.find((i) => i.type === 'email_address');
  const fullName = [u.firstName, u.lastName].filter((p) => p).join(' ');
  const primary = email ?? u.identifiers.find((i) => i.id === u.primaryPhoneNumberId || i.id === u.primaryWeb3WalletId) ?? u.identifiers[0];
  const name = u.displayName || fullName || u.username || primary?.value || u.id;
  const picture = u.imageId ? `${publicUrl}/images/${u.imageId}` : u.imageUrl || undefined;
  const identity: UserIdentity = { userId: u.id, name };
  if (picture) identity.picture = picture;
  if (email) identity.email = email.value;
  return identity;
}
