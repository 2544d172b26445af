import type { Clock } from '../clock.ts';
import { DomainError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { Store } from '../store.ts';
import { type InstanceSettings, requireOrganizationsEnabled } from '../instance/instance-settings.ts';
import { mergeMetadata } from '../users/metadata.ts';
import { checkMetadata } from '../users/user-input.ts';
import { MANAGE_MEMBERSHIPS } from './organization-input.ts';
import { checkPage, lockOrganization } from './organization-service.ts';
import type { Membership, MembershipFilter, MembershipOrder, Metadata, OrganizationRole, Page } from './types.ts';

export interface MembershipMetadataPatch {
  publicMetadata?: Metadata;
  privateMetadata?: Metadata;
}

function notMember(organizationId: string, userId: string): DomainError {
  return new DomainError('membership_not_found', `User ${userId} is not a member of organization ${organizationId}.`, { param: 'user_id' });
}

const canManage = (role: OrganizationRole) => role.permissions.includes(MANAGE_MEMBERSHIPS);

/**
 * Who belongs to which organization, with which role. Every change locks the organization row
 * first, so the member limit and the last-admin rule hold under concurrent requests.
 */
export function createMembershipService(deps: { store: Store; clock: Clock; settings: Pick<InstanceSettings, 'organizations'> }) {
  const { store, clock } = deps;

  async function findRole(tx: Store, key: string): Promise<OrganizationRole> {
    const role = await tx.organizations.findRole(key);
    if (!role) throw new DomainError('organization_role_not_found', `No organization role ${JSON.stringify(key.slice(0, 64))}.`, { param: 'role' });
    return role;
  }

  async function lockMembership(tx: Store, organizationId: string, userId: string): Promise<Membership> {
    await lockOrganization(tx, organizationId);
    const membership = await tx.memberships.find(organizationId, userId);
    if (!membership) throw notMember(organizationId, userId);
    return membership;
  }

  /** Refuses to leave the organization without a member who can manage memberships. */
  async function keepAnAdmin(tx: Store, membership: Membership): Promise<void> {
    if (!canManage(membership.role)) return;
    if ((await tx.memberships.countWithPermission(membership.organizationId, MANAGE_MEMBERSHIPS, membership.userId)) > 0) return;
    throw new DomainError('last_organization_admin', 'There has to be at least one organization member with the minimum required permissions.', { param: 'role' });
  }

  async function finish(tx: Store, m: { organizationId: string; userId: string }, event: string, payload: Record<string, unknown>): Promise<Membership> {
    await tx.events.record({ type: event, subjectId: m.organizationId, payload: { user_id: m.userId, ...payload }, at: clock.now() });
    return (await tx.memberships.find(m.organizationId, m.userId)) as Membership;
  }

  return {
    async create(organizationId: string, userId: string, roleKey: string): Promise<Membership> {
      await requireOrganizationsEnabled(deps.settings);
      return store.transaction(async (tx) => {
        const org = await lockOrganization(tx, organizationId);
        const role = await findRole(tx, roleKey);
        if (!(await tx.users.findById(userId))) throw new DomainError('user_not_found', `No user was found with id ${userId}.`, { param: 'user_id' });
        if (await tx.memberships.find(organizationId, userId)) {
          throw new DomainError('membership_exists', `${userId} is already a member of the organization.`, { param: 'user_id' });
        }
        if (org.maxAllowedMemberships > 0 && org.membersCount >= org.maxAllowedMemberships) {
          throw new DomainError('membership_quota_exceeded', `You have reached your limit of ${org.maxAllowedMemberships} organization memberships.`);
        }
        const now = clock.now();
        await tx.memberships.insert({ id: newId('orgmem'), organizationId, userId, roleKey: role.key, publicMetadata: {}, privateMetadata: {}, createdAt: now, updatedAt: now });
        return finish(tx, { organizationId, userId }, 'organization.membership.created', { role: role.key });
      });
    },

    list(filter: MembershipFilter, order: MembershipOrder, page: Page): Promise<Membership[]> {
      checkPage(page);
      return store.memberships.list(normalizeFilter(filter), order, page);
    },

    count: (filter: MembershipFilter) => store.memberships.count(normalizeFilter(filter)),

    async updateRole(organizationId: string, userId: string, roleKey: string): Promise<Membership> {
      return store.transaction(async (tx) => {
        const membership = await lockMembership(tx, organizationId, userId);
        const role = await findRole(tx, roleKey);
        if (!canManage(role)) await keepAnAdmin(tx, membership);
        await tx.memberships.update(membership.id, { roleKey: role.key, updatedAt: clock.now() });
        return finish(tx, membership, 'organization.membership.updated', { role: role.key });
      });
    },

    /** Deep-merges each kind of metadata, as the organization's own metadata endpoint does. */
    async mergeMetadata(organizationId: string, userId: string, patch: MembershipMetadataPatch): Promise<Membership> {
      return store.transaction(async (tx) => {
        const m = await lockMembership(tx, organizationId, userId);
        await tx.memberships.update(m.id, {
          publicMetadata: patch.publicMetadata && checkMetadata(mergeMetadata(m.publicMetadata, patch.publicMetadata), 'public_metadata'),
          privateMetadata: patch.privateMetadata && checkMetadata(mergeMetadata(m.privateMetadata, patch.privateMetadata), 'private_metadata'),
          updatedAt: clock.now(),
        });
        return finish(tx, m, 'organization.membership.updated', { metadata: true });
      });
    },

    /** Removes a member; answers the membership as it was, as Clerk does. */
    async delete(organizationId: string, userId: string): Promise<Membership> {
      return store.transaction(async (tx) => {
        const membership = await lockMembership(tx, organizationId, userId);
        await keepAnAdmin(tx, membership);
        await tx.memberships.delete(membership.id);
        await tx.events.record({ type: 'organization.membership.deleted', subjectId: organizationId, payload: { user_id: userId }, at: clock.now() });
        const org = await tx.organizations.findById(organizationId);
        return { ...membership, organization: org ?? membership.organization };
      });
    },
  };
}

function normalizeFilter(filter: MembershipFilter): MembershipFilter {
  return { ...filter, query: filter.query?.trim() || undefined };
}

export type MembershipService = ReturnType<typeof createMembershipService>;
