import type { Clock } from '../clock.ts';
import type { Outbox } from '../delivery/outbox.ts';
import { DomainError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { SignUpRestrictions } from '../instance/access-lists.ts';
import type { RedirectUrlService } from '../instance/redirect-urls.ts';
import type { Store } from '../store.ts';
import type { CreateUserHooks, CreateUserInput } from '../users/create-user.ts';
import { firstUser } from '../users/find-by-identifier.ts';
import { type NormalizedIdentifier, normalizeEmail } from '../users/identifiers.ts';
import type { Metadata, Page, User } from '../users/types.ts';
import { checkMetadata } from '../users/user-input.ts';
import { hashToken, newToken } from '../verification/one-time.ts';
import { checkRedeemable, checkRevocable, expiryFrom, MAX_TOKEN_LENGTH } from './invitation-input.ts';
import type { Invitation, InvitationOrder, InvitationState } from './invitation-store.ts';

export interface CreateInvitationInput {
  emailAddress: string;
  publicMetadata?: Metadata;
  /** Where the hosted page sends the user after accepting: a path here or an allowed redirect URL. */
  redirectUrl?: string | null;
  expiresInDays?: number | null;
  /** Creates it even if the address has a user or a pending invitation (which is then revoked). */
  ignoreExisting?: boolean | null;
  /** false: no email; the link is returned once, for the caller to deliver. */
  notify?: boolean | null;
}

export interface AcceptInvitationInput {
  password?: string | null;
  firstName?: string | null;
  lastName?: string | null;
  username?: string | null;
}

export interface InvitationDeps {
  store: Store;
  clock: Clock;
  outbox: Outbox;
  restrictions: SignUpRestrictions;
  redirects: RedirectUrlService;
  createUser: (input: CreateUserInput, hooks: CreateUserHooks) => Promise<User>;
  /** Where sign-up links land, e.g. `${publicUrl}/sign-up`; the token goes in `invitation_token`. */
  linkBase: () => string;
}

function notFound(id: string): DomainError {
  return new DomainError('invitation_not_found', `No invitation was found with id ${id}.`, { param: 'invitation_id' });
}

/** Checks a redirect target now, so a bad one fails when the invitation is made rather than when it is used. */
export async function checkInvitationRedirect(redirects: RedirectUrlService, url: string | null | undefined): Promise<string | null> {
  if (!url) return null;
  if (!(await redirects.isAllowedRedirect(url))) {
    throw new DomainError('redirect_url_not_allowed', 'redirect_url must be a path on this server or match a redirect URL of the instance.', { param: 'redirect_url' });
  }
  return url;
}

/**
 * Invitations to sign up. Creating one emails a single-use link (256-bit token, only its hash
 * stored, expiring); accepting it creates the user with the address verified and the
 * invitation's public metadata, in the same transaction that marks the invitation accepted.
 */
export function createInvitationService(deps: InvitationDeps) {
  const { store, clock, outbox } = deps;

  async function send(tx: Store, inv: Invitation, token: string, notify: boolean): Promise<string> {
    const url = `${deps.linkBase()}?invitation_token=${token}`;
    if (notify) await outbox.enqueue(tx, { channel: 'email', to: inv.emailAddress, template: 'invitation', data: { email_address: inv.emailAddress, action_url: url }, secrets: [token] });
    return url;
  }

  type Fields = { publicMetadata: Metadata; redirectUrl: string | null; expiresAt: Date; ignore: boolean; notify: boolean };

  async function insert(tx: Store, email: NormalizedIdentifier, f: Fields): Promise<{ invitation: Invitation; url: string }> {
    const now = clock.now();
    const { token, hash } = newToken();
    const existing = await tx.invitations.findPendingByEmail(email.normalized);
    if (existing && !f.ignore) throw new DomainError('invitation_exists', `There is already a pending invitation for ${email.value}.`, { param: 'email_address' });
    if (existing && (await tx.invitations.finish(existing.id, 'revoked', null, now))) {
      await tx.events.record({ type: 'invitation.revoked', subjectId: existing.id, payload: { superseded: true }, at: now });
    }
    const invitation: Invitation = { id: newId('inv'), emailAddress: email.value, publicMetadata: f.publicMetadata, redirectUrl: f.redirectUrl, status: 'pending', expiresAt: f.expiresAt, userId: null, createdAt: now, updatedAt: now };
    await tx.invitations.insert({ ...invitation, emailNormalized: email.normalized, tokenHash: hash });
    const url = await send(tx, invitation, token, f.notify);
    await tx.events.record({ type: 'invitation.created', subjectId: invitation.id, payload: { notify: f.notify }, at: now });
    return { invitation, url };
  }

  async function findLive(token: string): Promise<Invitation> {
    const found = token.length <= MAX_TOKEN_LENGTH ? await store.invitations.findByTokenHash(hashToken(token)) : null;
    checkRedeemable(found, clock.now());
    return found as Invitation;
  }

  return {
    /** Creates and (unless `notify: false`) emails an invitation; `url` carries the token, shown only here. */
    async create(input: CreateInvitationInput): Promise<{ invitation: Invitation; url: string }> {
      const email = normalizeEmail(input.emailAddress, 'email_address');
      const publicMetadata = checkMetadata(input.publicMetadata, 'public_metadata') ?? {};
      const now = clock.now();
      const expiresAt = expiryFrom(now, input.expiresInDays);
      const redirectUrl = await checkInvitationRedirect(deps.redirects, input.redirectUrl);
      // Fails early: an address the instance would refuse at sign-up is not worth inviting.
      await deps.restrictions.check([email]);
      const ignore = input.ignoreExisting === true;
      if (!ignore) {
        if (await firstUser(store, { emailAddresses: [email.normalized] })) throw new DomainError('invitation_account_exists', `${email.value} already belongs to a user.`, { param: 'email_address' });
      }
      return store.transaction((tx) => insert(tx, email, { publicMetadata, redirectUrl, expiresAt, ignore, notify: input.notify !== false }));
    },

    /**
     * Invites an address inside the caller's transaction (the allowlist's `notify`), superseding a
     * pending invitation; null when the address already has a user. No restrictions check: the
     * caller is what makes the address allowed.
     */
    async inviteWithin(tx: Store, emailAddress: string): Promise<Invitation | null> {
      const email = normalizeEmail(emailAddress, 'email_address');
      if (await firstUser(tx, { emailAddresses: [email.normalized] })) return null;
      const { invitation } = await insert(tx, email, { publicMetadata: {}, redirectUrl: null, expiresAt: expiryFrom(clock.now(), null), ignore: true, notify: true });
      return invitation;
    },

    list(filter: { states?: InvitationState[]; query?: string }, order: InvitationOrder, page: Page): Promise<Invitation[]> {
      return store.invitations.list({ ...filter, query: filter.query?.trim() || undefined, now: clock.now() }, order, page);
    },

    count: (filter: { states?: InvitationState[]; query?: string }) => store.invitations.count({ ...filter, query: filter.query?.trim() || undefined, now: clock.now() }),

    async revoke(id: string): Promise<Invitation> {
      return store.transaction(async (tx) => {
        const inv = await tx.invitations.findById(id);
        if (!inv) throw notFound(id);
        checkRevocable(inv);
        const now = clock.now();
        // A concurrent accept or revoke won the row: report what it became.
        if (!(await tx.invitations.finish(id, 'revoked', null, now))) checkRevocable((await tx.invitations.findById(id)) ?? inv);
        await tx.events.record({ type: 'invitation.revoked', subjectId: id, payload: {}, at: now });
        return (await tx.invitations.findById(id)) as Invitation;
      });
    },

    /** Deletes the record whatever its status (a data-erasure request); the link stops working. */
    async delete(id: string): Promise<void> {
      await store.transaction(async (tx) => {
        if (!(await tx.invitations.delete(id))) throw notFound(id);
        await tx.events.record({ type: 'invitation.deleted', subjectId: id, payload: {}, at: clock.now() });
      });
    },

    /** For the hosted sign-up page: the invitation a link stands for, if it can still be accepted. */
    lookup: (token: string): Promise<Invitation> => findLive(token),

    /**
     * Accepts an invitation: creates the user with the invited address verified (strategy
     * `ticket`) and the invitation's public metadata, and marks the invitation accepted in the same
     * transaction. The instance's restrictions apply as to any new user. Two simultaneous
     * acceptances: exactly one succeeds.
     * @example await invitations.accept(token, { password: 'a long passphrase', firstName: 'Ada' })
     */
    async accept(token: string, input: AcceptInvitationInput = {}): Promise<{ user: User; invitation: Invitation }> {
      const inv = await findLive(token);
      const user = await deps.createUser(
        { emailAddresses: [inv.emailAddress], password: input.password, firstName: input.firstName, lastName: input.lastName, username: input.username, publicMetadata: inv.publicMetadata, verifiedBy: 'ticket' },
        {
          async withinTransaction(tx, created) {
            const now = clock.now();
            if (!(await tx.invitations.finish(inv.id, 'accepted', created.id, now))) checkRedeemable(await tx.invitations.findById(inv.id), now);
            await tx.events.record({ type: 'invitation.accepted', subjectId: inv.id, payload: { user_id: created.id }, at: now });
          },
        },
      );
      return { user, invitation: (await store.invitations.findById(inv.id)) as Invitation };
    },
  };
}

export type InvitationService = ReturnType<typeof createInvitationService>;
