import type { ListedIdentifier } from '../../../core/instance/access-lists.ts';
import type { AuthConfig, InstanceConfig, OrganizationSettings, Restrictions } from '../../../core/instance/instance-settings.ts';
import type { RedirectUrl } from '../../../core/instance/redirect-urls.ts';
import { stateOf } from '../../../core/invitations/invitation-input.ts';
import type { Invitation, OrganizationInvitation } from '../../../core/invitations/invitation-store.ts';
import { type SignUp, signUpStatus } from '../../../core/sign-ups/sign-up-service.ts';
import { roleToClerk } from './organization-mappers.ts';

/** A self-hosted server is one instance; Clerk's responses still name it. */
export const INSTANCE_ID = 'ins_latchkey';

const ms = (d: Date) => d.getTime();

/** `url` (the link with its token) only when the caller asked for no email and must deliver it. */
export function toClerkInvitation(i: Invitation, now: Date, url?: string) {
  const status = stateOf(i, now);
  return {
    object: 'invitation' as const,
    id: i.id,
    email_address: i.emailAddress,
    public_metadata: i.publicMetadata,
    revoked: i.status === 'revoked',
    status,
    ...(url ? { url } : {}),
    created_at: ms(i.createdAt),
    updated_at: ms(i.updatedAt),
  };
}

export function toClerkOrganizationInvitation(i: OrganizationInvitation, now: Date) {
  return {
    id: i.id,
    object: 'organization_invitation' as const,
    email_address: i.emailAddress,
    role: roleToClerk(i.roleKey),
    role_name: i.roleName,
    organization_id: i.organizationId,
    status: stateOf(i, now),
    public_metadata: i.publicMetadata,
    private_metadata: i.privateMetadata,
    // The link's token exists only in the email: it is never stored, so never shown.
    url: null,
    expires_at: ms(i.expiresAt),
    created_at: ms(i.createdAt),
    updated_at: ms(i.updatedAt),
  };
}

export function toClerkListed(e: ListedIdentifier) {
  return {
    object: e.list === 'allow' ? ('allowlist_identifier' as const) : ('blocklist_identifier' as const),
    id: e.id,
    ...(e.invitationId ? { invitation_id: e.invitationId } : {}),
    identifier: e.identifier,
    identifier_type: e.identifierType,
    instance_id: INSTANCE_ID,
    created_at: ms(e.createdAt),
    updated_at: ms(e.updatedAt),
  };
}

export const toClerkRedirectUrl = (r: RedirectUrl) => ({ object: 'redirect_url' as const, id: r.id, url: r.url, created_at: ms(r.createdAt), updated_at: ms(r.updatedAt) });

export function toClerkRestrictions(r: Restrictions) {
  return {
    object: 'instance_restrictions' as const,
    allowlist: r.allowlist,
    blocklist: r.blocklist,
    block_email_subaddresses: r.blockEmailSubaddresses,
    block_disposable_email_domains: r.blockDisposableEmailDomains,
    ignore_dots_for_gmail_addresses: r.ignoreDotsForGmailAddresses,
  };
}

export function toClerkOrganizationSettings(s: OrganizationSettings) {
  return {
    object: 'organization_settings' as const,
    enabled: s.enabled,
    max_allowed_memberships: s.maxAllowedMemberships,
    // Roles and permissions are rows without a quota.
    max_allowed_roles: 0,
    max_allowed_permissions: 0,
    creator_role: s.creatorRoleKey,
    admin_delete_enabled: s.adminDeleteEnabled,
    domains_enabled: s.domainsEnabled,
    slug_disabled: false,
    domains_enrollment_modes: s.domainsEnrollmentModes,
    domains_default_role: s.domainsDefaultRoleKey,
  };
}

export function toClerkInstanceSettings(auth: AuthConfig, restrictions: Restrictions, instance: InstanceConfig) {
  return {
    object: 'instance_settings' as const,
    id: INSTANCE_ID,
    restricted_to_allowlist: restrictions.allowlist,
    ...(auth.fromEmailAddress ? { from_email_address: auth.fromEmailAddress } : {}),
    progressive_sign_up: auth.progressiveSignUp,
    enhanced_email_deliverability: instance.enhancedEmailDeliverability,
  };
}

export const toClerkInstance = (i: InstanceConfig) => ({ object: 'instance' as const, id: INSTANCE_ID, environment_type: 'production', allowed_origins: i.allowedOrigins });

const IDENTIFIER_FIELDS = ['email_address', 'phone_number', 'web3_wallet'] as const;

export function toClerkSignUp(s: SignUp, now: Date) {
  const values: Record<(typeof IDENTIFIER_FIELDS)[number], string | null> = { email_address: s.emailAddress, phone_number: s.phoneNumber, web3_wallet: s.web3Wallet };
  const given = IDENTIFIER_FIELDS.filter((f) => values[f] !== null);
  return {
    object: 'sign_up_attempt' as const,
    id: s.id,
    status: signUpStatus(s, now),
    required_fields: [],
    optional_fields: ['email_address', 'phone_number', 'username', 'first_name', 'last_name', 'password'],
    missing_fields: [],
    unverified_fields: given.filter((f) => !s.verifiedFields.includes(f)),
    verifications: {},
    username: s.username,
    email_address: s.emailAddress,
    phone_number: s.phoneNumber,
    web3_wallet: s.web3Wallet,
    password_enabled: s.passwordEnabled,
    first_name: s.firstName,
    last_name: s.lastName,
    unsafe_metadata: s.unsafeMetadata,
    public_metadata: s.publicMetadata,
    custom_action: s.customAction,
    external_id: s.externalId,
    created_session_id: null,
    created_user_id: s.createdUserId,
    abandon_at: ms(s.abandonAt),
  };
}
