import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import { randomToken } from '../ids.ts';

/** Security baseline: 6 digits, at most 10 minutes, at most 5 attempts. */
export const CODE_TTL_MS = 10 * 60_000;
export const CODE_MAX_ATTEMPTS = 5;
export const LINK_TTL_MS = 60 * 60_000;
/** A redeemed reset code becomes a ticket for setting the new password. */
export const TICKET_TTL_MS = 15 * 60_000;

export function newCode(): string {
  return String(randomInt(0, 1_000_000)).padStart(6, '0');
}

/** Codes are hashed with their verification id, so equal codes never share a hash. */
export function hashCode(verificationId: string, code: string): string {
  return createHash('sha256').update(`${verificationId}:${code}`).digest('hex');
}

/** The life of a stored one-time secret: tries used and allowed, expiry, use and voiding. */
export interface OneTimeState {
  attempts: number;
  maxAttempts: number;
  expiresAt: Date;
  consumedAt: Date | null;
  voidedAt: Date | null;
  createdAt: Date;
}

/**
 * A new code and what is stored for it under the baseline: its hash, no attempts used out of
 * CODE_MAX_ATTEMPTS, CODE_TTL_MS to live. The code itself goes only into the message.
 */
export function freshCode(id: string, now: Date): { code: string; stored: OneTimeState & { codeHash: string } } {
  const code = newCode();
  const stored = { codeHash: hashCode(id, code), attempts: 0, maxAttempts: CODE_MAX_ATTEMPTS, expiresAt: new Date(now.getTime() + CODE_TTL_MS), consumedAt: null, voidedAt: null, createdAt: now };
  return { code, stored };
}

/** Whether `code` (six digits) is the one stored as `codeHash` for the row `id`; constant-time. */
export function codeMatches(id: string, codeHash: string, code: string): boolean {
  return /^\d{6}$/.test(code) && sameHash(codeHash, hashCode(id, code));
}

/** A link or ticket token: 256 bits, url-safe; only its hash is stored. */
export function newToken(): { token: string; hash: string } {
  const token = randomToken(32);
  return { token, hash: hashToken(token) };
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}
