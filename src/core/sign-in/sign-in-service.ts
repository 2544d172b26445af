import type { Clock } from '../clock.ts';
import { lockedError, type LockoutPolicy, type StoredPassword } from '../credentials/lockout.ts';
import { NATIVE_HASHER, type PasswordHasher } from '../credentials/password-hasher.ts';
import { normalizePassword } from '../credentials/password-policy.ts';
import { DomainError, isDomainError } from '../errors.ts';
import { randomToken } from '../ids.ts';
import type { RateLimiter } from '../rate-limit.ts';
import type { Store } from '../store.ts';
import type { User } from '../users/types.ts';
import type { UserService } from '../users/user-service.ts';
import { findAccount, signInLookup } from './find-account.ts';
import { createSecondFactor, type SecondFactorDeps, type SecondFactorStrategy } from './second-factor.ts';

/** Password attempts allowed per client address and per identifier in a window. */
export interface SignInLimits {
  perIp: number;
  perIdentifier: number;
  windowMs: number;
}

export const SIGN_IN_LIMITS: SignInLimits = { perIp: 100, perIdentifier: 20, windowMs: 15 * 60_000 };

export type SignInResult =
  /**
   * `clearFailures`: the password was right but the lockout count is still raised; the session
   * opened for this result clears it (`CreateSessionInput.clearFailures`) in its own statement.
   */
  | { status: 'complete'; userId: string; clearFailures: true }
  | { status: 'needs_second_factor'; userId: string; pendingToken: string; strategies: SecondFactorStrategy[] };

export interface SignInDeps extends SecondFactorDeps {
  store: Store;
  clock: Clock;
  hasher: PasswordHasher;
  users: Pick<UserService, 'verifyPassword'>;
  limiter: RateLimiter;
  lockout: LockoutPolicy;
  limits?: Partial<SignInLimits>;
}

/** The one answer for every credential failure, so a form cannot tell which part was wrong. */
export function signInFailed(): DomainError {
  return new DomainError('authentication_invalid', 'The identifier or password is incorrect.', { param: 'identifier' });
}

/**
 * Identifier + password sign-in, with no account enumeration:
 * - an unknown identifier, a user without a password and a banned user all cost one password
 *   hash and get `authentication_invalid`, exactly as a wrong password does;
 * - lockout is the credentials rule (`users.verifyPassword`): `user_locked` with the time left,
 *   as Clerk answers. An unknown identifier "locks" the same way after as many tries (counted in
 *   the rate limiter), so the lockout message does not reveal that an account exists either;
 * - rate limits per client address and per identifier run before any work (`rate_limited`).
 * A user with TOTP or backup codes gets a pending second step instead of a session.
 */
export function createSignInService(deps: SignInDeps) {
  const { store, clock, hasher, limiter, lockout } = deps;
  const limits = { ...SIGN_IN_LIMITS, ...deps.limits };
  const secondFactor = createSecondFactor(deps);
  // What an unknown identifier's password is checked against, so it costs what a real check costs.
  let dummyDigest: Promise<string> | undefined;
  const burnOneHash = async (password: string) => {
    dummyDigest ??= hasher.hash(randomToken(24));
    await hasher.verify(normalizePassword(password), await dummyDigest, NATIVE_HASHER);
  };

  async function limit(key: string, max: number) {
    const r = await limiter.hit(key, max, limits.windowMs);
    if (!r.allowed) throw new DomainError('rate_limited', 'Too many sign-in attempts; try again later.', { retryAfterSeconds: r.retryAfterSeconds });
  }

  /** The password check of a found account (its attempt already reserved when `reserved` is given), then what follows. */
  async function finish(user: User, password: string, reserved?: StoredPassword): Promise<SignInResult> {
    try {
      await deps.users.verifyPassword(user.id, password, { deferSuccess: true, reserved });
    } catch (e) {
      if (isDomainError(e) && ['password_incorrect', 'password_not_set', 'user_not_found'].includes(e.code)) throw signInFailed();
      throw e;
    }
    // Only a session about to open clears the count in its own statement; every other outcome
    // of a right password clears it here.
    if (user.banned || user.totpEnabled || user.backupCodeEnabled) await store.lockout.recordSuccess(user.id);
    if (user.banned) throw signInFailed();
    if (user.totpEnabled || user.backupCodeEnabled) {
      return { status: 'needs_second_factor', userId: user.id, pendingToken: await secondFactor.open(user.id), strategies: secondFactor.strategiesOf(user) };
    }
    return { status: 'complete', userId: user.id, clearFailures: true };
  }

  return {
    limits,

    async attempt(identifier: string, password: string, ip: string): Promise<SignInResult> {
      const key = identifier.trim().toLowerCase().slice(0, 320);
      await limit(`signin:ip:${ip}`, limits.perIp);
      await limit(`signin:id:${key}`, limits.perIdentifier);
      // The usual case is one statement: find the account and reserve the attempt together. Only
      // when that reserves nothing (unknown, locked, no password) is the account looked up apart.
      const lookup = signInLookup(identifier);
      const fast = lookup ? await store.lockout.reserveForSignIn(lookup, clock.now(), lockout) : null;
      if (fast) return finish(fast.user, password, fast.password);
      const user = await findAccount(store, identifier);
      if (!user || !user.passwordEnabled) {
        const ghost = await limiter.hit(`signin:ghost:${key}`, lockout.threshold, lockout.durationMs);
        if (!ghost.allowed) throw lockedError(new Date(clock.now().getTime() + ghost.retryAfterSeconds * 1000), clock.now());
        await burnOneHash(password);
        throw signInFailed();
      }
      return finish(user, password);
    },

    /** Second-factor tries count against the client address's budget too. */
    async verifySecondFactor(token: string, strategy: string, code: string, ip: string) {
      await limit(`signin:ip:${ip}`, limits.perIp);
      return secondFactor.verify(token, strategy, code);
    },

    describePending: secondFactor.describe,
    sendEmailCode: secondFactor.sendEmailCode,
  };
}

export type SignInService = ReturnType<typeof createSignInService>;
