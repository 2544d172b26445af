import { isDomainError } from '../../core/errors.ts';
import type { InvitationService } from '../../core/invitations/invitation-service.ts';
import type { OrganizationInvitationService } from '../../core/invitations/organization-invitation-service.ts';
import type { RedirectUrlService } from '../../core/instance/redirect-urls.ts';
import type { SessionService } from '../../core/sessions/types.ts';
import type { SignUpFlow } from '../../core/sign-ups/sign-up-flow.ts';
import { type Notice, type Problem, problemFrom } from './page-support.ts';
import { esc, page } from './layout.ts';
import { t, type TextKey } from './text.ts';

/** What the sign-up and invitation pages need from the core. */
export interface SignUpPagesDeps {
  signUps: SignUpFlow;
  invitations: Pick<InvitationService, 'lookup' | 'accept'>;
  organizationInvitations: Pick<OrganizationInvitationService, 'lookup' | 'accept'>;
  redirects: Pick<RedirectUrlService, 'isAllowedRedirect'>;
  sessions: SessionService;
  secureCookies: boolean;
  /** The browser cookie's lifetime: the session's absolute lifetime. */
  cookieMaxAgeSeconds: number;
}

/** A page with only a notice and an optional link, for dead ends (expired links and the like). */
export function messagePage(title: string, notice: Notice, link?: { href: string; text: string }): string {
  return page({ title, notice, body: link ? `<p class="more"><a href="${esc(link.href)}">${esc(link.text)}</a></p>` : '' });
}

const FORM_PROBLEMS: Partial<Record<string, [number, TextKey]>> = {
  rate_limited: [429, 'tooMany'],
  invalid_email: [400, 'emailInvalid'],
  identifier_not_allowed: [403, 'emailNotAllowed'],
  identifier_blocked: [403, 'emailNotAllowed'],
  password_pwned: [422, 'passwordBreached'],
  password_too_short: [422, 'passwordTooShort'],
  password_too_long: [422, 'passwordTooLong'],
  password_contains_identifier: [422, 'passwordHasIdentifier'],
  identifier_exists: [409, 'accountExists'],
  verification_code_incorrect: [400, 'codeIncorrect'],
  verification_expired: [400, 'codeExpired'],
  verification_failed: [400, 'codeTooMany'],
};

/** Status, text and Retry-After for an error of the sign-up form or an invitation's password form. */
export const formProblem = (e: unknown): Problem => problemFrom(e, FORM_PROBLEMS);

/** Status and text when an invitation link cannot be used (unknown, expired, accepted, revoked). */
export function invitationProblem(e: unknown): { status: number; key: TextKey } | null {
  if (!isDomainError(e)) return null;
  switch (e.code) {
    case 'verification_missing':
      return { status: 404, key: 'invitationInvalid' };
    case 'verification_expired':
      return { status: 410, key: 'invitationExpired' };
    case 'invitation_already_accepted':
      return { status: 410, key: 'invitationUsed' };
    case 'invitation_already_revoked':
      return { status: 410, key: 'invitationRevoked' };
    default:
      return null;
  }
}
