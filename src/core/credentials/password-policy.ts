import { DomainError } from '../errors.ts';
import type { BreachedPasswords } from './breached-passwords.ts';

export const PASSWORD_MIN_LENGTH = 8;
/** Long enough for any passphrase (the baseline asks for at least 128), short enough to bound hashing work. */
export const PASSWORD_MAX_LENGTH = 1024;

/** Unicode-normalises a password so the same characters typed on different keyboards match. */
export function normalizePassword(password: string): string {
  return password.normalize('NFKC');
}

/** Names the user goes by, which a password must not contain. */
export interface PasswordContext {
  emails: string[];
  username: string | null;
}

/**
 * Applies the password policy of the security baseline and returns the normalised password.
 * Length is counted in code points, after normalisation.
 */
export function checkPassword(password: string, context: PasswordContext, breached: BreachedPasswords): string {
  const normalized = normalizePassword(password);
  const length = [...normalized].length;
  if (length < PASSWORD_MIN_LENGTH) {
    throw new DomainError('password_too_short', `Passwords must be ${PASSWORD_MIN_LENGTH} characters or more.`, { param: 'password', min: PASSWORD_MIN_LENGTH });
  }
  if (length > PASSWORD_MAX_LENGTH) {
    throw new DomainError('password_too_long', `Passwords must be at most ${PASSWORD_MAX_LENGTH} characters.`, { param: 'password', max: PASSWORD_MAX_LENGTH });
  }
  const lower = normalized.toLowerCase();
  const names = [...context.emails.map((e) => e.split('@')[0]), context.username ?? '']
    .map((n) => n.toLowerCase())
    .filter((n) => n.length >= 3);
  if (names.some((n) => lower.includes(n))) {
    throw new DomainError('password_contains_identifier', 'Passwords must not contain your email address or username.', { param: 'password' });
  }
  if (breached.has(normalized)) {
    throw new DomainError('password_pwned', 'This password has been found in a data breach or list of common passwords; choose another.', { param: 'password' });
  }
  return normalized;
}
