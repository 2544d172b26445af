import type { Store } from '../store.ts';
import { lookupForm } from '../users/identifiers.ts';
import type { User } from '../users/types.ts';

const BY_CREATION = { field: 'created_at', direction: 'asc' } as const;
const ONE = { limit: 1, offset: 0 };

/**
 * The user an identifier names: an email address, a username or a phone number. Only a verified
 * email address or phone number signs in (as in Clerk): an unverified one may belong to someone
 * who typed the wrong address. A username needs no verification.
 */
export async function findAccount(store: Store, identifier: string): Promise<User | null> {
  const value = identifier.trim();
  if (!value || value.length > 320) return null;
  const verifiedMatch = (user: User | undefined, type: 'email_address' | 'phone_number', normalized: string) =>
    user?.identifiers.some((i) => i.type === type && i.verified && lookupForm(type, i.value) === normalized) ? user : null;

  if (value.includes('@')) {
    const email = lookupForm('email_address', value);
    if (!email) return null;
    const [user] = await store.users.list({ emailAddresses: [email] }, BY_CREATION, ONE);
    return verifiedMatch(user, 'email_address', email);
  }
  const [named] = await store.users.list({ usernames: [value.toLowerCase()] }, BY_CREATION, ONE);
  if (named) return named;
  const phone = lookupForm('phone_number', value);
  if (!phone) return null;
  const [user] = await store.users.list({ phoneNumbers: [phone] }, BY_CREATION, ONE);
  return verifiedMatch(user, 'phone_number', phone);
}

/** `ada@example.com` → `a•••@example.com`: enough for the owner to recognise, little for anyone else. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at < 1) return '•••';
  return `${email[0]}•••${email.slice(at)}`;
}
