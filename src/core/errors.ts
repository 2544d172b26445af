/**
 * Every failure the core can report, as a stable code. Dialects switch on these codes to pick
 * their own HTTP status and envelope; the core never decides a status.
 */
export const ERROR_CODES = [
  'invalid_param',
  'param_missing',
  'user_not_found',
  'identifier_not_found',
  'identifier_exists',
  'username_exists',
  'external_id_exists',
  'identifier_required',
  'last_identifier',
  'invalid_email',
  'invalid_phone',
  'invalid_web3_wallet',
  'password_too_short',
  'password_too_long',
  'password_pwned',
  'password_contains_identifier',
  'password_required',
  'password_incorrect',
  'password_not_set',
  'password_digest_invalid',
  'user_locked',
  'verification_missing',
  'verification_expired',
  'verification_failed',
  'verification_code_incorrect',
  'rate_limited',
  'mfa_not_configured',
  'mfa_code_incorrect',
  'mfa_throttled',
  'hasher_busy',
  'primary_identifier_unverified',
  'secret_key_not_found',
  'image_invalid',
  'image_too_large',
  'image_not_found',
  'organization_not_found',
  'organization_slug_exists',
  'organization_slug_invalid',
  'organization_creator_not_found',
  'organization_role_not_found',
  'membership_not_found',
  'membership_exists',
  'membership_quota_exceeded',
  'last_organization_admin',
  'authentication_invalid',
  'template_not_found',
  'template_variable_missing',
  'identifier_unverified',
  'invitation_not_found',
  'invitation_exists',
  'invitation_account_exists',
  'invitation_already_accepted',
  'invitation_already_revoked',
  'invitation_email_mismatch',
  'not_organization_admin',
  'organizations_disabled',
  'identifier_not_allowed',
  'identifier_blocked',
  'listed_identifier_exists',
  'listed_identifier_not_found',
  'redirect_url_exists',
  'redirect_url_not_found',
  'redirect_url_not_allowed',
  'sign_up_not_found',
  'sign_up_not_pending',
  'oauth_application_not_found',
  'sign_in_token_not_found',
  'sign_in_token_not_pending',
  'sign_in_token_invalid',
  'actor_token_not_found',
  'actor_token_not_pending',
  'actor_token_invalid',
  'session_not_found',
  'session_not_active',
  'client_not_found',
  'user_banned',
  'session_token_invalid',
  'jwt_template_not_found',
  'jwt_template_name_exists',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** Extra detail a dialect may show: which parameter failed, when to retry, and so on. */
export interface ErrorMeta {
  param?: string;
  retryAfterSeconds?: number;
  [key: string]: unknown;
}

/**
 * The one error type the core throws.
 * @example throw new DomainError('user_not_found', `No user ${id}`, { param: 'user_id' })
 */
export class DomainError extends Error {
  readonly code: ErrorCode;
  readonly meta: ErrorMeta;
  constructor(code: ErrorCode, message: string, meta: ErrorMeta = {}) {
    super(message);
    this.name = 'DomainError';
    this.code = code;
    this.meta = meta;
  }
}

export function isDomainError(e: unknown): e is DomainError {
  return e instanceof DomainError;
}
