import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { DomainError } from '../errors.ts';
import type { IdentifierType } from './types.ts';

// RFC 5322's dot-atom form, ASCII only, as the Clerk contract's `email` format checks it, with a
// top-level label of two or more characters.
// Deliverability is proven by verification, not syntax.
const EMAIL = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])$/i;
const WEB3 = /^0x[0-9a-fA-F]{40}$/;

export interface NormalizedIdentifier {
  type: IdentifierType;
  /** What is shown back to clients. */
  value: string;
  /** What uniqueness and look-ups compare. */
  normalized: string;
}

/** Validates an email address; emails compare case-insensitively. */
export function normalizeEmail(input: string, param = 'email_address'): NormalizedIdentifier {
  const value = input.trim();
  if (value.length > 254 || !EMAIL.test(value)) {
    throw new DomainError('invalid_email', `${JSON.stringify(input.slice(0, 100))} is not a valid email address.`, { param });
  }
  return { type: 'email_address', value, normalized: value.toLowerCase() };
}

/** Validates a phone number and rewrites it to E.164; numbers must carry their country code. */
export function normalizePhone(input: string, param = 'phone_number'): NormalizedIdentifier {
  const trimmed = input.trim();
  const parsed = trimmed.length <= 40 ? parsePhoneNumberFromString(trimmed.startsWith('+') ? trimmed : `+${trimmed}`) : undefined;
  if (!parsed || !parsed.isValid()) {
    throw new DomainError('invalid_phone', `${JSON.stringify(input.slice(0, 40))} is not a valid phone number in E.164 format.`, { param });
  }
  const e164 = parsed.format('E.164');
  return { type: 'phone_number', value: e164, normalized: e164 };
}

export function normalizeWeb3Wallet(input: string, param = 'web3_wallet'): NormalizedIdentifier {
  const value = input.trim();
  if (!WEB3.test(value)) {
    throw new DomainError('invalid_web3_wallet', `${JSON.stringify(input.slice(0, 60))} is not a valid web3 wallet address.`, { param });
  }
  return { type: 'web3_wallet', value, normalized: value.toLowerCase() };
}

/** The normalised form used to look an identifier up, or null if it could never match. */
export function lookupForm(type: IdentifierType, input: string): string | null {
  try {
    if (type === 'email_address') return normalizeEmail(input).normalized;
    if (type === 'phone_number') return normalizePhone(input).normalized;
    return normalizeWeb3Wallet(input).normalized;
  } catch {
    return null;
  }
}
