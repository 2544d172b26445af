import type { Clock } from '../clock.ts';
import { DomainError } from '../errors.ts';
import type { Store } from '../store.ts';
import type { User } from '../users/types.ts';

/** How many wrong passwords lock a user, and for how long. */
export interface LockoutPolicy {
  /** Consecutive failures that lock the user (Clerk's default: 10). */
  threshold: number;
  /** How long a lock lasts (default one hour). */
  durationMs: number;
  /** Failures allowed in any hour, whatever the other settings (NIST: at most 100). */
  hourlyMax: number;
}

export const DEFAULT_LOCKOUT: LockoutPolicy = { threshold: 10, durationMs: 60 * 60 * 1000, hourlyMax: 100 };

/** A stored password digest and the hasher that made it. */
export interface StoredPassword {
  digest: string;
  hasher: string;
}

export type AttemptReservation =
  | { status: 'reserved'; password: StoredPassword }
  | { status: 'locked'; lockedUntil: Date | null }
  | { status: 'missing' }
  | { status: 'no_password' };

/** How a sign-in's fast path names its account: a verified email address, or a username. */
export type SignInLookup = { type: 'email_address'; normalized: string } | { type: 'username'; lowered: string };

/** Storage for the failure counters; each call is one atomic statement. */
export interface LockoutStore {
  /**
   * Counts an attempt before the password is checked, and refuses when the user is locked or the
   * count has reached the threshold. Because the check and the count are one row update, N
   * parallel attempts run at most `threshold` password checks. The same update returns the stored
   * digest, so a sign-in reads it in no extra round trip; a user without a password is not counted.
   */
  reserveAttempt(userId: string, now: Date, policy: LockoutPolicy): Promise<AttemptReservation>;
  /**
   * A sign-in's first statement: finds the account `lookup` names and reserves an attempt on it
   * as `reserveAttempt` does, returning the user and the digest. Null when nothing was reserved
   * (no such account, locked, no password): the caller then takes the slower path, which tells
   * these apart.
   */
  reserveForSignIn(lookup: SignInLookup, now: Date, policy: LockoutPolicy): Promise<{ user: User; password: StoredPassword } | null>;
  /**
   * A correct password clears the consecutive count. A password sign-in that opens a session
   * clears it in the session's own statement instead (`SessionStore.openSession`'s `clearFailures`).
   */
  recordSuccess(userId: string): Promise<void>;
  /** A wrong password keeps its count; reaching the threshold or hourly cap sets the lock. Returns the lock's end, if any. */
  recordFailure(userId: string, now: Date, policy: LockoutPolicy): Promise<Date | null>;
  /** Admin lock and unlock. */
  setLock(userId: string, until: Date | null): Promise<boolean>;
}

export function lockedError(lockedUntil: Date | null, now: Date): DomainError {
  const seconds = lockedUntil ? Math.max(1, Math.ceil((lockedUntil.getTime() - now.getTime()) / 1000)) : undefined;
  return new DomainError('user_locked', 'This account is locked after too many failed attempts.', {
    param: 'password',
    ...(seconds ? { retryAfterSeconds: seconds, lockout_expires_in_seconds: seconds } : {}),
  });
}

/**
 * Runs a password check under the lockout rules. `check` only runs when an attempt could be
 * reserved, so a locked account costs no hashing. With `deferSuccess`, a correct password leaves
 * the count for the caller to clear (a sign-in does it in the statement that opens the session,
 * one round trip fewer); a wrong one is always recorded here. Should the caller fail before it
 * clears the count (a database error, a crash), the attempt stays counted as one failure.
 */
export async function guardedPasswordCheck(
  deps: { store: Store; clock: Clock; policy: LockoutPolicy },
  userId: string,
  check: (stored: StoredPassword) => Promise<boolean>,
  options: { deferSuccess?: boolean } = {},
): Promise<boolean | 'missing' | 'no_password'> {
  const { store, clock, policy } = deps;
  const reservation = await store.lockout.reserveAttempt(userId, clock.now(), policy);
  if (reservation.status === 'missing' || reservation.status === 'no_password') return reservation.status;
  if (reservation.status === 'locked') throw lockedError(reservation.lockedUntil, clock.now());
  return checkReserved(deps, userId, reservation.password, check, options);
}

/** The check of an attempt already reserved (by `reserveAttempt` or `reserveForSignIn`), and its record. */
export async function checkReserved(
  deps: { store: Store; clock: Clock; policy: LockoutPolicy },
  userId: string,
  stored: StoredPassword,
  check: (stored: StoredPassword) => Promise<boolean>,
  options: { deferSuccess?: boolean } = {},
): Promise<boolean> {
  const { store, clock, policy } = deps;
  let ok = false;
  try {
    ok = await check(stored);
  } finally {
    if (ok) {
      if (!options.deferSuccess) await store.lockout.recordSuccess(userId);
    } else await store.lockout.recordFailure(userId, clock.now(), policy);
  }
  return ok;
}
