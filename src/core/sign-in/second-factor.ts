import type { Clock } from '../clock.ts';
import type { MfaService } from '../credentials/mfa.ts';
import type { Outbox } from '../delivery/outbox.ts';
import { DomainError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { RateLimiter } from '../rate-limit.ts';
import type { Store } from '../store.ts';
import type { User } from '../users/types.ts';
import { CODE_TTL_MS, codeMatches, freshCode, hashToken, newToken } from '../verification/one-time.ts';
import type { VerificationRecord } from '../verification/verification-store.ts';
import { maskEmail } from './find-account.ts';

export type SecondFactorStrategy = 'totp' | 'backup_code' | 'email_code';
export const SECOND_FACTOR_STRATEGIES: readonly SecondFactorStrategy[] = ['totp', 'backup_code', 'email_code'];

/** A password-checked sign-in waits this long for its second factor. */
export const PENDING_TTL_MS = 10 * 60_000;
/** Second-factor tries per pending sign-in, whatever the strategy; then the user starts over. */
export const PENDING_MAX_ATTEMPTS = 10;
/** Emailed sign-in codes per user in a window: each one is a message someone else may trigger. */
export const EMAIL_CODE_LIMIT = { perUser: 5, windowMs: 15 * 60_000 };

export interface PendingSignIn {
  userId: string;
  /** What this user can use, in the order the page offers them. */
  strategies: SecondFactorStrategy[];
  /** The primary email address, masked, when `email_code` is offered. */
  emailHint: string | null;
}

export interface SecondFactorDeps {
  store: Store;
  clock: Clock;
  mfa: Pick<MfaService, 'verify'>;
  outbox: Outbox;
  limiter: RateLimiter;
}

const missing = () => new DomainError('verification_missing', 'This sign-in has expired or was already completed. Please sign in again.', { param: 'pending' });

function primaryEmail(user: User): string | null {
  const email = user.identifiers.find((i) => i.id === user.primaryEmailAddressId && i.type === 'email_address' && i.verified);
  return email?.value ?? null;
}

function strategiesOf(user: User): SecondFactorStrategy[] {
  const out: SecondFactorStrategy[] = [];
  if (user.totpEnabled) out.push('totp');
  if (user.backupCodeEnabled) out.push('backup_code');
  if (primaryEmail(user)) out.push('email_code');
  return out;
}

/**
 * The second step of a sign-in. The pending state is a verification row holding only the SHA-256
 * of a 256-bit token; the browser holds the token in an HttpOnly cookie. It cannot be forged or
 * moved to another user, lives 10 minutes, allows a bounded number of tries and is consumed once.
 */
export function createSecondFactor(deps: SecondFactorDeps) {
  const { store, clock } = deps;

  async function load(token: string): Promise<{ record: VerificationRecord; user: User }> {
    const record = token && token.length <= 128 ? await store.verifications.findByTokenHash(hashToken(token)) : null;
    if (!record || record.purpose !== 'sign_in_second_factor' || record.consumedAt || record.voidedAt || record.expiresAt <= clock.now()) throw missing();
    const user = await store.users.findById(record.userId);
    // A ban or lock that lands between the two steps stops the sign-in too.
    if (!user || user.banned || (user.lockedUntil && user.lockedUntil > clock.now())) throw missing();
    return { record, user };
  }

  async function checkEmailCode(userId: string, code: string): Promise<void> {
    const now = clock.now();
    const pending = await store.verifications.latestPending(userId, 'sign_in_email_code', null);
    if (!pending?.codeHash) throw new DomainError('verification_missing', 'Ask for a code first.', { param: 'code' });
    if (pending.expiresAt <= now) throw new DomainError('verification_expired', 'This code has expired; ask for a new one.', { param: 'code' });
    if (!(await store.verifications.reserveAttempt(pending.id, now))) throw new DomainError('verification_failed', 'Too many attempts; ask for a new code.', { param: 'code' });
    if (!codeMatches(pending.id, pending.codeHash, code)) throw new DomainError('verification_code_incorrect', 'Incorrect code.', { param: 'code' });
    if (!(await store.verifications.consume(pending.id, now))) throw new DomainError('verification_missing', 'This code was already used.', { param: 'code' });
  }

  return {
    /** Opens the pending state for a user whose password was right; returns the token for the cookie. */
    async open(userId: string): Promise<string> {
      const now = clock.now();
      const { token, hash } = newToken();
      await store.verifications.insert({
        id: newId('ver'),
        userId,
        identifierId: null,
        purpose: 'sign_in_second_factor',
        strategy: 'ticket',
        codeHash: null,
        tokenHash: hash,
        attempts: 0,
        maxAttempts: PENDING_MAX_ATTEMPTS,
        expiresAt: new Date(now.getTime() + PENDING_TTL_MS),
        consumedAt: null,
        voidedAt: null,
        createdAt: now,
      });
      return token;
    },

    strategiesOf,

    /** What the second-factor page shows; `verification_missing` when the token is unknown, used or expired. */
    async describe(token: string): Promise<PendingSignIn> {
      const { user } = await load(token);
      const email = primaryEmail(user);
      return { userId: user.id, strategies: strategiesOf(user), emailHint: email ? maskEmail(email) : null };
    },

    /** Emails a 6-digit code to the primary address; only the newest code works. */
    async sendEmailCode(token: string): Promise<{ emailHint: string }> {
      const { user } = await load(token);
      const email = primaryEmail(user);
      if (!email) throw new DomainError('invalid_param', 'This account has no verified email address.', { param: 'strategy' });
      const r = await deps.limiter.hit(`signin:email:${user.id}`, EMAIL_CODE_LIMIT.perUser, EMAIL_CODE_LIMIT.windowMs);
      if (!r.allowed) throw new DomainError('rate_limited', 'Too many codes were sent; try again later.', { retryAfterSeconds: r.retryAfterSeconds });
      const now = clock.now();
      const id = newId('ver');
      const { code, stored } = freshCode(id, now);
      await store.transaction(async (tx) => {
        await tx.verifications.voidPending(user.id, 'sign_in_email_code', null, now);
        await tx.verifications.insert({
          id,
          userId: user.id,
          identifierId: user.primaryEmailAddressId,
          purpose: 'sign_in_email_code',
          strategy: 'email_code',
          tokenHash: null,
          ...stored,
        });
        await deps.outbox.enqueue(tx, {
          channel: 'email',
          to: email,
          template: 'verification_code',
          data: { otp_code: code, email_address: email, first_name: user.firstName ?? '', expires_in_minutes: CODE_TTL_MS / 60_000 },
          secrets: [code],
          userId: user.id,
          identifierId: user.primaryEmailAddressId,
        });
      });
      return { emailHint: maskEmail(email) };
    },

    /**
     * Checks the second factor and consumes the pending state: exactly one of concurrent
     * successes gets the user id. TOTP and backup codes go through the MFA service (its own
     * per-user throttle and single-use rules); email codes through the one-time code rules.
     */
    async verify(token: string, strategy: string, code: string): Promise<{ userId: string; strategy: SecondFactorStrategy }> {
      const { record, user } = await load(token);
      const offered = strategiesOf(user);
      if (!offered.includes(strategy as SecondFactorStrategy)) throw new DomainError('invalid_param', `strategy must be one of ${offered.join(', ')}.`, { param: 'strategy' });
      if (!(await store.verifications.reserveAttempt(record.id, clock.now()))) {
        throw new DomainError('verification_failed', 'Too many attempts. Please sign in again.', { param: 'pending' });
      }
      const trimmed = code.trim().slice(0, 64);
      if (strategy === 'email_code') await checkEmailCode(user.id, trimmed);
      // The MFA service tries the authenticator, then the backup codes: imported backup codes may look like TOTP codes.
      else await deps.mfa.verify(user.id, trimmed);
      if (!(await store.verifications.consume(record.id, clock.now()))) throw missing();
      return { userId: user.id, strategy: strategy as SecondFactorStrategy };
    },
  };
}

export type SecondFactor = ReturnType<typeof createSecondFactor>;
