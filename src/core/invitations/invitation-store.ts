import type { Metadata, Page } from '../users/types.ts';

export type InvitationStatus = 'pending' | 'accepted' | 'revoked';
/** What a reader sees: a pending invitation past its expiry reads as `expired`. */
export type InvitationState = InvitationStatus | 'expired';

/** An invitation to sign up to the instance. */
export interface Invitation {
  id: string;
  emailAddress: string;
  publicMetadata: Metadata;
  redirectUrl: string | null;
  status: InvitationStatus;
  expiresAt: Date;
  /** The user who accepted it. */
  userId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** An invitation to join an organization with a role. */
export interface OrganizationInvitation {
  id: string;
  organizationId: string;
  emailAddress: string;
  /** An organization_roles key. */
  roleKey: string;
  roleName: string;
  publicMetadata: Metadata;
  privateMetadata: Metadata;
  redirectUrl: string | null;
  inviterUserId: string | null;
  status: InvitationStatus;
  expiresAt: Date;
  userId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface InvitationFilter {
  /** Statuses as readers see them; `expired` and `pending` are told apart by the expiry. */
  states?: InvitationState[];
  /** Case-insensitive part of the email address, or an exact id. */
  query?: string;
  now: Date;
}

export interface InvitationOrder {
  field: 'created_at' | 'email_address' | 'expires_at';
  direction: 'asc' | 'desc';
}

export interface OrganizationInvitationFilter {
  organizationId?: string;
  /** Invitations to any of this user's verified email addresses. */
  emailsNormalized?: string[];
  states?: InvitationState[];
  now: Date;
}

/** Instance invitations. A second pending invitation for an address surfaces as `invitation_exists`. */
export interface InvitationStore {
  insert(invitation: Invitation & { emailNormalized: string; tokenHash: string }): Promise<void>;
  findById(id: string): Promise<Invitation | null>;
  findByTokenHash(tokenHash: string): Promise<Invitation | null>;
  findPendingByEmail(emailNormalized: string): Promise<Invitation | null>;
  list(filter: InvitationFilter, order: InvitationOrder, page: Page): Promise<Invitation[]>;
  count(filter: InvitationFilter): Promise<number>;
  /** Moves a pending invitation to `status`; false when it was no longer pending (exactly one racer wins). */
  finish(id: string, status: 'accepted' | 'revoked', userId: string | null, now: Date): Promise<boolean>;
  delete(id: string): Promise<boolean>;
}

/** Organization invitations, read with their role. */
export interface OrganizationInvitationStore {
  insert(invitation: Omit<OrganizationInvitation, 'roleName'> & { emailNormalized: string; tokenHash: string }): Promise<void>;
  findById(id: string): Promise<OrganizationInvitation | null>;
  findByTokenHash(tokenHash: string): Promise<OrganizationInvitation | null>;
  list(filter: OrganizationInvitationFilter, page: Page): Promise<OrganizationInvitation[]>;
  count(filter: OrganizationInvitationFilter): Promise<number>;
  finish(id: string, status: 'accepted' | 'revoked', userId: string | null, now: Date): Promise<boolean>;
}
