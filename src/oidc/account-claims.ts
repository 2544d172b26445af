import type { User } from '../core/users/types.ts';

/**
 * The OpenID claims of a user. The provider keeps only those the granted scopes allow
 * (`profile`, `email`; see CLAIMS_BY_SCOPE), so every claim the user has is returned here.
 */
export function accountClaims(user: User, publicUrl: string): Record<string, unknown> {
  const email = user.identifiers.find((i) => i.id === user.primaryEmailAddressId);
  const name = [user.firstName, user.lastName].filter(Boolean).join(' ') || user.displayName || undefined;
  const picture = user.imageId ? `${publicUrl}/images/${user.imageId}` : (user.imageUrl ?? undefined);
  return {
    sub: user.id,
    ...(email ? { email: email.value, email_verified: email.verified } : {}),
    ...(name ? { name } : {}),
    ...(user.firstName ? { given_name: user.firstName } : {}),
    ...(user.lastName ? { family_name: user.lastName } : {}),
    ...(user.username ? { preferred_username: user.username } : {}),
    ...(picture ? { picture } : {}),
    updated_at: Math.floor(user.updatedAt.getTime() / 1000),
  };
}

/** Which claims each scope releases, as OpenID Connect Core §5.4 defines them. */
export const CLAIMS_BY_SCOPE = {
  openid: ['sub'],
  email: ['email', 'email_verified'],
  profile: ['name', 'given_name', 'family_name', 'preferred_username', 'picture', 'updated_at'],
};

/** A user who may not receive tokens: banned, or locked out right now. Deleted users are not found at all. */
export function userBlocked(user: User, now: Date): boolean {
  return user.banned || (user.lockedUntil !== null && user.lockedUntil.getTime() > now.getTime());
}
