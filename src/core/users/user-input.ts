import { DomainError } from '../errors.ts';
import { metadataTooLarge } from './metadata.ts';
import type { Metadata } from './types.ts';

const USERNAME = /^[A-Za-z0-9_.-]{3,64}$/;
const MAX_TEXT = 256;

/** Checks a username; usernames compare case-insensitively and keep the case they were given. */
export function checkUsername(username: string | null | undefined): string | null | undefined {
  if (username === undefined || username === null) return username;
  if (!USERNAME.test(username)) {
    throw new DomainError('invalid_param', 'Usernames are 3 to 64 letters, digits, dots, dashes or underscores.', { param: 'username' });
  }
  return username;
}

/** Bounds free-text fields such as names and external ids. */
export function checkText(value: string | null | undefined, param: string, max = MAX_TEXT): string | null | undefined {
  if (value === undefined || value === null) return value;
  if (value.length > max) throw new DomainError('invalid_param', `${param} must be at most ${max} characters.`, { param });
  if (value.includes('\u0000')) throw new DomainError('invalid_param', `${param} must not contain NUL characters.`, { param });
  if (value.trim() === '') return null;
  return value;
}

export function checkMetadata(value: Metadata | undefined, param: string): Metadata | undefined {
  // PostgreSQL's jsonb cannot hold NUL characters, in keys or values.
  if (value !== undefined && JSON.stringify(value).includes('\\u0000')) {
    throw new DomainError('invalid_param', `${param} must not contain NUL characters.`, { param });
  }
  if (value !== undefined && metadataTooLarge(value)) {
    throw new DomainError('invalid_param', `${param} must be at most 8 KB once serialised.`, { param });
  }
  return value;
}

/** Parses an RFC 3339 date such as `2012-10-20T07:15:20.902Z`. */
export function parseTimestamp(value: string | undefined, param: string): Date | undefined {
  if (value === undefined) return undefined;
  const d = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(value) || Number.isNaN(d.getTime()) || d.getFullYear() < 1970 || d.getFullYear() > 9999) {
    throw new DomainError('invalid_param', `${param} must be an RFC 3339 date-time.`, { param });
  }
  return d;
}
