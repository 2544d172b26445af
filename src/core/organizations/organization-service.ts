import type { Clock } from '../clock.ts';
import { DomainError } from '../errors.ts';
import { newId } from '../ids.ts';
import { prepareImage } from '../images/images.ts';
import type { Store } from '../store.ts';
import { type InstanceSettings, requireOrganizationsEnabled } from '../instance/instance-settings.ts';
import { mergeMetadata } from '../users/metadata.ts';
import { checkMetadata } from '../users/user-input.ts';
import { checkMaxMemberships, checkName, checkSlug, slugFromName, withRandomSuffix } from './organization-input.ts';
import type { OrganizationPatch } from './organization-store.ts';
import type { Metadata, Organization, OrganizationFilter, OrganizationOrder, Page } from './types.ts';

export interface CreateOrganizationInput {
  name: string;
  slug?: string | null;
  /** A user id; that user becomes the first member, with the creator role. */
  createdBy?: string | null;
  maxAllowedMemberships?: number | null;
  publicMetadata?: Metadata;
  privateMetadata?: Metadata;
}

export interface UpdateOrganizationInput {
  name?: string | null;
  slug?: string | null;
  maxAllowedMemberships?: number | null;
  adminDeleteEnabled?: boolean | null;
  publicMetadata?: Metadata;
  privateMetadata?: Metadata;
}

export interface OrganizationMetadataPatch {
  publicMetadata?: Metadata;
  privateMetadata?: Metadata;
}

export const LIST_LIMIT_MAX = 500;

export function notFound(id: string): DomainError {
  return new DomainError('organization_not_found', `No organization was found with id ${id}.`, { param: 'organization_id' });
}

export function checkPage(page: Page): void {
  if (page.limit < 1 || page.limit > LIST_LIMIT_MAX) throw new DomainError('invalid_param', `limit must be between 1 and ${LIST_LIMIT_MAX}.`, { param: 'limit' });
  if (page.offset < 0) throw new DomainError('invalid_param', 'offset must be 0 or more.', { param: 'offset' });
}

/** Locks an organization for a change, or fails with `organization_not_found`. */
export async function lockOrganization(tx: Store, id: string): Promise<Organization> {
  const org = await tx.organizations.lockForUpdate(id);
  if (!org) throw notFound(id);
  return org;
}

/** Organizations: create (with the creator as first admin), read, list, change, delete, logo. */
export function createOrganizationService(deps: { store: Store; clock: Clock; settings: Pick<InstanceSettings, 'organizations'> }) {
  const { store, clock } = deps;

  /** A given slug must be free; one derived from the name gets a random suffix when taken. */
  async function resolveSlug(tx: Store, given: string | null | undefined, name: string): Promise<string> {
    if (given !== undefined && given !== null) return checkSlug(given);
    const base = slugFromName(name);
    if (!(await tx.organizations.findBySlug(base))) return base;
    return withRandomSuffix(base);
  }

  type PatchFn = (org: Organization) => Omit<OrganizationPatch, 'updatedAt'>;

  /** Applies a change under the row lock; a replaced logo's image is deleted with it. */
  async function applyChange(tx: Store, id: string, patch: PatchFn, payload: Record<string, unknown>): Promise<Organization> {
    const org = await lockOrganization(tx, id);
    const now = clock.now();
    const values = patch(org);
    await tx.organizations.update(id, { ...values, updatedAt: now });
    if (values.imageId !== undefined && org.imageId && org.imageId !== values.imageId) await tx.images.delete(org.imageId);
    await tx.events.record({ type: 'organization.updated', subjectId: id, payload, at: now });
    return (await tx.organizations.findById(id)) as Organization;
  }

  const change = (id: string, patch: PatchFn, payload: Record<string, unknown>) => store.transaction((tx) => applyChange(tx, id, patch, payload));

  return {
    async create(input: CreateOrganizationInput): Promise<Organization> {
      const name = checkName(input.name);
      if (name === undefined) throw new DomainError('param_missing', 'name is required.', { param: 'name' });
      // The instance's organization settings: on or off, and the defaults for new organizations.
      const defaults = await requireOrganizationsEnabled(deps.settings);
      const fields = {
        maxAllowedMemberships: checkMaxMemberships(input.maxAllowedMemberships) ?? defaults.maxAllowedMemberships,
        adminDeleteEnabled: defaults.adminDeleteEnabled,
        publicMetadata: checkMetadata(input.publicMetadata, 'public_metadata') ?? {},
        privateMetadata: checkMetadata(input.privateMetadata, 'private_metadata') ?? {},
      };
      const createdBy = input.createdBy || null;
      return store.transaction(async (tx) => {
        if (createdBy && !(await tx.users.findById(createdBy))) {
          throw new DomainError('organization_creator_not_found', `No users found with id ${createdBy}.`, { param: 'created_by' });
        }
        const now = clock.now();
        const id = newId('org');
        const slug = await resolveSlug(tx, input.slug, name);
        await tx.organizations.insert({ id, name, slug, ...fields, createdBy, createdAt: now, updatedAt: now });
        await tx.events.record({ type: 'organization.created', subjectId: id, payload: { created_by: createdBy }, at: now });
        if (createdBy) {
          const role = await tx.organizations.findRole(defaults.creatorRoleKey);
          if (!role) throw new Error(`The creator role ${defaults.creatorRoleKey} is missing.`);
          await tx.memberships.insert({ id: newId('orgmem'), organizationId: id, userId: createdBy, roleKey: role.key, publicMetadata: {}, privateMetadata: {}, createdAt: now, updatedAt: now });
          await tx.events.record({ type: 'organization.membership.created', subjectId: id, payload: { user_id: createdBy, role: role.key }, at: now });
        }
        return (await tx.organizations.findById(id)) as Organization;
      });
    },

    /** By id, or by slug: slugs cannot contain `_`, so the two never collide. */
    async get(idOrSlug: string): Promise<Organization> {
      const org = (await store.organizations.findById(idOrSlug)) ?? (await store.organizations.findBySlug(idOrSlug.toLowerCase()));
      if (!org) throw notFound(idOrSlug);
      return org;
    },

    list(filter: OrganizationFilter, order: OrganizationOrder, page: Page): Promise<Organization[]> {
      checkPage(page);
      return store.organizations.list(normalizeFilter(filter), order, page);
    },

    count: (filter: OrganizationFilter) => store.organizations.count(normalizeFilter(filter)),

    update(id: string, input: UpdateOrganizationInput): Promise<Organization> {
      const name = checkName(input.name);
      const slug = input.slug === undefined || input.slug === null ? undefined : checkSlug(input.slug);
      const maxAllowedMemberships = checkMaxMemberships(input.maxAllowedMemberships);
      const publicMetadata = checkMetadata(input.publicMetadata, 'public_metadata');
      const privateMetadata = checkMetadata(input.privateMetadata, 'private_metadata');
      const adminDeleteEnabled = input.adminDeleteEnabled ?? undefined;
      return change(id, () => ({ name, slug, maxAllowedMemberships, adminDeleteEnabled, publicMetadata, privateMetadata }), {});
    },

    /** Deep-merges each kind of metadata under the row lock, so concurrent merges keep each other's keys. */
    mergeMetadata(id: string, patch: OrganizationMetadataPatch): Promise<Organization> {
      return change(
        id,
        (org) => ({
          publicMetadata: patch.publicMetadata && checkMetadata(mergeMetadata(org.publicMetadata, patch.publicMetadata), 'public_metadata'),
          privateMetadata: patch.privateMetadata && checkMetadata(mergeMetadata(org.privateMetadata, patch.privateMetadata), 'private_metadata'),
        }),
        { metadata: true },
      );
    },

    /** Replaces each given kind of metadata whole; kinds left out keep their value. */
    replaceMetadata(id: string, patch: OrganizationMetadataPatch): Promise<Organization> {
      const publicMetadata = checkMetadata(patch.publicMetadata, 'public_metadata');
      const privateMetadata = checkMetadata(patch.privateMetadata, 'private_metadata');
      return change(id, () => ({ publicMetadata, privateMetadata }), { metadata: true });
    },

    /** Deletes the organization, its memberships and its logo in one transaction; answers what was deleted. */
    delete(id: string): Promise<Organization> {
      return store.transaction(async (tx) => {
        const org = await lockOrganization(tx, id);
        await tx.organizations.delete(id);
        if (org.imageId) await tx.images.delete(org.imageId);
        await tx.events.record({ type: 'organization.deleted', subjectId: id, payload: { members_count: org.membersCount }, at: clock.now() });
        return org;
      });
    },

    /** Stores an upload (checked by content) as the logo; the previous logo is deleted. */
    async uploadLogo(id: string, bytes: Uint8Array): Promise<Organization> {
      const image = await prepareImage(bytes, clock.now());
      return store.transaction(async (tx) => {
        await lockOrganization(tx, id);
        await tx.images.insert(image);
        return applyChange(tx, id, () => ({ imageId: image.id }), { logo: true });
      });
    },

    removeLogo: (id: string) => change(id, () => ({ imageId: null }), { logo: false }),
  };
}

function normalizeFilter(filter: OrganizationFilter): OrganizationFilter {
  return { ...filter, query: filter.query?.trim() || undefined };
}

export type OrganizationService = ReturnType<typeof createOrganizationService>;
