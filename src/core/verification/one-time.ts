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
