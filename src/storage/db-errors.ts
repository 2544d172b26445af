import { DomainError } from '../core/errors.ts';

interface PgError {
  code?: string;
  constraint?: string;
  message?: string;
  detail?: string;
}

const UNIQUE_RULES: Record<string, (detail?: string) => DomainError> = {
  users_external_id_key: () => new DomainError('external_id_exists', 'That external_id is taken by another user.', { param: 'external_id' }),
  users_username_key: () => new DomainError('username_exists', 'That username is taken. Please try another.', { param: 'username' }),
  organizations_slug_key: () => new DomainError('organization_slug_exists', 'That slug is taken. Please try another.', { param: 'slug' }),
  organization_memberships_org_user_key: () => new DomainError('membership_exists', 'The user is already a member of the organization.', { param: 'user_id' }),
  invitations_pending_email_key: () => new DomainError('invitation_exists', 'There is already a pending invitation for that email address.', { param: 'email_address' }),
  organization_invitations_pending_email_key: () =>
    new DomainError('invitation_exists', 'There is already a pending invitation to this organization for that email address.', { param: 'email_address' }),
  access_list_identifiers_list_normalized_key: () => new DomainError('listed_identifier_exists', 'That identifier is already on the list.', { param: 'identifier' }),
  redirect_urls_url_key: () => new DomainError('redirect_url_exists', 'That redirect URL already exists.', { param: 'url' }),
  identifiers_type_normalized_key: (detail?: string) => {
    // detail reads "Key (type, normalized)=(email_address, a@b.c) already exists."
    const type = /=\((email_address|phone_number|web3_wallet),/.exec(detail ?? '')?.[1] ?? 'identifier';
    return new DomainError('identifier_exists', 'That identifier is taken. Please try another.', { param: type });
  },
};

/**
 * Turns a database error into the domain error it means, by SQLSTATE and constraint name.
 * Anything unexpected is returned unchanged, to surface as an internal error.
 */
export function translateDbError(e: unknown): unknown {
  if (!e || typeof e !== 'object') return e;
  const err = e as PgError;
  switch (err.code) {
    case '23505': {
      // PGlite reports the constraint only in the message on some paths.
      const name = err.constraint ?? Object.keys(UNIQUE_RULES).find((k) => err.message?.includes(k));
      return (name && UNIQUE_RULES[name]?.(err.detail)) ?? new DomainError('identifier_exists', 'That value is already taken.');
    }
    case '23503':
      return new DomainError('user_not_found', 'The user no longer exists.', { param: 'user_id' });
    case '22P02':
    case '22007':
    case '22008':
    case '22003':
    case '22021':
    case '22P05':
    case '54000':
      return new DomainError('invalid_param', 'A value is out of range or malformed.');
    default:
      return e;
  }
}

/** Runs a storage call and rethrows database errors as domain errors. */
export async function translated<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw translateDbError(e);
  }
}
