import type { Store } from '../store.ts';
import { lookupForm } from './identifiers.ts';
import type { Identifier, User, UserFilter } from './types.ts';

/** The oldest user the filter matches (identifiers are unique, so usually the only one), or null. */
export async function firstUser(store: Store, filter: UserFilter): Promise<User | null> {
  const [user] = await store.users.list(filter, { field: 'created_at', direction: 'asc' }, { limit: 1, offset: 0 });
  return user ?? null;
}

/**
 * The user an email address or phone number belongs to (the oldest, should two ever share it),
 * with the matching identifier; null when the input could never match or nobody has it.
 * `verifiedOnly` skips unverified identifiers: sign-in needs proof, a reset link does not.
 */
export async function findByIdentifier(
  store: Store,
  type: 'email_address' | 'phone_number',
  input: string,
  opts: { verifiedOnly?: boolean } = {},
): Promise<{ user: User; identifier: Identifier } | null> {
  const normalized = lookupForm(type, input);
  if (!normalized) return null;
  const filter = type === 'email_address' ? { emailAddresses: [normalized] } : { phoneNumbers: [normalized] };
  const user = await firstUser(store, filter);
  const identifier = user?.identifiers.find((i) => i.type === type && (!opts.verifiedOnly || i.verified) && lookupForm(type, i.value) === normalized);
  return user && identifier ? { user, identifier } : null;
}
