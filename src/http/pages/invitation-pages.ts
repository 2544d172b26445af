import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { isDomainError } from '../../core/errors.ts';
import type { OrganizationInvitation } from '../../core/invitations/invitation-store.ts';
import type { Organization } from '../../core/organizations/types.ts';
import { currentBrowserSession } from './browser-session.ts';
import { csrfToken, csrfValid } from './csrf.ts';
import { esc, form, page } from './layout.ts';
import { type Body, redirectTarget, sendPage, str } from './page-support.ts';
import { invitationProblem, messagePage, type SignUpPagesDeps } from './sign-up-support.ts';
import { t, type TextKey } from './text.ts';

const ACCEPT_PROBLEMS: Record<string, [number, TextKey]> = {
  invitation_email_mismatch: [403, 'orgInviteWrongAccount'],
  membership_exists: [409, 'alreadyMember'],
  membership_quota_exceeded: [409, 'organizationFull'],
  organizations_disabled: [403, 'organizationsDisabled'],
};

/**
 * Accepting an organization invitation (`/accept-invitation?token=...`). A browser signed in with
 * the invited address gets a confirm button (a POST, so a mail scanner fetching the link changes
 * nothing); one not signed in goes to sign in, or to sign up with the address filled in when no
 * account has it, and comes back here afterwards.
 */
export function invitationPages(deps: SignUpPagesDeps): FastifyPluginAsync {
  return async (app) => {
    const csrf = (req: FastifyRequest, reply: FastifyReply) => csrfToken(req, reply, deps.secureCookies);
    const here = (token: string) => `/accept-invitation?token=${encodeURIComponent(token)}`;

    const deadEnd = (reply: FastifyReply, e: unknown) => {
      const p = invitationProblem(e);
      if (!p) throw e;
      return sendPage(reply, p.status, messagePage(t('invitationTitle'), { kind: 'error', text: t(p.key) }, { href: '/account', text: t('continueLink') }));
    };

    /** The invitation and its organization; null once the dead-end page has been sent instead. */
    async function lookup(reply: FastifyReply, token: string): Promise<{ invitation: OrganizationInvitation; organization: Organization } | null> {
      try {
        return await deps.organizationInvitations.lookup(token);
      } catch (e) {
        deadEnd(reply, e);
        return null;
      }
    }

    const wrongAccount = (reply: FastifyReply, token: string, inv: OrganizationInvitation, org: Organization) =>
      sendPage(
        reply,
        403,
        messagePage(t('orgInviteTitle', { organization: org.name }), { kind: 'error', text: t('orgInviteWrongAccount', { email: inv.emailAddress }) }, { href: `/sign-out?redirect_url=${encodeURIComponent(here(token))}`, text: t('signOutLink') }),
      );

    /** Not signed in: sign in when the address has an account, else sign up with it filled in. */
    async function toSignInOrUp(reply: FastifyReply, token: string, inv: OrganizationInvitation) {
      const back = encodeURIComponent(here(token));
      const exists = await deps.signUps.accountExists(inv.emailAddress);
      return reply.redirect(exists ? `/sign-in?redirect_url=${back}` : `/sign-up?email_address=${encodeURIComponent(inv.emailAddress)}&redirect_url=${back}`, 303);
    }

    app.get('/accept-invitation', async (req, reply) => {
      const token = str((req.query as Body)?.token, 200);
      const found = await lookup(reply, token);
      if (!found) return reply;
      const { invitation: inv, organization: org } = found;
      const session = await currentBrowserSession(req, deps.sessions);
      if (!session) return toSignInOrUp(reply, token, inv);
      if (!(await deps.signUps.verifiedEmails(session.userId)).includes(inv.emailAddress.toLowerCase())) return wrongAccount(reply, token, inv, org);
      const body = `<p>${esc(t('orgInviteLead', { organization: org.name, email: inv.emailAddress }))}</p>${form('/accept-invitation', csrf(req, reply), `<input type="hidden" name="token" value="${esc(token)}">`, t('orgInviteJoin', { organization: org.name }))}`;
      return sendPage(reply, 200, page({ title: t('orgInviteTitle', { organization: org.name }), body }));
    });

    app.post('/accept-invitation', async (req, reply) => {
      const body = (req.body ?? {}) as Body;
      const token = str(body.token, 200);
      const found = await lookup(reply, token);
      if (!found) return reply;
      const { invitation: inv, organization: org } = found;
      if (!csrfValid(req, body.csrf)) {
        csrf(req, reply);
        return sendPage(reply, 403, messagePage(t('orgInviteTitle', { organization: org.name }), { kind: 'error', text: t('formExpired') }, { href: here(token), text: t('continueLink') }));
      }
      const session = await currentBrowserSession(req, deps.sessions);
      if (!session) return toSignInOrUp(reply, token, inv);
      try {
        await deps.organizationInvitations.accept(token, session.userId);
      } catch (e) {
        if (invitationProblem(e)) return deadEnd(reply, e);
        const hit = isDomainError(e) ? ACCEPT_PROBLEMS[e.code] : undefined;
        if (!hit) throw e;
        if (hit[1] === 'orgInviteWrongAccount') return wrongAccount(reply, token, inv, org);
        return sendPage(reply, hit[0], messagePage(t('orgInviteTitle', { organization: org.name }), { kind: 'error', text: t(hit[1]) }, { href: '/account', text: t('continueLink') }));
      }
      // With no redirect of its own, the invitee lands on a confirmation here.
      if (inv.redirectUrl && (await deps.redirects.isAllowedRedirect(inv.redirectUrl))) return reply.redirect(await redirectTarget(deps.redirects, [inv.redirectUrl]), 303);
      return sendPage(reply, 200, messagePage(t('orgJoinedTitle', { organization: org.name }), { kind: 'info', text: t('orgJoined', { organization: org.name }) }, { href: '/account', text: t('continueLink') }));
    });
  };
}
