import type { Clock } from '../clock.ts';
import type { Outbox } from '../delivery/outbox.ts';
import { DomainError } from '../errors.ts';
import { newId } from '../ids.ts';
import { type InstanceSettings, requireOrganizationsEnabled } from '../instance/instance-settings.ts';
import type { RedirectUrlService } from '../instance/redirect-urls.ts';
import { MANAGE_MEMBERSHIPS } from '../organizations/organization-input.ts';
import { checkPage, lockOrganization } from '../organizations/organization-service.ts';
import type { Membership, Organization } from '../organizations/types.ts';
import type { Store } from '../store.ts';
import { firstUser } from '../users/find-by-identifier.ts';
import { normalizeEmail } from '../users/identifiers.ts';
import type { Metadata, Page, User } from '../users/types.ts';
import { checkMetadata } from '../users/user-input.ts';
import { hashToken, newToken } from '../verification/one-time.ts';
import { checkRedeemable, checkRevocable, expiryFrom, MAX_TOKEN_LENGTH } from './invitation-input.ts';
import { checkInvitationRedirect } from './invitation-service.ts';
import type { InvitationState, OrganizationInvitation } from './invitation-store.ts';

export interface CreateOrganizationInvitationInput {
  emailAddress: string;
  roleKey: string;
  /** Must be a member who may manage memberships, when given. */
  inviterUserId?: string | null;
  publicMetadata?: Metadata;
  privateMetadata?: Metadata;
  redirectUrl?: string | null;
  expiresInDays?: number | null;
}

export interface OrganizationInvitationDeps {
  store: Store;
  clock: Clock;
  outbox: Outbox;
  settings: InstanceSettings;
  redirects: RedirectUrlService;
  /** Where invitation links land: `${publicUrl}/accept-invitation`; the token goes in `token`. */
  linkBase: () => string;
}

function notFound(id: string): DomainError {
  return new DomainError('invitation_not_found', `No organization invitation was found with id ${id}.`, { param: 'invitation_id' });
}

const displayName = (u: User) => [u.firstName, u.lastName].filter(Boolean).join(' ') || u.username || '';
const verifiedEmails = (u: User) => u.identifiers.filter((i) => i.type === 'email_address' && i.verified).map((i) => i.value.toLowerCase());

/**
 * Invitations to join an organization. The email carries a single-use, expiring link to the
 * hosted acceptance page, which calls `lookup` to show it and `accept` once the invitee is
 * signed in with the invited address.
 */
export function createOrganizationInvitationService(deps: OrganizationInvitationDeps) {
  const { store, clock, outbox } = deps;

  /** When given, the acting user must be a member whose role may manage memberships. */
  async function requireAdmin(tx: Store, organizationId: string, userId: string | null | undefined, param: string): Promise<User | null> {
    if (!userId) return null;
    const membership = await tx.memberships.find(organizationId, userId);
    if (!membership?.role.permissions.includes(MANAGE_MEMBERSHIPS)) {
      throw new DomainError('not_organization_admin', `${userId} is not an administrator of the organization.`, { param });
    }
    return tx.users.findById(userId);
  }

  async function findLive(token: string): Promise<OrganizationInvitation> {
    const found = token.length <= MAX_TOKEN_LENGTH ? await store.organizationInvitations.findByTokenHash(hashToken(token)) : null;
    checkRedeemable(found, clock.now());
    return found as OrganizationInvitation;
  }

  async function inOrganization(tx: Store, organizationId: string, id: string): Promise<OrganizationInvitation> {
    const inv = await tx.organizationInvitations.findById(id);
    if (!inv || inv.organizationId !== organizationId) throw notFound(id);
    return inv;
  }

  return {
    async create(organizationId: string, input: CreateOrganizationInvitationInput): Promise<OrganizationInvitation> {
      await requireOrganizationsEnabled(deps.settings);
      const email = normalizeEmail(input.emailAddress, 'email_address');
      const publicMetadata = checkMetadata(input.publicMetadata, 'public_metadata') ?? {};
      const privateMetadata = checkMetadata(input.privateMetadata, 'private_metadata') ?? {};
      const now = clock.now();
      const expiresAt = expiryFrom(now, input.expiresInDays);
      const redirectUrl = await checkInvitationRedirect(deps.redirects, input.redirectUrl);
      const invitee = await firstUser(store, { emailAddresses: [email.normalized] });
      const { token, hash } = newToken();
      return store.transaction(async (tx) => {
        const org = await lockOrganization(tx, organizationId);
        const role = await tx.organizations.findRole(input.roleKey);
        if (!role) throw new DomainError('organization_role_not_found', `No organization role ${JSON.stringify(input.roleKey.slice(0, 64))}.`, { param: 'role' });
        const inviter = await requireAdmin(tx, org.id, input.inviterUserId, 'inviter_user_id');
        if (invitee && (await tx.memberships.find(org.id, invitee.id))) {
          throw new DomainError('membership_exists', `${email.value} is already a member of the organization.`, { param: 'email_address' });
        }
        const id = newId('orginv');
        await tx.organizationInvitations.insert({
          id,
          organizationId: org.id,
          emailAddress: email.value,
          emailNormalized: email.normalized,
          roleKey: role.key,
          publicMetadata,
          privateMetadata,
          redirectUrl,
          inviterUserId: input.inviterUserId || null,
          status: 'pending',
          tokenHash: hash,
          expiresAt,
          userId: null,
          createdAt: now,
          updatedAt: now,
        });
        await outbox.enqueue(tx, {
          channel: 'email',
          to: email.value,
          template: 'organization_invitation',
          data: { email_address: email.value, organization_name: org.name, inviter_name: inviter ? displayName(inviter) : '', action_url: `${deps.linkBase()}?token=${token}` },
          secrets: [token],
          userId: invitee?.id ?? null,
        });
        await tx.events.record({ type: 'organization.invitation.created', subjectId: org.id, payload: { invitation_id: id, role: role.key }, at: now });
        return (await tx.organizationInvitations.findById(id)) as OrganizationInvitation;
      });
    },

    async get(organizationId: string, id: string): Promise<OrganizationInvitation> {
      return inOrganization(store, organizationId, id);
    },

    /** An organization's invitations, newest first; an unknown organization is a 404. */
    async listForOrganization(organizationId: string, states: InvitationState[] | undefined, page: Page): Promise<{ data: OrganizationInvitation[]; total: number }> {
      checkPage(page);
      if (!(await store.organizations.findById(organizationId))) {
        throw new DomainError('organization_not_found', `No organization was found with id ${organizationId}.`, { param: 'organization_id' });
      }
      const filter = { organizationId, states, now: clock.now() };
      const [data, total] = await Promise.all([store.organizationInvitations.list(filter, page), store.organizationInvitations.count(filter)]);
      return { data, total };
    },

    /** Invitations addressed to any of a user's verified email addresses. */
    async listForUser(userId: string, states: InvitationState[] | undefined, page: Page): Promise<{ data: OrganizationInvitation[]; total: number }> {
      checkPage(page);
      const user = await store.users.findById(userId);
      if (!user) throw new DomainError('user_not_found', `No user was found with id ${userId}.`, { param: 'user_id' });
      const emails = verifiedEmails(user);
      if (emails.length === 0) return { data: [], total: 0 };
      const filter = { emailsNormalized: emails, states, now: clock.now() };
      const [data, total] = await Promise.all([store.organizationInvitations.list(filter, page), store.organizationInvitations.count(filter)]);
      return { data, total };
    },

    async revoke(organizationId: string, id: string, requestingUserId?: string | null): Promise<OrganizationInvitation> {
      return store.transaction(async (tx) => {
        await lockOrganization(tx, organizationId);
        const inv = await inOrganization(tx, organizationId, id);
        await requireAdmin(tx, organizationId, requestingUserId, 'requesting_user_id');
        checkRevocable(inv);
        const now = clock.now();
        if (!(await tx.organizationInvitations.finish(id, 'revoked', null, now))) checkRevocable((await tx.organizationInvitations.findById(id)) ?? inv);
        await tx.events.record({ type: 'organization.invitation.revoked', subjectId: organizationId, payload: { invitation_id: id }, at: now });
        return (await tx.organizationInvitations.findById(id)) as OrganizationInvitation;
      });
    },

    /** For the hosted acceptance page: the invitation and its organization, while it can be accepted. */
    async lookup(token: string): Promise<{ invitation: OrganizationInvitation; organization: Organization }> {
      const invitation = await findLive(token);
      const organization = await store.organizations.findById(invitation.organizationId);
      if (!organization) throw new DomainError('verification_missing', 'This invitation link is not valid.', { param: 'token' });
      return { invitation, organization };
    },

    /**
     * Accepts an invitation for a signed-in user, who must have the invited address verified.
     * The membership gets the invitation's role and public metadata; the invitation is marked
     * accepted in the same transaction, so two simultaneous acceptances: exactly one succeeds.
     * @example const membership = await orgInvitations.accept(token, session.userId)
     */
    async accept(token: string, userId: string): Promise<Membership> {
      const inv = await findLive(token);
      await requireOrganizationsEnabled(deps.settings);
      return store.transaction(async (tx) => {
        const user = await tx.users.findById(userId);
        if (!user) throw new DomainError('user_not_found', `No user was found with id ${userId}.`, { param: 'user_id' });
        if (!verifiedEmails(user).includes(inv.emailAddress.toLowerCase())) {
          throw new DomainError('invitation_email_mismatch', `This invitation is for ${inv.emailAddress}, which is not a verified address of this account.`, { param: 'token' });
        }
        const org = await lockOrganization(tx, inv.organizationId);
        if (await tx.memberships.find(org.id, user.id)) throw new DomainError('membership_exists', 'You are already a member of this organization.', { param: 'user_id' });
        if (org.maxAllowedMemberships > 0 && org.membersCount >= org.maxAllowedMemberships) {
          throw new DomainError('membership_quota_exceeded', `The organization has reached its limit of ${org.maxAllowedMemberships} members.`);
        }
        const now = clock.now();
        if (!(await tx.organizationInvitations.finish(inv.id, 'accepted', user.id, now))) checkRedeemable(await tx.organizationInvitations.findById(inv.id), now);
        await tx.memberships.insert({ id: newId('orgmem'), organizationId: org.id, userId: user.id, roleKey: inv.roleKey, publicMetadata: inv.publicMetadata, privateMetadata: {}, createdAt: now, updatedAt: now });
        await tx.events.record({ type: 'organization.invitation.accepted', subjectId: org.id, payload: { invitation_id: inv.id, user_id: user.id }, at: now });
        await tx.events.record({ type: 'organization.membership.created', subjectId: org.id, payload: { user_id: user.id, role: inv.roleKey }, at: now });
        return (await tx.memberships.find(org.id, user.id)) as Membership;
      });
    },
  };
}

export type OrganizationInvitationService = ReturnType<typeof createOrganizationInvitationService>;
