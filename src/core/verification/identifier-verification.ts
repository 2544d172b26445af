import type { Clock } from '../clock.ts';
import type { Outbox } from '../delivery/outbox.ts';
import { DomainError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { Store } from '../store.ts';
import type { Identifier } from '../users/types.ts';
import { CODE_MAX_ATTEMPTS, CODE_TTL_MS, codeMatches, hashCode, hashToken, LINK_TTL_MS, newCode, newToken } from './one-time.ts';

export interface IdentifierVerificationDeps {
  store: Store;
  clock: Clock;
  outbox: Outbox;
  /** Where verification links land, e.g. `${publicUrl}/verify`. */
  linkBase: () => string;
}

function codeWrong(): DomainError {
  return new DomainError('verification_code_incorrect', 'Incorrect code.', { param: 'code' });
}

/**
 * Proves that a user controls an email address or phone number, with a one-time code or link.
 * A newer request voids older ones; codes are single use with at most five attempts.
 */
export function createIdentifierVerification(deps: IdentifierVerificationDeps) {
  const { store, clock, outbox } = deps;

  async function markVerified(tx: Store, ident: Identifier, strategy: string, attempts: number, expiresAt: Date) {
    const now = clock.now();
    await tx.users.updateIdentifier(ident.id, { verified: true, verificationStrategy: strategy, verificationAttempts: attempts, verificationExpiresAt: expiresAt, updatedAt: now });
    await tx.users.update(ident.userId, { updatedAt: now });
    await tx.events.record({ type: 'user.identifier.verified', subjectId: ident.userId, payload: { identifier_id: ident.id, strategy }, at: now });
  }

  return {
    /** Sends a code (email or SMS) or a link (email) to the identifier. */
    async prepare(identifierId: string, strategy: 'email_code' | 'phone_code' | 'email_link'): Promise<{ verificationId: string; expiresAt: Date }> {
      const ident = await store.users.findIdentifier(identifierId);
      if (!ident || ident.type === 'web3_wallet') throw new DomainError('identifier_not_found', `No identifier ${identifierId}.`, { param: 'identifier_id' });
      if ((strategy === 'phone_code') !== (ident.type === 'phone_number')) {
        throw new DomainError('invalid_param', `${strategy} does not apply to a ${ident.type}.`, { param: 'strategy' });
      }
      const now = clock.now();
      const id = newId('ver');
      const link = strategy === 'email_link' ? newToken() : null;
      const code = link ? null : newCode();
      const expiresAt = new Date(now.getTime() + (link ? LINK_TTL_MS : CODE_TTL_MS));
      await store.transaction(async (tx) => {
        await tx.verifications.voidPending(ident.userId, 'verify_identifier', ident.id, now);
        await tx.verifications.insert({
          id,
          userId: ident.userId,
          identifierId: ident.id,
          purpose: 'verify_identifier',
          strategy,
          codeHash: code ? hashCode(id, code) : null,
          tokenHash: link?.hash ?? null,
          attempts: 0,
          maxAttempts: CODE_MAX_ATTEMPTS,
          expiresAt,
          consumedAt: null,
          voidedAt: null,
          createdAt: now,
        });
        if (!ident.verified) {
          await tx.users.updateIdentifier(ident.id, { verificationStrategy: strategy, verificationAttempts: 0, verificationExpiresAt: expiresAt, updatedAt: now });
        }
        const actionUrl = link ? `${deps.linkBase()}?token=${link.token}` : undefined;
        await outbox.enqueue(tx, {
          channel: ident.type === 'phone_number' ? 'sms' : 'email',
          to: ident.value,
          template: link ? 'verification_link' : 'verification_code',
          data: link ? { action_url: actionUrl, expires_in_minutes: LINK_TTL_MS / 60_000 } : { otp_code: code, expires_in_minutes: CODE_TTL_MS / 60_000 },
          secrets: [code ?? link!.token],
          userId: ident.userId,
          identifierId: ident.id,
        });
      });
      return { verificationId: id, expiresAt };
    },

    /** Checks a code for an identifier; on success the identifier is verified. */
    async attempt(identifierId: string, code: string): Promise<Identifier> {
      const ident = await store.users.findIdentifier(identifierId);
      if (!ident) throw new DomainError('identifier_not_found', `No identifier ${identifierId}.`, { param: 'identifier_id' });
      const pending = await store.verifications.latestPending(ident.userId, 'verify_identifier', ident.id);
      if (!pending || !pending.codeHash) throw new DomainError('verification_missing', 'No code was sent, or it was already used.', { param: 'code' });
      const now = clock.now();
      if (pending.expiresAt <= now) throw new DomainError('verification_expired', 'This code has expired; request a new one.', { param: 'code' });
      const reserved = await store.verifications.reserveAttempt(pending.id, now);
      if (!reserved) throw new DomainError('verification_failed', 'Too many attempts; request a new code.', { param: 'code' });
      await store.users.updateIdentifier(ident.id, { verificationAttempts: reserved.attempts, updatedAt: now });
      if (!codeMatches(pending.id, reserved.codeHash as string, code)) throw codeWrong();
      return store.transaction(async (tx) => {
        if (!(await tx.verifications.consume(pending.id, now))) throw new DomainError('verification_missing', 'This code was already used.', { param: 'code' });
        await markVerified(tx, ident, pending.strategy, reserved.attempts, pending.expiresAt);
        return (await tx.users.findIdentifier(ident.id)) as Identifier;
      });
    },

    /** Redeems a verification link's token. */
    async redeemLink(token: string): Promise<Identifier> {
      const found = token.length <= 128 ? await store.verifications.findByTokenHash(hashToken(token)) : null;
      const now = clock.now();
      if (!found || found.purpose !== 'verify_identifier' || !found.identifierId || found.voidedAt || found.consumedAt) {
        throw new DomainError('verification_missing', 'This link is not valid, or was already used.', { param: 'token' });
      }
      if (found.expiresAt <= now) throw new DomainError('verification_expired', 'This link has expired; request a new one.', { param: 'token' });
      const ident = await store.users.findIdentifier(found.identifierId);
      if (!ident) throw new DomainError('identifier_not_found', 'The address no longer exists.', { param: 'token' });
      return store.transaction(async (tx) => {
        if (!(await tx.verifications.consume(found.id, now))) throw new DomainError('verification_missing', 'This link was already used.', { param: 'token' });
        await markVerified(tx, ident, 'email_link', 1, found.expiresAt);
        return (await tx.users.findIdentifier(ident.id)) as Identifier;
      });
    },
  };
}

export type IdentifierVerification = ReturnType<typeof createIdentifierVerification>;
