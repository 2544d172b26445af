import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { type ErrorCode, isDomainError } from '../../../core/errors.ts';
import { type ValidationProblem, describeValidation, frameworkStatus } from '../../validation.ts';

interface ClerkMapping {
  status: number;
  code: string;
  message: string;
}

/** Core code -> Clerk status, error code and short message. One place decides the status. */
export const CLERK_ERRORS: Record<ErrorCode, ClerkMapping> = {
  invalid_param: { status: 422, code: 'form_param_format_invalid', message: 'is invalid' },
  param_missing: { status: 422, code: 'form_param_missing', message: 'missing data' },
  user_not_found: { status: 404, code: 'resource_not_found', message: 'not found' },
  identifier_not_found: { status: 404, code: 'resource_not_found', message: 'not found' },
  identifier_exists: { status: 422, code: 'form_identifier_exists', message: 'That identifier is taken. Please try another.' },
  username_exists: { status: 422, code: 'form_identifier_exists', message: 'That username is taken. Please try another.' },
  external_id_exists: { status: 422, code: 'form_identifier_exists', message: 'That external ID is taken. Please try another.' },
  identifier_required: { status: 422, code: 'form_param_missing', message: 'missing data' },
  last_identifier: { status: 422, code: 'last_required_identification_deletion_failed', message: 'Deletion failed' },
  invalid_email: { status: 422, code: 'form_param_format_invalid', message: 'is invalid' },
  invalid_phone: { status: 422, code: 'form_param_format_invalid', message: 'is invalid' },
  invalid_web3_wallet: { status: 422, code: 'form_param_format_invalid', message: 'is invalid' },
  password_too_short: { status: 422, code: 'form_password_length_too_short', message: 'Passwords must be 8 characters or more.' },
  password_too_long: { status: 422, code: 'form_password_length_too_long', message: 'Password is too long.' },
  password_pwned: { status: 422, code: 'form_password_pwned', message: 'Password has been found in an online data breach.' },
  password_contains_identifier: { status: 422, code: 'form_password_validation_failed', message: 'Password is too similar to your identifiers.' },
  password_required: { status: 422, code: 'form_param_missing', message: 'missing data' },
  password_incorrect: { status: 422, code: 'form_password_incorrect', message: 'Password is incorrect.' },
  password_not_set: { status: 422, code: 'form_password_not_set', message: 'This user has no password.' },
  password_digest_invalid: { status: 422, code: 'form_password_digest_invalid', message: 'Password digest is invalid.' },
  user_locked: { status: 403, code: 'user_locked', message: 'Account locked' },
  verification_missing: { status: 422, code: 'verification_missing', message: 'No pending verification' },
  verification_expired: { status: 422, code: 'verification_expired', message: 'Verification expired' },
  verification_failed: { status: 422, code: 'verification_failed', message: 'Too many failed attempts' },
  verification_code_incorrect: { status: 422, code: 'form_code_incorrect', message: 'Incorrect code' },
  rate_limited: { status: 429, code: 'too_many_requests', message: 'Too many requests' },
  mfa_not_configured: { status: 400, code: 'totp_not_enabled', message: 'No second factor is configured' },
  mfa_code_incorrect: { status: 422, code: 'form_code_incorrect', message: 'Incorrect code' },
  mfa_throttled: { status: 429, code: 'too_many_requests', message: 'Too many attempts' },
  hasher_busy: { status: 429, code: 'too_many_requests', message: 'Too many requests' },
  primary_identifier_unverified: { status: 422, code: 'form_identification_not_verified', message: 'is not verified' },
  secret_key_not_found: { status: 404, code: 'resource_not_found', message: 'not found' },
  image_invalid: { status: 422, code: 'image_type_invalid', message: 'is not a supported image' },
  image_too_large: { status: 413, code: 'request_body_too_large', message: 'Image is too large' },
  image_not_found: { status: 404, code: 'resource_not_found', message: 'not found' },
  organization_not_found: { status: 404, code: 'resource_not_found', message: 'not found' },
  organization_slug_exists: { status: 422, code: 'form_identifier_exists', message: 'That slug is taken. Please try another.' },
  organization_slug_invalid: { status: 422, code: 'form_param_format_invalid', message: 'is invalid' },
  organization_creator_not_found: { status: 400, code: 'organization_creator_not_found', message: 'creator not found' },
  organization_role_not_found: { status: 404, code: 'resource_not_found', message: 'not found' },
  membership_not_found: { status: 404, code: 'resource_not_found', message: 'not found' },
  membership_exists: { status: 400, code: 'already_a_member_in_organization', message: 'already a member' },
  membership_quota_exceeded: { status: 403, code: 'organization_membership_quota_exceeded', message: 'organization membership quota exceeded' },
  last_organization_admin: { status: 400, code: 'organization_minimum_permissions_needed', message: 'minimum organization permissions needed' },
  authentication_invalid: { status: 401, code: 'authentication_invalid', message: 'Unauthorized request' },
  template_not_found: { status: 404, code: 'resource_not_found', message: 'not found' },
  template_variable_missing: { status: 422, code: 'template_required_variable_missing', message: 'is missing a required variable' },
  identifier_unverified: { status: 422, code: 'form_identification_not_verified', message: 'is not verified' },
  invitation_not_found: { status: 404, code: 'resource_not_found', message: 'not found' },
  invitation_exists: { status: 400, code: 'duplicate_record', message: 'duplicate invitation' },
  invitation_account_exists: { status: 400, code: 'invitation_account_exists', message: 'account already exists' },
  invitation_already_accepted: { status: 400, code: 'invitation_already_accepted', message: 'invitation already accepted' },
  invitation_already_revoked: { status: 400, code: 'invitation_already_revoked', message: 'invitation already revoked' },
  invitation_email_mismatch: { status: 403, code: 'organization_invitation_identification_not_exist', message: 'invitation is for another email address' },
  not_organization_admin: { status: 403, code: 'not_an_admin_in_organization', message: 'not an administrator' },
  organizations_disabled: { status: 403, code: 'organization_not_enabled_in_instance', message: 'access denied' },
  identifier_not_allowed: { status: 403, code: 'not_allowed_access', message: 'not allowed to access' },
  identifier_blocked: { status: 403, code: 'not_allowed_access', message: 'not allowed to access' },
  listed_identifier_exists: { status: 400, code: 'duplicate_record', message: 'duplicate identifier' },
  listed_identifier_not_found: { status: 404, code: 'resource_not_found', message: 'not found' },
  redirect_url_exists: { status: 400, code: 'duplicate_record', message: 'duplicate redirect URL' },
  redirect_url_not_found: { status: 404, code: 'resource_not_found', message: 'not found' },
  redirect_url_not_allowed: { status: 422, code: 'invalid_redirect_url', message: 'is not an allowed redirect URL' },
  sign_up_not_found: { status: 404, code: 'resource_not_found', message: 'not found' },
  sign_up_not_pending: { status: 403, code: 'sign_up_cannot_be_updated', message: 'sign-up cannot be updated' },
  oauth_application_not_found: { status: 404, code: 'resource_not_found', message: 'not found' },
  sign_in_token_not_found: { status: 404, code: 'resource_not_found', message: 'not found' },
  sign_in_token_not_pending: { status: 400, code: 'sign_in_token_cannot_be_revoked', message: 'sign-in token cannot be revoked' },
  sign_in_token_invalid: { status: 400, code: 'sign_in_token_cannot_be_used', message: 'sign-in token cannot be used' },
  actor_token_not_found: { status: 404, code: 'resource_not_found', message: 'not found' },
  actor_token_not_pending: { status: 400, code: 'actor_token_cannot_be_revoked', message: 'actor token cannot be revoked' },
  actor_token_invalid: { status: 400, code: 'actor_token_cannot_be_used', message: 'actor token cannot be used' },
  session_not_found: { status: 404, code: 'resource_not_found', message: 'not found' },
  session_not_active: { status: 400, code: 'session_not_active', message: 'session is not active' },
  client_not_found: { status: 404, code: 'resource_not_found', message: 'not found' },
  user_banned: { status: 403, code: 'user_banned', message: 'user is banned' },
  session_token_invalid: { status: 401, code: 'session_token_invalid', message: 'session token is invalid' },
  jwt_template_not_found: { status: 404, code: 'resource_not_found', message: 'not found' },
  jwt_template_name_exists: { status: 422, code: 'form_identifier_exists', message: 'That name is taken. Please try another.' },
};

const VALIDATION_CODES: Record<ValidationProblem['kind'], string> = {
  unknown: 'form_param_unknown',
  missing: 'form_param_missing',
  invalid: 'form_param_format_invalid',
};

function body(code: string, message: string, longMessage: string, meta?: Record<string, unknown>) {
  return { errors: [{ message, long_message: longMessage, code, ...(meta ? { meta } : {}) }] };
}

/** Sends Clerk's 401; used by the authentication hook. */
export function sendUnauthorized(reply: FastifyReply) {
  return reply
    .code(401)
    .send(body('authentication_invalid', 'Unauthorized request', 'You are not authorized to perform this request'));
}

export function clerkNotFound(_req: FastifyRequest, reply: FastifyReply) {
  return reply.code(404).send(body('resource_not_found', 'not found', 'The requested resource was not found.'));
}

/** The Clerk dialect's error handler: domain codes, validation failures and framework errors. */
export function clerkErrorHandler(error: FastifyError, req: FastifyRequest, reply: FastifyReply) {
  if (isDomainError(error)) {
    const m = CLERK_ERRORS[error.code];
    if (error.meta.retryAfterSeconds) reply.header('retry-after', String(error.meta.retryAfterSeconds));
    const meta = error.meta.param ? { param_name: error.meta.param } : undefined;
    return reply.code(m.status).send(body(m.code, m.message, error.message, meta));
  }
  const problem = describeValidation(error);
  if (problem) {
    return reply.code(422).send(body(VALIDATION_CODES[problem.kind], problem.message, problem.longMessage, { param_name: problem.param }));
  }
  const status = frameworkStatus(error);
  if (status) return reply.code(status.status).send(body(status.code, status.message, status.message));
  req.log.error({ err: error }, 'unhandled error');
  return reply.code(500).send(body('internal_clerk_error', 'Something went wrong', 'Please try again later.'));
}
