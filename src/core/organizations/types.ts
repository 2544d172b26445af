import type { Metadata, Page } from '../users/types.ts';

export type { Metadata, Page };

/**
 * A group of users with roles: a Clerk organization, and later an Authress tenant or a DPoD
 * subscriber group. Nothing here is Clerk-only; each dialect shows the part it knows.
 */
export interface Organization {
  id: string;
  name: string;
  /** Unique, URL-safe handle: lowercase letters, digits and dashes. */
  slug: string;
  /** An uploaded logo Latchkey serves itself. */
  imageId: string | null;
  publicMetadata: Metadata;
  privateMetadata: Metadata;
  /** 0 means no limit. */
  maxAllowedMemberships: number;
  adminDeleteEnabled: boolean;
  /** The user who created it, kept as a plain id: the organization outlives its creator. */
  createdBy: string | null;
  /** Counted when read, so it cannot drift from the memberships themselves. */
  membersCount: number;
  createdAt: Date;
  updatedAt: Date;
}

/** A role members hold; instance-wide, keyed like Clerk's (`org:admin`). */
export interface OrganizationRole {
  id: string;
  key: string;
  name: string;
  permissions: string[];
}

/** What a membership shows of its user. */
export interface MemberUser {
  id: string;
  firstName: string | null;
  lastName: string | null;
  imageId: string | null;
  imageUrl: string | null;
  /** The primary email, else phone, else web3 wallet, else username. */
  identifier: string | null;
}

export interface Membership {
  id: string;
  organizationId: string;
  userId: string;
  role: OrganizationRole;
  publicMetadata: Metadata;
  privateMetadata: Metadata;
  organization: Organization;
  user: MemberUser;
  /** This membership is the user's Authress tenant link (at most one per user). */
  tenantLink: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface OrganizationFilter {
  /** Exact match on id, case-insensitive partial match on name and slug. */
  query?: string;
  ids?: string[];
}

export interface OrganizationOrder {
  field: 'created_at' | 'name' | 'members_count';
  direction: 'asc' | 'desc';
}

export interface MembershipFilter {
  organizationId?: string;
  userId?: string;
  userIds?: string[];
  roles?: string[];
  /** Case-insensitive partial match over the member's identifiers, names and id. */
  query?: string;
}

export interface MembershipOrder {
  field: 'created_at' | 'first_name' | 'last_name' | 'username';
  direction: 'asc' | 'desc';
}
