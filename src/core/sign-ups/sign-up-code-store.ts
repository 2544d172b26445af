import type { OneTimeState } from '../verification/one-time.ts';
import type { SignUp } from './sign-up-service.ts';

/** One emailed sign-up code; only `SHA-256(id:code)` is stored. */
export interface SignUpCode extends OneTimeState {
  id: string;
  signUpId: string;
  codeHash: string;
}

/** A sign-up as the hosted flow needs it: with the password digest it will give the user. */
export interface BrowserSignUp extends SignUp {
  passwordDigest: string | null;
  passwordHasher: string | null;
  completedAt: Date | null;
}

/**
 * Storage for the hosted sign-up's browser binding and codes. Attempts, consumption and
 * completion are conditional updates, so racing requests cannot both succeed.
 */
export interface SignUpCodeStore {
  /** Ties a sign-up to the browser holding the token whose SHA-256 this is. */
  bindBrowser(signUpId: string, tokenHash: string): Promise<void>;
  findByBrowserToken(tokenHash: string): Promise<BrowserSignUp | null>;
  insertCode(code: SignUpCode): Promise<void>;
  /** Voids the sign-up's live codes, so only the newest one works. */
  voidCodes(signUpId: string, now: Date): Promise<void>;
  /** The newest code neither used nor voided. */
  latestCode(signUpId: string): Promise<SignUpCode | null>;
  /** Codes ever issued for the sign-up, and when the last one was. */
  codeStats(signUpId: string): Promise<{ count: number; lastAt: Date | null }>;
  /** Counts an attempt if one is left and the code is live; returns it, else null. */
  reserveAttempt(id: string, now: Date): Promise<SignUpCode | null>;
  /** Marks the code used; true for exactly one caller. */
  consumeCode(id: string, now: Date): Promise<boolean>;
  /** Records the user the sign-up became; true for exactly one caller. */
  complete(signUpId: string, userId: string, verifiedFields: string[], now: Date): Promise<boolean>;
}
