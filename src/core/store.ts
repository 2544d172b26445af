import type { UserStore } from './users/user-store.ts';
import type { LockoutStore } from './credentials/lockout.ts';
import type { MfaStore } from './credentials/mfa-store.ts';
import type { VerificationStore } from './verification/verification-store.ts';
import type { ImageStore } from './images/image-store.ts';
import type { SecretKeyStore } from './keys/secret-key-store.ts';
import type { MembershipStore, OrganizationStore } from './organizations/organization-store.ts';
import type { MessageStore, TemplateStore } from './delivery/message-store.ts';
import type { InvitationStore, OrganizationInvitationStore } from './invitations/invitation-store.ts';
import type { AccessListStore } from './instance/access-lists.ts';
import type { RedirectUrlStore } from './instance/redirect-urls.ts';
import type { InstanceSettingsStore } from './instance/settings-store.ts';
import type { SignUpStore } from './sign-ups/sign-up-service.ts';
import type { SessionStore } from './sessions/session-store.ts';
import type { OAuthApplicationStore } from './oauth/oauth-applications.ts';
import type { ActorTokenStore, SignInTokenStore } from './sign-in-tokens/types.ts';
import type { SignUpCodeStore } from './sign-ups/sign-up-code-store.ts';
import type { JwtTemplateStore, SigningKeyStore } from './tokens/token-store.ts';

/** A domain event, written to the outbox in the same transaction as the change it describes. */
export interface DomainEvent {
  type: string;
  subjectId: string;
  payload: Record<string, unknown>;
  at: Date;
}

export interface EventStore {
  record(event: DomainEvent): Promise<void>;
}

/** Everything the core reads and writes, with one way to group writes into a transaction. */
export interface Store {
  users: UserStore;
  secretKeys: SecretKeyStore;
  events: EventStore;
  images: ImageStore;
  lockout: LockoutStore;
  mfa: MfaStore;
  verifications: VerificationStore;
  organizations: OrganizationStore;
  memberships: MembershipStore;
  messages: MessageStore;
  templates: TemplateStore;
  invitations: InvitationStore;
  organizationInvitations: OrganizationInvitationStore;
  settings: InstanceSettingsStore;
  accessLists: AccessListStore;
  redirectUrls: RedirectUrlStore;
  signUps: SignUpStore;
  sessions: SessionStore;
  oauthApplications: OAuthApplicationStore;
  signInTokens: SignInTokenStore;
  actorTokens: ActorTokenStore;
  signUpCodes: SignUpCodeStore;
  signingKeys: SigningKeyStore;
  jwtTemplates: JwtTemplateStore;
  /** Runs `fn` in one transaction; nested calls join the outer one. */
  transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T>;
}
