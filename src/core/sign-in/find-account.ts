import type { SignInLookup } from '../credentials/lockout.ts';
import type { Store } from '../store.ts';
import { lookupForm } from '../users/identifiers.ts';
import { findByIdentifier, firstUser } from '../users/find-by-identifier.ts';
import type { User } from '../users/types.ts';

/**
 * The user an identifier names: an email address, a username or a phone number. Only a verified
 * email address or phone number signs in (as in Clerk): an unverified one may belong to someone
 * who typed the wrong address. A username needs no verification.
 */
export async function findAccount(store: Store, identifier: string): Promise<User | null> {
  const value = identifier.trim();
  if (!value || value.length > 320) return null;
  const verified = { verifiedOnly: true };
  if (value.includes('@')) return (await findByIdentifier(store, 'email_address', value, verified))?.user ?? null;
  const named = await firstUser(store, { usernames: [value.toLowerCase()] });
  if (named) return named;
  return (await findByIdentifier(store, 'phone_number', value, verified))?.user ?? null;
}

/**
 * How a sign-in's fast path names the account (`LockoutStore.reserveForSignIn`), or null when
 * the input could never match. An identifier without `@` is tried as a username first, as
 * `findAccount` does; when no username matches, the slow path goes on to phone numbers.
 */
export function signInLookup(identifier: string): SignInLookup | null {
  const value = identifier.trim();
  if (!value || value.length > 320) return null;
  if (!value.includes('@')) return { type: 'username', lowered: value.toLowerCase() };
  const normalized = lookupForm('email_address', value);
  return normalized ? { type: 'email_address', normalized } : null;
}

/** `ada@example.com` → `a•••@example.com`: enough for the owner to recognise, little for anyone else. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at < 1) return '•••';
  return `${email[0]}•••${email.slice(at)}`;
}
