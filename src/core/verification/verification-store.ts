import type { OneTimeState } from './one-time.ts';

/** `sign_in_second_factor`: a sign-in waiting for its second factor; `sign_in_email_code`: the emailed code for it. */
export type VerificationPurpose = 'verify_identifier' | 'reset_password' | 'reset_ticket' | 'sign_in_second_factor' | 'sign_in_email_code';
export type VerificationStrategy = 'email_code' | 'phone_code' | 'email_link' | 'reset_password_email_code' | 'reset_password_phone_code' | 'ticket';

export interface VerificationRecord extends OneTimeState {
  id: string;
  userId: string;
  identifierId: string | null;
  purpose: VerificationPurpose;
  strategy: VerificationStrategy;
  /** SHA-256 of `id:code`; the code itself is never stored. */
  codeHash: string | null;
  /** SHA-256 of a link or ticket token. */
  tokenHash: string | null;
}

/** Storage for one-time codes, links and tickets. Attempts and consumption are atomic. */
export interface VerificationStore {
  insert(v: VerificationRecord): Promise<void>;
  /** Voids the user's pending verifications for a purpose (and identifier), so only the newest works. */
  voidPending(userId: string, purpose: VerificationPurpose, identifierId: string | null, now: Date): Promise<void>;
  latestPending(userId: string, purpose: VerificationPurpose, identifierId: string | null): Promise<VerificationRecord | null>;
  /** Counts an attempt if one is left and the verification is live; returns it, else null. */
  reserveAttempt(id: string, now: Date): Promise<VerificationRecord | null>;
  /** Marks it used; true for exactly one caller however many race. */
  consume(id: string, now: Date): Promise<boolean>;
  findByTokenHash(tokenHash: string): Promise<VerificationRecord | null>;
}
