import type { Clock } from '../clock.ts';
import { DomainError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { Store } from '../store.ts';
import { MANAGE_MEMBERSHIPS } from './organization-input.ts';
import { lockOrganization } from './organization-service.ts';
import type { Membership } from './types.ts';

/** The role a membership made by a tenant link gets. */
export const TENANT_LINK_ROLE = 'org:member';

/**
 * Tenant links, as Authress has them: a user belongs to at most one tenant. A tenant is an
 * organization, and the link is one of the user's memberships flagged `tenantLink` (a partial
 * unique index keeps it to one per user). Other memberships, made through the Clerk dialect, are
 * not links and are left alone, except that linking a user to an organization it is already a
 * member of flags that membership instead of making a second one.
 */
export function createTenantLinkService(deps: { store: Store; clock: Clock }) {
  const { store, clock } = deps;

  return {
    /**
     * Links the user to the tenant, moving the link when the user had one elsewhere: the old
     * link's membership is removed (under the last-admin rule), all in one transaction. Linking
     * again to the same tenant changes nothing.
     */
    async link(organizationId: string, userId: string): Promise<Membership> {
      return store.transaction(async (tx) => {
        // Concurrent links of one user serialise on the user row.
        if (!(await tx.users.lockForUpdate(userId))) throw new DomainError('user_not_found', `No user was found with id ${userId}.`, { param: 'user_id' });
        const current = await tx.memberships.findTenantLink(userId);
        if (current?.organizationId === organizationId) return current;
        // Organizations are locked in id order, so two opposite moves cannot deadlock.
        const locked = new Map<string, Awaited<ReturnType<typeof lockOrganization>>>();
        for (const id of [organizationId, current?.organizationId].filter((x): x is string => !!x).sort()) locked.set(id, await lockOrganization(tx, id));
        const target = locked.get(organizationId)!;
        const now = clock.now();

        if (current) {
          const admin = current.role.permissions.includes(MANAGE_MEMBERSHIPS);
          if (admin && (await tx.memberships.countWithPermission(current.organizationId, MANAGE_MEMBERSHIPS, userId)) === 0) {
            throw new DomainError('last_organization_admin', 'The user is the last member who can manage the organization it is linked to; it cannot move.', { param: 'user_id' });
          }
          await tx.memberships.delete(current.id);
          await tx.events.record({ type: 'organization.membership.deleted', subjectId: current.organizationId, payload: { user_id: userId, reason: 'tenant_link.moved' }, at: now });
        }

        const existing = await tx.memberships.find(organizationId, userId);
        if (existing) {
          await tx.memberships.setTenantLink(existing.id, true, now);
          await tx.events.record({ type: 'organization.membership.updated', subjectId: organizationId, payload: { user_id: userId, tenant_link: true }, at: now });
        } else {
          if (target.maxAllowedMemberships > 0 && target.membersCount >= target.maxAllowedMemberships) {
            throw new DomainError('membership_quota_exceeded', `The tenant has reached its limit of ${target.maxAllowedMemberships} members.`);
          }
          await tx.memberships.insert({
            id: newId('orgmem'),
            organizationId,
            userId,
            roleKey: TENANT_LINK_ROLE,
            publicMetadata: {},
            privateMetadata: {},
            tenantLink: true,
            createdAt: now,
            updatedAt: now,
          });
          await tx.events.record({ type: 'organization.membership.created', subjectId: organizationId, payload: { user_id: userId, role: TENANT_LINK_ROLE, tenant_link: true }, at: now });
        }
        return (await tx.memberships.find(organizationId, userId)) as Membership;
      });
    },
  };
}

export type TenantLinkService = ReturnType<typeof createTenantLinkService>;
