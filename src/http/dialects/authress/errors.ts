import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { type ErrorCode, isDomainError } from '../../../core/errors.ts';
import { describeValidation, frameworkStatus } from '../../validation.ts';

interface AuthressMapping {
  status: number;
  /** Authress's machine-readable code, in its PascalCase style. */
  errorCode: string;
}

const invalid: AuthressMapping = { status: 400, errorCode: 'InvalidRequest' };
const notFound: AuthressMapping = { status: 404, errorCode: 'NotFound' };
const conflict: AuthressMapping = { status: 409, errorCode: 'Conflict' };
const tooMany: AuthressMapping = { status: 429, errorCode: 'TooManyRequests' };

/**
 * Core code -> Authress status and error code. One place decides the status. Authress answers bad
 * input with 400 (not 422) and keeps 403 for a caller that lacks a permission, so a state the
 * request cannot change (a full tenant, the last admin) is a 409 here rather than Clerk's 403/400.
 */
export const AUTHRESS_ERRORS: Record<ErrorCode, AuthressMapping> = {
  invalid_param: invalid,
  param_missing: invalid,
  user_not_found: { status: 404, errorCode: 'UserNotFound' },
  identifier_not_found: notFound,
  identifier_exists: conflict,
  username_exists: conflict,
  external_id_exists: conflict,
  identifier_required: invalid,
  last_identifier: invalid,
  invalid_email: invalid,
  invalid_phone: invalid,
  invalid_web3_wallet: invalid,
  password_too_short: invalid,
  password_too_long: invalid,
  password_pwned: invalid,
  password_contains_identifier: invalid,
  password_required: invalid,
  password_incorrect: invalid,
  password_not_set: invalid,
  password_digest_invalid: invalid,
  user_locked: { status: 423, errorCode: 'UserLocked' },
  verification_missing: invalid,
  verification_expired: invalid,
  verification_failed: invalid,
  verification_code_incorrect: invalid,
  rate_limited: tooMany,
  mfa_not_configured: invalid,
  mfa_code_incorrect: invalid,
  mfa_throttled: tooMany,
  hasher_busy: tooMany,
  primary_identifier_unverified: invalid,
  secret_key_not_found: notFound,
  image_invalid: invalid,
  image_too_large: { status: 413, errorCode: 'PayloadTooLarge' },
  image_not_found: notFound,
  organization_not_found: { status: 404, errorCode: 'TenantNotFound' },
  organization_slug_exists: conflict,
  organization_slug_invalid: invalid,
  organization_creator_not_found: notFound,
  organization_role_not_found: notFound,
  membership_not_found: notFound,
  membership_exists: conflict,
  membership_quota_exceeded: conflict,
  last_organization_admin: conflict,
  authentication_invalid: { status: 401, errorCode: 'Unauthorized' },
  template_not_found: notFound,
  template_variable_missing: invalid,
  identifier_unverified: invalid,
  invitation_not_found: notFound,
  invitation_exists: conflict,
  invitation_account_exists: conflict,
  invitation_already_accepted: conflict,
  invitation_already_revoked: conflict,
  invitation_email_mismatch: invalid,
  not_organization_admin: conflict,
  organizations_disabled: conflict,
  identifier_not_allowed: invalid,
  identifier_blocked: invalid,
  listed_identifier_exists: conflict,
  listed_identifier_not_found: notFound,
  redirect_url_exists: conflict,
  redirect_url_not_found: notFound,
  redirect_url_not_allowed: invalid,
  sign_up_not_found: notFound,
  sign_up_not_pending: conflict,
  oauth_application_not_found: notFound,
  sign_in_token_not_found: notFound,
  sign_in_token_not_pending: conflict,
  sign_in_token_invalid: conflict,
  actor_token_not_found: notFound,
  actor_token_not_pending: conflict,
  actor_token_invalid: conflict,
  session_not_found: notFound,
  session_not_active: conflict,
  client_not_found: notFound,
  user_banned: conflict,
  session_token_invalid: { status: 401, errorCode: 'Unauthorized' },
  jwt_template_not_found: notFound,
  jwt_template_name_exists: conflict,
};

/** Authress's error body: a stable `errorCode` and a human `title`. */
export function authressError(reply: FastifyReply, status: number, errorCode: string, title: string) {
  return reply.code(status).type('application/json').send({ errorCode, title });
}

/** 401: no bearer token, or not an active secret key ("the request JWT is no longer valid"). */
export function authressUnauthorized(reply: FastifyReply) {
  return authressError(reply, 401, 'Unauthorized', 'The request token is missing or no longer valid.');
}

/**
 * 403: a valid token without the permission the operation needs. Instance secret keys carry every
 * permission, so nothing sends this today; it is the answer for narrower credentials to come.
 */
export function authressForbidden(reply: FastifyReply) {
  return authressError(reply, 403, 'Forbidden', 'The caller does not have permission for this operation.');
}

export function authressNotFound(_req: FastifyRequest, reply: FastifyReply) {
  return authressError(reply, 404, 'NotFound', 'No such resource.');
}

const FRAMEWORK_CODES: Record<number, string> = { 413: 'PayloadTooLarge', 415: 'UnsupportedMediaType', 405: 'MethodNotAllowed' };

export function authressErrorHandler(error: FastifyError, req: FastifyRequest, reply: FastifyReply) {
  if (isDomainError(error)) {
    const m = AUTHRESS_ERRORS[error.code];
    if (error.meta.retryAfterSeconds) reply.header('retry-after', String(error.meta.retryAfterSeconds));
    return authressError(reply, m.status, m.errorCode, error.message);
  }
  const problem = describeValidation(error);
  if (problem) return authressError(reply, 400, 'InvalidRequest', problem.longMessage);
  const status = frameworkStatus(error);
  if (status) return authressError(reply, status.status, FRAMEWORK_CODES[status.status] ?? 'InvalidRequest', status.message);
  req.log.error({ err: error }, 'unhandled error');
  return authressError(reply, 500, 'InternalServerError', 'Something went wrong; please try again later.');
}
