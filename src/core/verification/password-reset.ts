import type { Clock } from '../clock.ts';
import type { BreachedPasswords } from '../credentials/breached-passwords.ts';
import { guardedPasswordCheck, type LockoutPolicy } from '../credentials/lockout.ts';
import { NATIVE_HASHER, type PasswordHasher } from '../credentials/password-hasher.ts';
import { checkPassword, normalizePassword } from '../credentials/password-policy.ts';
import type { Outbox } from '../delivery/outbox.ts';
import { DomainError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { RateLimiter } from '../rate-limit.ts';
import type { Store } from '../store.ts';
import { findByIdentifier } from '../users/find-by-identifier.ts';
import type { User } from '../users/types.ts';
import type { RevocationReason } from '../sessions/types.ts';
import { CODE_TTL_MS, codeMatches, freshCode, hashToken, newToken, TICKET_TTL_MS } from './one-time.ts';

/** Reset requests allowed per account (identifier) and per IP in a 15-minute window. */
export const RESET_LIMITS = { perIdentifier: 3, perIp: 20, windowMs: 15 * 60_000 };

export interface PasswordResetDeps {
  store: Store;
  clock: Clock;
  outbox: Outbox;
  hasher: PasswordHasher;
  breached: BreachedPasswords;
  limiter: RateLimiter;
  lockout: LockoutPolicy;
  /** Where reset links land, e.g. `${publicUrl}/reset-password`. */
  linkBase: () => string;
  /** Reports failures of the background part of a request, which no caller waits for. */
  onBackgroundError: (e: unknown) => void;
  /** Runs after a reset or an administrator's password has committed: revokes the user's sessions. */
  onSecurityEvent?: (userId: string, reason: RevocationReason) => Promise<void>;
}

const invalid = (param: string) => new DomainError('verification_missing', 'This code or link is not valid, or was already used.', { param });

/**
 * Forgotten passwords in three steps: request (same answer whether or not the account exists),
 * redeem a code or link for a ticket (single use), set a new password with the ticket.
 */
export function createPasswordReset(deps: PasswordResetDeps) {
  const { store, clock, outbox, hasher } = deps;
  const inFlight = new Set<Promise<void>>();

  async function findUserByIdentifier(identifier: string): Promise<{ user: User; type: 'email_address' | 'phone_number'; value: string } | null> {
    const type = identifier.includes('@') ? 'email_address' : 'phone_number';
    const found = await findByIdentifier(store, type, identifier);
    return found ? { user: found.user, type, value: found.identifier.value } : null;
  }

  async function sendReset(identifier: string): Promise<void> {
    const found = await findUserByIdentifier(identifier);
    if (!found || found.user.banned) return;
    const now = clock.now();
    const id = newId('ver');
    const { code, stored } = freshCode(id, now);
    const link = newToken();
    await store.transaction(async (tx) => {
      await tx.verifications.voidPending(found.user.id, 'reset_password', null, now);
      await tx.verifications.insert({
        id,
        userId: found.user.id,
        identifierId: null,
        purpose: 'reset_password',
        strategy: found.type === 'email_address' ? 'reset_password_email_code' : 'reset_password_phone_code',
        tokenHash: link.hash,
        ...stored,
      });
      await outbox.enqueue(tx, {
        channel: found.type === 'email_address' ? 'email' : 'sms',
        to: found.value,
        template: 'reset_password_code',
        data: { otp_code: code, action_url: `${deps.linkBase()}?token=${link.token}`, expires_in_minutes: CODE_TTL_MS / 60_000 },
        secrets: [code, link.token],
        userId: found.user.id,
      });
    });
  }

  async function issueTicket(tx: Store, userId: string, now: Date): Promise<string> {
    const ticket = newToken();
    await tx.verifications.insert({
      id: newId('ver'),
      userId,
      identifierId: null,
      purpose: 'reset_ticket',
      strategy: 'ticket',
      codeHash: null,
      tokenHash: ticket.hash,
      attempts: 0,
      maxAttempts: 1,
      expiresAt: new Date(now.getTime() + TICKET_TTL_MS),
      consumedAt: null,
      voidedAt: null,
      createdAt: now,
    });
    return ticket.token;
  }

  /** Takes a finished digest: hashing is slow and must not run while a transaction holds locks. */
  async function setPassword(tx: Store, user: User, digest: string, mustChange: boolean, event: string) {
    const now = clock.now();
    await tx.users.update(user.id, { passwordDigest: digest, passwordHasher: NATIVE_HASHER, passwordCompromisedAt: null, passwordMustChange: mustChange, updatedAt: now });
    await tx.events.record({ type: event, subjectId: user.id, payload: {}, at: now });
  }

  function policyChecked(user: User, password: string): string {
    return checkPassword(password, { emails: user.identifiers.filter((i) => i.type === 'email_address').map((i) => i.value), username: user.username }, deps.breached);
  }

  return {
    /**
     * Starts a reset. The answer does not depend on whether the account exists: the look-up and
     * the message happen after the caller has its answer. Rate limits apply per identifier and IP.
     */
    async request(identifier: string, ip: string): Promise<void> {
      const key = identifier.trim().toLowerCase().slice(0, 320);
      for (const [bucket, limit] of [[`reset:id:${key}`, RESET_LIMITS.perIdentifier], [`reset:ip:${ip}`, RESET_LIMITS.perIp]] as const) {
        const r = await deps.limiter.hit(bucket, limit, RESET_LIMITS.windowMs);
        if (!r.allowed) throw new DomainError('rate_limited', 'Too many reset requests; try again later.', { retryAfterSeconds: r.retryAfterSeconds });
      }
      const job = sendReset(identifier).catch(deps.onBackgroundError);
      inFlight.add(job);
      void job.finally(() => inFlight.delete(job));
    },

    /** Waits for background reset work; for tests and shutdown. */
    async settle(): Promise<void> {
      await Promise.all([...inFlight]);
    },

    /** Redeems the emailed code for a ticket. Two simultaneous redemptions: exactly one wins. */
    async redeemCode(identifier: string, code: string): Promise<{ ticket: string }> {
      const found = await findUserByIdentifier(identifier);
      const pending = found ? await store.verifications.latestPending(found.user.id, 'reset_password', null) : null;
      const now = clock.now();
      if (!found || !pending?.codeHash) throw invalid('code');
      if (pending.expiresAt <= now) throw new DomainError('verification_expired', 'This code has expired; request a new one.', { param: 'code' });
      const reserved = await store.verifications.reserveAttempt(pending.id, now);
      if (!reserved) throw new DomainError('verification_failed', 'Too many attempts; request a new code.', { param: 'code' });
      if (!codeMatches(pending.id, pending.codeHash, code)) {
        throw new DomainError('verification_code_incorrect', 'Incorrect code.', { param: 'code' });
      }
      return store.transaction(async (tx) => {
        if (!(await tx.verifications.consume(pending.id, now))) throw invalid('code');
        return { ticket: await issueTicket(tx, found.user.id, now) };
      });
    },

    /** Redeems the emailed link for a ticket; single use like the code it was sent with. */
    async redeemLink(token: string): Promise<{ ticket: string }> {
      const found = token.length <= 128 ? await store.verifications.findByTokenHash(hashToken(token)) : null;
      const now = clock.now();
      if (!found || found.purpose !== 'reset_password' || found.consumedAt || found.voidedAt) throw invalid('token');
      if (found.expiresAt <= now) throw new DomainError('verification_expired', 'This link has expired; request a new one.', { param: 'token' });
      return store.transaction(async (tx) => {
        if (!(await tx.verifications.consume(found.id, now))) throw invalid('token');
        return { ticket: await issueTicket(tx, found.userId, now) };
      });
    },

    /**
     * Sets the new password with a ticket. Clears any lock (a locked user may reset), records
     * `user.password.reset` (sessions subscribe to it) and sends a password-changed notice.
     */
    async complete(ticket: string, password: string): Promise<void> {
      const found = ticket.length <= 128 ? await store.verifications.findByTokenHash(hashToken(ticket)) : null;
      const now = clock.now();
      if (!found || found.purpose !== 'reset_ticket' || found.consumedAt || found.voidedAt || found.expiresAt <= now) throw invalid('ticket');
      const user = await store.users.findById(found.userId);
      if (!user) throw invalid('ticket');
      const digest = await hasher.hash(policyChecked(user, password));
      await store.transaction(async (tx) => {
        if (!(await tx.verifications.consume(found.id, now))) throw invalid('ticket');
        await setPassword(tx, user, digest, false, 'user.password.reset');
        await tx.lockout.setLock(user.id, null);
        const email = user.identifiers.find((i) => i.id === user.primaryEmailAddressId);
        if (email) await outbox.enqueue(tx, { channel: 'email', to: email.value, template: 'password_changed', data: {}, secrets: [], userId: user.id });
      });
      await deps.onSecurityEvent?.(user.id, 'password_reset');
    },

    /** A self-service change: the current password is required, under the lockout rules. */
    async change(userId: string, current: string, next: string): Promise<void> {
      const user = await store.users.findById(userId);
      if (!user) throw new DomainError('user_not_found', `No user was found with id ${userId}.`, { param: 'user_id' });
      const ok = await guardedPasswordCheck({ store, clock, policy: deps.lockout }, userId, (stored) => hasher.verify(normalizePassword(current), stored.digest, stored.hasher));
      if (ok === 'no_password') throw new DomainError('password_not_set', 'This user has no password.', { param: 'current_password' });
      if (ok === 'missing') throw new DomainError('user_not_found', `No user was found with id ${userId}.`, { param: 'user_id' });
      if (ok !== true) throw new DomainError('password_incorrect', 'The current password is incorrect.', { param: 'current_password' });
      const digest = await hasher.hash(policyChecked(user, next));
      await store.transaction(async (tx) => {
        await setPassword(tx, user, digest, false, 'user.password.changed');
        const email = user.identifiers.find((i) => i.id === user.primaryEmailAddressId);
        if (email) await outbox.enqueue(tx, { channel: 'email', to: email.value, template: 'password_changed', data: {}, secrets: [], userId });
      });
    },

    /** An administrator's temporary password: the user must change it at the next sign-in. */
    async setTemporary(userId: string, password: string): Promise<void> {
      const user = await store.users.findById(userId);
      if (!user) throw new DomainError('user_not_found', `No user was found with id ${userId}.`, { param: 'user_id' });
      const digest = await hasher.hash(policyChecked(user, password));
      await store.transaction((tx) => setPassword(tx, user, digest, true, 'user.password.temporary'));
      await deps.onSecurityEvent?.(userId, 'password_reset');
    },
  };
}

export type PasswordReset = ReturnType<typeof createPasswordReset>;
