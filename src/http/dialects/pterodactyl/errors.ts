import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { type ErrorCode, isDomainError } from '../../../core/errors.ts';
import { describeValidation, frameworkStatus } from '../../validation.ts';

interface PanelMapping {
  status: number;
  /** Laravel's exception class name, which the panel puts in `code`. */
  code: string;
  /** The validation rule the panel would name, for 422s. */
  rule?: string;
}

const invalid = (rule: string): PanelMapping => ({ status: 422, code: 'ValidationException', rule });
const notFound: PanelMapping = { status: 404, code: 'NotFoundHttpException' };
const tooMany: PanelMapping = { status: 429, code: 'TooManyRequestsHttpException' };

/** Core code -> the panel's status and exception name. One place decides the status. */
export const PTERODACTYL_ERRORS: Record<ErrorCode, PanelMapping> = {
  invalid_param: invalid('invalid'),
  param_missing: invalid('required'),
  user_not_found: notFound,
  identifier_not_found: notFound,
  identifier_exists: invalid('unique'),
  username_exists: invalid('unique'),
  external_id_exists: invalid('unique'),
  identifier_required: invalid('required'),
  last_identifier: invalid('required'),
  invalid_email: invalid('email'),
  invalid_phone: invalid('phone'),
  invalid_web3_wallet: invalid('invalid'),
  password_too_short: invalid('min'),
  password_too_long: invalid('max'),
  password_pwned: invalid('uncompromised'),
  password_contains_identifier: invalid('password'),
  password_required: invalid('required'),
  password_incorrect: invalid('password'),
  password_not_set: invalid('password'),
  password_digest_invalid: invalid('invalid'),
  user_locked: { status: 403, code: 'AccessDeniedHttpException' },
  verification_missing: invalid('invalid'),
  verification_expired: invalid('expired'),
  verification_failed: invalid('throttle'),
  verification_code_incorrect: invalid('invalid'),
  rate_limited: tooMany,
  mfa_not_configured: { status: 400, code: 'BadRequestHttpException' },
  mfa_code_incorrect: invalid('invalid'),
  mfa_throttled: tooMany,
  hasher_busy: tooMany,
  primary_identifier_unverified: invalid('verified'),
  secret_key_not_found: notFound,
  image_invalid: invalid('image'),
  image_too_large: { status: 413, code: 'PostTooLargeException' },
  image_not_found: notFound,
  organization_not_found: notFound,
  organization_slug_exists: invalid('unique'),
  organization_slug_invalid: invalid('regex'),
  organization_creator_not_found: notFound,
  organization_role_not_found: invalid('exists'),
  membership_not_found: notFound,
  membership_exists: invalid('unique'),
  membership_quota_exceeded: invalid('max'),
  last_organization_admin: invalid('admin'),
  template_not_found: notFound,
  template_variable_missing: invalid('required'),
  identifier_unverified: invalid('verified'),
  invitation_not_found: notFound,
  invitation_exists: invalid('unique'),
  invitation_account_exists: invalid('unique'),
  invitation_already_accepted: invalid('invalid'),
  invitation_already_revoked: invalid('invalid'),
  invitation_email_mismatch: { status: 403, code: 'AccessDeniedHttpException' },
  not_organization_admin: { status: 403, code: 'AccessDeniedHttpException' },
  organizations_disabled: { status: 403, code: 'AccessDeniedHttpException' },
  // The panel reports a refused address as a validation failure of the email field.
  identifier_not_allowed: invalid('allowlist'),
  identifier_blocked: invalid('blocklist'),
  listed_identifier_exists: invalid('unique'),
  listed_identifier_not_found: notFound,
  redirect_url_exists: invalid('unique'),
  redirect_url_not_found: notFound,
  redirect_url_not_allowed: invalid('url'),
  sign_up_not_found: notFound,
  sign_up_not_pending: invalid('invalid'),
  oauth_application_not_found: notFound,
  sign_in_token_not_found: notFound,
  sign_in_token_not_pending: invalid('invalid'),
  sign_in_token_invalid: invalid('invalid'),
  actor_token_not_found: notFound,
  actor_token_not_pending: invalid('invalid'),
  actor_token_invalid: invalid('invalid'),
  session_not_found: notFound,
  session_not_active: invalid('active'),
  client_not_found: notFound,
  user_banned: { status: 403, code: 'AccessDeniedHttpException' },
  session_token_invalid: { status: 401, code: 'AuthenticationException' },
  jwt_template_not_found: notFound,
  jwt_template_name_exists: invalid('unique'),
  authentication_invalid: { status: 401, code: 'AuthenticationException' },
};

const DETAILS: Record<number, string> = {
  401: 'Unauthenticated.',
  404: 'The requested resource could not be found on the server.',
  429: 'Too Many Attempts.',
};

/** The panel's error envelope: `{errors: [{code, status, detail, meta?}]}` with status as a string. */
export function panelError(reply: FastifyReply, status: number, code: string, detail: string, meta?: { source_field: string; rule: string }) {
  return reply.code(status).send({ errors: [{ code, status: String(status), detail, ...(meta ? { meta } : {}) }] });
}

export function pterodactylNotFound(_req: FastifyRequest, reply: FastifyReply) {
  return panelError(reply, 404, 'NotFoundHttpException', DETAILS[404]);
}

export function pterodactylUnauthenticated(reply: FastifyReply) {
  return panelError(reply, 401, 'AuthenticationException', DETAILS[401]);
}

export function pterodactylErrorHandler(error: FastifyError, req: FastifyRequest, reply: FastifyReply) {
  if (isDomainError(error)) {
    const m = PTERODACTYL_ERRORS[error.code];
    if (error.meta.retryAfterSeconds) reply.header('retry-after', String(error.meta.retryAfterSeconds));
    const field = typeof error.meta.param === 'string' ? PANEL_FIELDS[error.meta.param] ?? error.meta.param : undefined;
    const meta = m.status === 422 ? { source_field: field ?? 'request', rule: m.rule ?? 'invalid' } : undefined;
    return panelError(reply, m.status, m.code, m.status === 422 ? error.message : (DETAILS[m.status] ?? error.message), meta);
  }
  const problem = describeValidation(error);
  if (problem) {
    const rule = problem.kind === 'missing' ? 'required' : problem.kind === 'unknown' ? 'prohibited' : 'invalid';
    return panelError(reply, 422, 'ValidationException', problem.longMessage, { source_field: problem.param, rule });
  }
  const status = frameworkStatus(error);
  if (status) return panelError(reply, status.status, status.status === 400 ? 'BadRequestHttpException' : 'HttpException', status.message);
  req.log.error({ err: error }, 'unhandled error');
  return panelError(reply, 500, 'HttpException', 'An unexpected error was encountered while processing this request, please try again.');
}

/** Core parameter names -> the panel's field names. */
const PANEL_FIELDS: Record<string, string> = {
  email_address: 'email',
  user_id: 'id',
};
