import type { Clock } from '../clock.ts';
import type { BreachedPasswords } from '../credentials/breached-passwords.ts';
import { NATIVE_HASHER, type PasswordHasher } from '../credentials/password-hasher.ts';
import { checkPassword } from '../credentials/password-policy.ts';
import type { Outbox } from '../delivery/outbox.ts';
import { DomainError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { SignUpRestrictions } from '../instance/access-lists.ts';
import type { RateLimiter } from '../rate-limit.ts';
import type { Store } from '../store.ts';
import type { CreateUserHooks, CreateUserInput } from '../users/create-user.ts';
import { firstUser } from '../users/find-by-identifier.ts';
import { normalizeEmail } from '../users/identifiers.ts';
import type { User } from '../users/types.ts';
import { CODE_TTL_MS, codeMatches, freshCode, hashToken, newToken } from '../verification/one-time.ts';
import type { BrowserSignUp } from './sign-up-code-store.ts';
import { SIGN_UP_LIFETIME_MS, signUpStatus } from './sign-up-service.ts';

/**
 * Rate limits of the hosted sign-up. Starts are counted per IP and per email address in a
 * window; codes per sign-up are capped, with a pause between resends.
 */
export const SIGN_UP_LIMITS = { perIp: 20, perIdentifier: 5, windowMs: 60 * 60_000, resendGapMs: 30_000, maxCodes: 5 };

export interface SignUpFlowDeps {
  store: Store;
  clock: Clock;
  outbox: Outbox;
  hasher: PasswordHasher;
  breached: BreachedPasswords;
  limiter: RateLimiter;
  restrictions: SignUpRestrictions;
  createUser: (input: CreateUserInput, hooks: CreateUserHooks) => Promise<User>;
  /**
   * Called instead of mailing a code when the address already has an account (the password
   * reset email: its owner most likely forgot the account). Its errors are swallowed, so the
   * answer stays the same as for a new address.
   */
  notifyExistingAccount: (emailAddress: string, ip: string) => Promise<void>;
}

const invalid = () => new DomainError('verification_missing', 'This sign-up is not valid any more; start again.', { param: 'code' });

async function limit(limiter: RateLimiter, key: string, max: number, windowMs: number): Promise<void> {
  const r = await limiter.hit(key, max, windowMs);
  if (!r.allowed) throw new DomainError('rate_limited', 'Too many sign-up attempts; try again later.', { retryAfterSeconds: r.retryAfterSeconds });
}

/**
 * The hosted sign-up: email and password, then a 6-digit code mailed to the address, then the
 * user. The pending registration is a `sign_ups` row tied to the browser by a cookie token (only
 * its SHA-256 stored), holding the argon2id digest so the password is hashed once, at the start.
 *
 * No enumeration: an address that already has an account goes through the same steps with the
 * same answers; its owner gets a password-reset email instead of a code, and the code stored for
 * that sign-up is never sent, so it cannot be completed.
 */
export function createSignUpFlow(deps: SignUpFlowDeps) {
  const { store, clock, outbox } = deps;

  async function accountExists(normalized: string): Promise<boolean> {
    return Boolean(await firstUser(store, { emailAddresses: [normalized] }));
  }

  /** Issues a new code (voiding older ones) and mails it unless the address has an account. */
  async function issueCode(tx: Store, signUpId: string, emailAddress: string, send: boolean): Promise<void> {
    const now = clock.now();
    const id = newId('suc');
    const { code, stored } = freshCode(id, now);
    await tx.signUpCodes.voidCodes(signUpId, now);
    await tx.signUpCodes.insertCode({ id, signUpId, ...stored });
    if (send) {
      await outbox.enqueue(tx, { channel: 'email', to: emailAddress, template: 'verification_code', data: { email_address: emailAddress, otp_code: code, expires_in_minutes: CODE_TTL_MS / 60_000 }, secrets: [code] });
    }
  }

  function notifyOwner(emailAddress: string, ip: string) {
    return deps.notifyExistingAccount(emailAddress, ip).catch(() => undefined);
  }

  async function findPending(browserToken: string): Promise<BrowserSignUp> {
    const found = browserToken && browserToken.length <= 128 ? await store.signUpCodes.findByBrowserToken(hashToken(browserToken)) : null;
    if (!found || !found.emailAddress || signUpStatus(found, clock.now()) !== 'missing_requirements') throw invalid();
    return found;
  }

  return {
    /**
     * Checks the address (format, instance restrictions) and the password (policy, breached
     * list), stores the pending sign-up and mails a code. Returns the token the browser keeps.
     * @example const { browserToken } = await flow.start({ emailAddress: 'ada@example.com', password: 'a long passphrase', ip })
     */
    async start(input: { emailAddress: string; password: string; ip: string }): Promise<{ browserToken: string; emailAddress: string }> {
      const email = normalizeEmail(input.emailAddress, 'email_address');
      await deps.restrictions.check([email]);
      const password = checkPassword(input.password, { emails: [email.value], username: null }, deps.breached);
      // Counted once the cheap checks pass, so retyping a refused password does not use up the
      // limits; what they bound is the costly part: hashing and mail.
      await limit(deps.limiter, `signup:ip:${input.ip}`, SIGN_UP_LIMITS.perIp, SIGN_UP_LIMITS.windowMs);
      await limit(deps.limiter, `signup:id:${email.normalized}`, SIGN_UP_LIMITS.perIdentifier, SIGN_UP_LIMITS.windowMs);
      // Hashed now, outside any transaction; the digest waits in the sign-up row for the user.
      const digest = await deps.hasher.hash(password);
      const exists = await accountExists(email.normalized);
      const browser = newToken();
      const now = clock.now();
      await store.transaction(async (tx) => {
        const id = newId('sua');
        await tx.signUps.insert({
          id,
          emailAddress: email.value,
          phoneNumber: null,
          web3Wallet: null,
          username: null,
          firstName: null,
          lastName: null,
          passwordEnabled: true,
          passwordDigest: digest,
          passwordHasher: NATIVE_HASHER,
          externalId: null,
          customAction: false,
          publicMetadata: {},
          unsafeMetadata: {},
          verifiedFields: [],
          createdUserId: null,
          abandonAt: new Date(now.getTime() + SIGN_UP_LIFETIME_MS),
          createdAt: now,
          updatedAt: now,
        });
        await tx.signUpCodes.bindBrowser(id, browser.hash);
        await issueCode(tx, id, email.value, !exists);
        await tx.events.record({ type: 'sign_up.created', subjectId: id, payload: {}, at: now });
      });
      if (exists) await notifyOwner(email.value, input.ip);
      return { browserToken: browser.token, emailAddress: email.value };
    },

    /**
     * Whether an address has an account. Only for callers that already hold proof of the
     * address (an emailed invitation link), so answering reveals nothing new.
     */
    async accountExists(emailAddress: string): Promise<boolean> {
      return accountExists(normalizeEmail(emailAddress).normalized);
    },

    /** A user's verified email addresses, lowercased; empty for an unknown user. */
    async verifiedEmails(userId: string): Promise<string[]> {
      const user = await store.users.findById(userId);
      return (user?.identifiers ?? []).filter((i) => i.type === 'email_address' && i.verified).map((i) => i.value.toLowerCase());
    },

    /** The pending sign-up a browser token stands for; `verification_missing` when there is none. */
    async pending(browserToken: string): Promise<{ id: string; emailAddress: string }> {
      const s = await findPending(browserToken);
      return { id: s.id, emailAddress: s.emailAddress as string };
    },

    /** Mails a new code (the old one stops working), at most every 30 s and 5 codes per sign-up. */
    async resend(browserToken: string, ip: string): Promise<void> {
      const s = await findPending(browserToken);
      await limit(deps.limiter, `signup:ip:${ip}`, SIGN_UP_LIMITS.perIp, SIGN_UP_LIMITS.windowMs);
      const { count, lastAt } = await store.signUpCodes.codeStats(s.id);
      const waitMs = lastAt ? lastAt.getTime() + SIGN_UP_LIMITS.resendGapMs - clock.now().getTime() : 0;
      if (waitMs > 0) throw new DomainError('rate_limited', 'A code was sent moments ago; wait before asking for another.', { retryAfterSeconds: Math.ceil(waitMs / 1000) });
      if (count >= SIGN_UP_LIMITS.maxCodes) {
        throw new DomainError('rate_limited', 'Too many codes for this sign-up; start again later.', { retryAfterSeconds: Math.ceil(SIGN_UP_LIMITS.windowMs / 1000) });
      }
      const email = s.emailAddress as string;
      const exists = await accountExists(normalizeEmail(email).normalized);
      await store.transaction((tx) => issueCode(tx, s.id, email, !exists));
      if (exists) await notifyOwner(email, ip);
    },

    /**
     * Checks the code (5 attempts, 10 minutes) and creates the user with the verified address and
     * the sign-up's password, consuming the code and completing the sign-up in the same
     * transaction: of two simultaneous verifications exactly one creates a user.
     */
    async verify(browserToken: string, code: string): Promise<User> {
      const s = await findPending(browserToken);
      const now = clock.now();
      const latest = await store.signUpCodes.latestCode(s.id);
      if (!latest) throw invalid();
      if (latest.expiresAt <= now) throw new DomainError('verification_expired', 'This code has expired; ask for a new one.', { param: 'code' });
      const reserved = await store.signUpCodes.reserveAttempt(latest.id, now);
      if (!reserved) throw new DomainError('verification_failed', 'Too many attempts; ask for a new code.', { param: 'code' });
      if (!codeMatches(latest.id, latest.codeHash, code)) {
        throw new DomainError('verification_code_incorrect', 'Incorrect code.', { param: 'code', attemptsLeft: reserved.maxAttempts - reserved.attempts });
      }
      return deps.createUser(
        {
          emailAddresses: [s.emailAddress as string],
          passwordDigest: s.passwordDigest ?? undefined,
          passwordHasher: s.passwordDigest ? (s.passwordHasher ?? NATIVE_HASHER) : undefined,
          externalId: s.externalId,
          username: s.username,
          firstName: s.firstName,
          lastName: s.lastName,
          publicMetadata: s.publicMetadata,
          unsafeMetadata: s.unsafeMetadata,
          verifiedBy: 'email_code',
        },
        {
          async withinTransaction(tx, user) {
            if (!(await tx.signUpCodes.consumeCode(latest.id, now))) throw invalid();
            if (!(await tx.signUpCodes.complete(s.id, user.id, ['email_address'], now))) throw invalid();
            await tx.events.record({ type: 'sign_up.completed', subjectId: s.id, payload: { user_id: user.id }, at: now });
          },
        },
      );
    },
  };
}

export type SignUpFlow = ReturnType<typeof createSignUpFlow>;
