import type {
  Membership,
  MembershipFilter,
  MembershipOrder,
  Metadata,
  Organization,
  OrganizationFilter,
  OrganizationOrder,
  OrganizationRole,
  Page,
} from './types.ts';

export interface NewOrganization {
  id: string;
  name: string;
  slug: string;
  publicMetadata: Metadata;
  privateMetadata: Metadata;
  maxAllowedMemberships: number;
  /** The instance's default when left out. */
  adminDeleteEnabled?: boolean;
  createdBy: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** Columns a service may change; undefined leaves a column as it is. */
export interface OrganizationPatch {
  name?: string;
  slug?: string;
  imageId?: string | null;
  publicMetadata?: Metadata;
  privateMetadata?: Metadata;
  maxAllowedMemberships?: number;
  adminDeleteEnabled?: boolean;
  updatedAt: Date;
}

/** Organizations and their roles. A taken slug surfaces as `organization_slug_exists`. */
export interface OrganizationStore {
  findById(id: string): Promise<Organization | null>;
  findBySlug(slug: string): Promise<Organization | null>;
  /** Locks the organization row for the rest of the transaction; membership changes take it first. */
  lockForUpdate(id: string): Promise<Organization | null>;
  list(filter: OrganizationFilter, order: OrganizationOrder, page: Page): Promise<Organization[]>;
  count(filter: OrganizationFilter): Promise<number>;
  insert(org: NewOrganization): Promise<void>;
  update(id: string, patch: OrganizationPatch): Promise<boolean>;
  /** Deletes the organization; its memberships go with it (foreign key cascade). */
  delete(id: string): Promise<boolean>;
  findRole(key: string): Promise<OrganizationRole | null>;
  /** Roles by their id (`role_admin`), as instance settings name them. */
  findRoleById(id: string): Promise<OrganizationRole | null>;
}

export interface NewMembership {
  id: string;
  organizationId: string;
  userId: string;
  roleKey: string;
  publicMetadata: Metadata;
  privateMetadata: Metadata;
  /** The user's Authress tenant link; a user has at most one. */
  tenantLink?: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface MembershipPatch {
  roleKey?: string;
  publicMetadata?: Metadata;
  privateMetadata?: Metadata;
  updatedAt: Date;
}

/** Memberships, read with their organization, role and user. A duplicate surfaces as `membership_exists`. */
export interface MembershipStore {
  find(organizationId: string, userId: string): Promise<Membership | null>;
  list(filter: MembershipFilter, order: MembershipOrder, page: Page): Promise<Membership[]>;
  count(filter: MembershipFilter): Promise<number>;
  /** Members whose role grants `permission`, leaving out `exceptUserId`. */
  countWithPermission(organizationId: string, permission: string, exceptUserId?: string): Promise<number>;
  insert(membership: NewMembership): Promise<void>;
  update(id: string, patch: MembershipPatch): Promise<void>;
  delete(id: string): Promise<void>;
  /** Removes every membership of the user; returns the organizations they were in. */
  deleteAllForUser(userId: string): Promise<string[]>;
  /** The user's tenant-link membership, if any. */
  findTenantLink(userId: string): Promise<Membership | null>;
  setTenantLink(id: string, on: boolean, at: Date): Promise<void>;
}
