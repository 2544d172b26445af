import { DomainError } from '../errors.ts';
import type { InvitationState, InvitationStatus } from './invitation-store.ts';

export const DEFAULT_EXPIRY_DAYS = 30;
const MAX_EXPIRY_DAYS = 365;
const DAY_MS = 24 * 60 * 60_000;

/** `expires_in_days`: a whole number of days, 1 to 365; Clerk's default is 30. */
export function expiryFrom(now: Date, days: number | null | undefined): Date {
  const d = days ?? DEFAULT_EXPIRY_DAYS;
  if (!Number.isInteger(d) || d < 1 || d > MAX_EXPIRY_DAYS) {
    throw new DomainError('invalid_param', `expires_in_days must be a whole number from 1 to ${MAX_EXPIRY_DAYS}.`, { param: 'expires_in_days' });
  }
  return new Date(now.getTime() + d * DAY_MS);
}

/** What a reader sees: pending past its expiry reads as expired. */
export function stateOf(i: { status: InvitationStatus; expiresAt: Date }, now: Date): InvitationState {
  return i.status === 'pending' && i.expiresAt <= now ? 'expired' : i.status;
}

/**
 * Why a link no longer works, for whoever follows it: unknown tokens and expired links as the
 * other one-time links say, used or revoked invitations by name.
 */
export function checkRedeemable(i: { status: InvitationStatus; expiresAt: Date } | null, now: Date): void {
  if (!i) throw new DomainError('verification_missing', 'This invitation link is not valid.', { param: 'token' });
  if (i.status === 'accepted') throw new DomainError('invitation_already_accepted', 'This invitation was already accepted.', { param: 'token' });
  if (i.status === 'revoked') throw new DomainError('invitation_already_revoked', 'This invitation was revoked.', { param: 'token' });
  if (i.expiresAt <= now) throw new DomainError('verification_expired', 'This invitation has expired; ask for a new one.', { param: 'token' });
}

/** Refuses to revoke what is no longer pending (an expired invitation may still be revoked). */
export function checkRevocable(i: { status: InvitationStatus }): void {
  if (i.status === 'accepted') throw new DomainError('invitation_already_accepted', 'This invitation was already accepted and cannot be revoked.', { param: 'invitation_id' });
  if (i.status === 'revoked') throw new DomainError('invitation_already_revoked', 'This invitation was already revoked.', { param: 'invitation_id' });
}

/** Tokens are 43 base64url characters; anything much longer is not one and is not looked up. */
export const MAX_TOKEN_LENGTH = 128;
