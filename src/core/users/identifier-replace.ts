import { newId } from '../ids.ts';
import type { Store } from '../store.ts';
import type { NormalizedIdentifier } from './identifiers.ts';
import type { Identifier, User } from './types.ts';

const PRIMARY_FIELD = {
  email_address: 'primaryEmailAddressId',
  phone_number: 'primaryPhoneNumberId',
  web3_wallet: 'primaryWeb3WalletId',
} as const;

/**
 * Inside the caller's transaction, makes `norm` the user's only identifier of its kind: verified
 * and primary. Used by Clerk's replace endpoints and by dialects whose users have one email.
 */
export async function replaceIdentifierIn(tx: Store, user: User, norm: NormalizedIdentifier, now: Date): Promise<Identifier> {
  const sameKind = user.identifiers.filter((i) => i.type === norm.type);
  for (const old of sameKind.filter((i) => i.value !== norm.value)) await tx.users.deleteIdentifier(old.id);
  const existing = sameKind.find((i) => i.value === norm.value);
  const ident: Identifier = existing ?? {
    id: newId('idn'),
    userId: user.id,
    type: norm.type,
    value: norm.value,
    verified: true,
    verificationStrategy: 'admin',
    verificationAttempts: null,
    verificationExpiresAt: null,
    createdAt: now,
    updatedAt: now,
  };
  if (!existing) await tx.users.insertIdentifier({ ...ident, normalized: norm.normalized });
  else if (!existing.verified) await tx.users.updateIdentifier(existing.id, { verified: true, verificationStrategy: 'admin', updatedAt: now });
  await tx.users.update(user.id, { [PRIMARY_FIELD[norm.type]]: ident.id, updatedAt: now });
  await tx.users.refreshSearch(user.id);
  return { ...ident, verified: true, verificationStrategy: ident.verificationStrategy ?? 'admin' };
}
