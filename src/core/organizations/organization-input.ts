import { randomInt } from 'node:crypto';
import { DomainError } from '../errors.ts';
import { checkText } from '../users/user-input.ts';

export const SLUG_MAX_LENGTH = 64;
const SLUG = /^[a-z0-9-]+$/;
const SUFFIX_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
/** Postgres `integer`, the column's type. */
const MAX_MEMBERSHIPS_LIMIT = 2_147_483_647;

/** The role a creator gets, and the permission that makes a member an administrator. */
export const CREATOR_ROLE = 'org:admin';
export const MANAGE_MEMBERSHIPS = 'org:sys_memberships:manage';

/** Checks a given slug: lowercase letters, digits and dashes, as Clerk allows. */
export function checkSlug(slug: string): string {
  if (slug.length === 0 || slug.length > SLUG_MAX_LENGTH || !SLUG.test(slug)) {
    throw new DomainError('organization_slug_invalid', `Slugs are 1 to ${SLUG_MAX_LENGTH} lowercase letters, digits or dashes.`, { param: 'slug' });
  }
  return slug;
}

/**
 * Derives a slug from a name: accents dropped, anything else than a letter or digit becomes a
 * dash. A name with nothing usable (only emoji, say) gives `org`.
 * @example slugFromName('Ünïcode & Co.') // 'unicode-co'
 */
export function slugFromName(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    // Leaves room for a suffix when the plain slug is taken.
    .slice(0, SLUG_MAX_LENGTH - 7)
    .replace(/-+$/, '');
  return slug || 'org';
}

/** The slug plus a random suffix, for when the slug derived from a name is taken. */
export function withRandomSuffix(slug: string): string {
  let suffix = '';
  for (let i = 0; i < 6; i++) suffix += SUFFIX_ALPHABET[randomInt(SUFFIX_ALPHABET.length)];
  return `${slug}-${suffix}`;
}

export function checkName(name: string | null | undefined): string | undefined {
  if (name === undefined || name === null) return undefined;
  const checked = checkText(name.trim(), 'name');
  if (!checked) throw new DomainError('invalid_param', 'name must not be blank.', { param: 'name' });
  return checked;
}

export function checkMaxMemberships(value: number | null | undefined): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Number.isInteger(value) || value < 0 || value > MAX_MEMBERSHIPS_LIMIT) {
    throw new DomainError('invalid_param', 'max_allowed_memberships must be a whole number, 0 for no limit.', { param: 'max_allowed_memberships' });
  }
  return value;
}
