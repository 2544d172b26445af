import { type ExpressionBuilder, type SelectQueryBuilder, sql } from 'kysely';
import type { Identifier, IdentifierType, User, UserFilter } from '../core/users/types.ts';
import type { NewIdentifier, NewUser, UserPatch } from '../core/users/user-store.ts';
import type { Database } from './schema.ts';

interface IdentifierJson {
  id: string;
  type: IdentifierType;
  value: string;
  verified: boolean;
  verification_strategy: string | null;
  verification_attempts: number | null;
  verification_expires_at: string | null;
  created_at: string;
  updated_at: string;
}

/** The columns every user read selects: one round trip, identifiers folded in as JSON. */
export function userColumns(eb: ExpressionBuilder<Database, 'users'>) {
  return [
    'users.id', 'users.numeric_id', 'users.uuid', 'users.external_id', 'users.username', 'users.first_name',
    'users.last_name', 'users.display_name', 'users.language', 'users.is_admin', 'users.image_url', 'users.image_id',
    'users.public_metadata', 'users.private_metadata', 'users.unsafe_metadata', 'users.totp_enabled',
    'users.backup_code_enabled', 'users.banned', 'users.locked_until', 'users.primary_email_address_id',
    'users.primary_phone_number_id', 'users.primary_web3_wallet_id', 'users.last_sign_in_at', 'users.legal_accepted_at',
    'users.created_at', 'users.updated_at',
    eb('users.password_digest', 'is not', null).as('password_enabled'),
    sql<IdentifierJson[]>`coalesce((select json_agg(json_build_object('id', i.id, 'type', i.type, 'value', i.value,
      'verified', i.verified, 'verification_strategy', i.verification_strategy, 'verification_attempts', i.verification_attempts,
      'verification_expires_at', i.verification_expires_at, 'created_at', i.created_at,
      'updated_at', i.updated_at) order by i.seq) from identifiers i where i.user_id = users.id), '[]'::json)`.as('identifiers'),
  ] as const;
}

type Row = Record<string, any>;

function toIdentifier(userId: string, j: IdentifierJson): Identifier {
  return {
    id: j.id,
    userId,
    type: j.type,
    value: j.value,
    verified: j.verified,
    verificationStrategy: j.verification_strategy,
    verificationAttempts: j.verification_attempts,
    verificationExpiresAt: j.verification_expires_at ? new Date(j.verification_expires_at) : null,
    createdAt: new Date(j.created_at),
    updatedAt: new Date(j.updated_at),
  };
}

const asJson = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v) as Record<string, unknown>;

export function toUser(r: Row): User {
  return {
    id: r.id,
    numericId: Number(r.numeric_id),
    uuid: r.uuid,
    externalId: r.external_id,
    username: r.username,
    firstName: r.first_name,
    lastName: r.last_name,
    displayName: r.display_name,
    language: r.language,
    isAdmin: r.is_admin,
    imageUrl: r.image_url,
    imageId: r.image_id,
    publicMetadata: asJson(r.public_metadata),
    privateMetadata: asJson(r.private_metadata),
    unsafeMetadata: asJson(r.unsafe_metadata),
    passwordEnabled: r.password_enabled,
    totpEnabled: r.totp_enabled,
    backupCodeEnabled: r.backup_code_enabled,
    banned: r.banned,
    lockedUntil: r.locked_until,
    primaryEmailAddressId: r.primary_email_address_id,
    primaryPhoneNumberId: r.primary_phone_number_id,
    primaryWeb3WalletId: r.primary_web3_wallet_id,
    identifiers: (typeof r.identifiers === 'string' ? JSON.parse(r.identifiers) : r.identifiers).map((j: IdentifierJson) => toIdentifier(r.id, j)),
    lastSignInAt: r.last_sign_in_at,
    legalAcceptedAt: r.legal_accepted_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

const PATCH_COLUMNS: Record<keyof UserPatch, string> = {
  externalId: 'external_id',
  username: 'username',
  firstName: 'first_name',
  lastName: 'last_name',
  displayName: 'display_name',
  language: 'language',
  isAdmin: 'is_admin',
  imageUrl: 'image_url',
  imageId: 'image_id',
  publicMetadata: 'public_metadata',
  privateMetadata: 'private_metadata',
  unsafeMetadata: 'unsafe_metadata',
  passwordDigest: 'password_digest',
  passwordHasher: 'password_hasher',
  passwordCompromisedAt: 'password_compromised_at',
  passwordMustChange: 'password_must_change',
  totpEnabled: 'totp_enabled',
  backupCodeEnabled: 'backup_code_enabled',
  banned: 'banned',
  legalAcceptedAt: 'legal_accepted_at',
  lockedUntil: 'locked_until',
  primaryEmailAddressId: 'primary_email_address_id',
  primaryPhoneNumberId: 'primary_phone_number_id',
  primaryWeb3WalletId: 'primary_web3_wallet_id',
  lastSignInAt: 'last_sign_in_at',
  createdAt: 'created_at',
  updatedAt: 'updated_at',
};

const JSON_FIELDS = new Set(['publicMetadata', 'privateMetadata', 'unsafeMetadata']);

/** Maps a patch to column values, leaving out what the patch does not set. */
export function patchColumns(patch: UserPatch): Row {
  const out: Row = {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    out[PATCH_COLUMNS[key as keyof UserPatch]] = JSON_FIELDS.has(key) ? JSON.stringify(value) : value;
  }
  return out;
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * A user filter as an ordered list of terms, each with the values its clause binds, in the order
 * the clause binds them. `applyUserFilter` builds SQL from the terms, and the terms alone give a
 * cache key (their kinds and sizes) and the query's parameters, so a repeated query shape skips
 * the query builder entirely (see `CompiledShapes`).
 */
export type FilterTerm = { kind: string; values: unknown[] };

export function userFilterTerms(f: UserFilter): FilterTerm[] {
  const terms: FilterTerm[] = [];
  const add = (kind: string, values: unknown[] | undefined) => {
    if (values?.length) terms.push({ kind, values });
  };
  // The identifier type is bound as a parameter too, ahead of the values.
  const byIdentifier = (type: IdentifierType, values?: string[]) => values?.length && add(type, [type, ...values]);
  byIdentifier('email_address', f.emailAddresses);
  byIdentifier('phone_number', f.phoneNumbers);
  byIdentifier('web3_wallet', f.web3Wallets);
  add('usernames', f.usernames);
  add('external_in', f.externalIds?.include);
  add('external_out', f.externalIds?.exclude);
  add('ids_in', f.userIds?.include);
  add('ids_out', f.userIds?.exclude);
  add('orgs_in', f.organizationIds?.include);
  add('orgs_out', f.organizationIds?.exclude);
  // The search text leaves out ids' shared `user_` prefix; a query for a whole id drops it too.
  const query = f.query?.toLowerCase().replace(/^user_/, '');
  if (query) add('query', [`%${escapeLike(query)}%`]);
  add('uuids', f.uuids);
  if (f.usernameContains) add('username_like', [`%${escapeLike(f.usernameContains.toLowerCase())}%`]);
  if (f.emailContains) add('email_like', ['email_address', `%${escapeLike(f.emailContains.toLowerCase())}%`]);
  // `search` leaves out ids' `user_` prefix (see searchText); the external id is matched whole.
  if (f.text) add('text', [`%${escapeLike(f.text.replace(/^user_/, ''))}%`, `%${escapeLike(f.text)}%`]);
  if (f.tenantId) add('tenant', [f.tenantId, true]);
  if (f.after) add('after', [f.after.createdAt, f.after.id]);
  return terms;
}

/** The cache key of a filter's SQL: which terms, with how many values each. */
export function termsShape(terms: FilterTerm[]): string {
  return terms.map((t) => `${t.kind}:${t.values.length}`).join(',');
}

/** Adds the WHERE clauses of a user filter; values arrive already normalised by the core. */
export function applyUserFilter<O>(qb: SelectQueryBuilder<Database, 'users', O>, f: UserFilter | FilterTerm[]) {
  const terms = Array.isArray(f) ? f : userFilterTerms(f);
  // A user marked for deletion is already gone for every list and count.
  qb = qb.where('users.deletion_requested_at', 'is', null);
  const members = (orgs: string[]) => (eb: ExpressionBuilder<Database, 'users'>) =>
    eb.selectFrom('organization_memberships').select('organization_memberships.user_id').where('organization_memberships.organization_id', 'in', orgs);
  for (const { kind, values } of terms) {
    const v = values as string[];
    switch (kind) {
      case 'email_address':
      case 'phone_number':
      case 'web3_wallet':
        qb = qb.where('users.id', 'in', (eb) =>
          eb.selectFrom('identifiers').select('identifiers.user_id').where('identifiers.type', '=', kind).where('identifiers.normalized', 'in', v.slice(1)),
        );
        break;
      case 'usernames':
        qb = qb.where(sql`lower(users.username)`, 'in', v);
        break;
      case 'external_in':
        qb = qb.where('users.external_id', 'in', v);
        break;
      case 'external_out':
        qb = qb.where((eb) => eb.or([eb('users.external_id', 'is', null), eb('users.external_id', 'not in', v)]));
        break;
      case 'ids_in':
        qb = qb.where('users.id', 'in', v);
        break;
      case 'ids_out':
        qb = qb.where('users.id', 'not in', v);
        break;
      case 'orgs_in':
        qb = qb.where('users.id', 'in', members(v));
        break;
      case 'orgs_out':
        qb = qb.where('users.id', 'not in', members(v));
        break;
      case 'query':
        qb = qb.where('users.search', 'like', v[0]);
        break;
      case 'uuids':
        qb = qb.where('users.uuid', 'in', v);
        break;
      case 'username_like':
        qb = qb.where(sql`lower(users.username)`, 'like', v[0]);
        break;
      case 'email_like':
        qb = qb.where('users.id', 'in', (eb) =>
          eb.selectFrom('identifiers').select('identifiers.user_id').where('identifiers.type', '=', 'email_address').where('identifiers.normalized', 'like', v[1]),
        );
        break;
      case 'text':
        qb = qb.where((eb) => eb.or([eb('users.search', 'like', v[0]), eb(sql`lower(users.external_id)`, 'like', v[1])]));
        break;
      case 'tenant':
        qb = qb.where('users.id', 'in', (eb) =>
          eb.selectFrom('organization_memberships').select('organization_memberships.user_id').where('organization_memberships.organization_id', '=', v[0]).where('organization_memberships.tenant_link', '=', values[1] as boolean),
        );
        break;
      case 'after':
        // Row comparison, so the (created_at, id) index serves the keyset page directly.
        qb = qb.where(sql<boolean>`(users.created_at, users.id) > (${values[0]}, ${values[1]})`);
        break;
      default:
        throw new Error(`unknown user filter term ${kind}`);
    }
  }
  return qb;
}

/** The identifiers row for a new identifier. */
export function identifierRow(i: NewIdentifier) {
  return {
    id: i.id,
    user_id: i.userId,
    type: i.type,
    value: i.value,
    normalized: i.normalized,
    verified: i.verified,
    verification_strategy: i.verificationStrategy,
    created_at: i.createdAt,
    updated_at: i.updatedAt,
  };
}

/**
 * The text the `query` filter searches: the id without its `user_` prefix (every id shares it,
 * and its trigrams would match every row), names and identifier values, lower-cased.
 * SEARCH_SQL computes the same in SQL for updates; a storage test holds the two equal.
 */
export function searchText(u: Pick<NewUser, 'id' | 'username' | 'firstName' | 'lastName' | 'displayName'>, identifierValues: string[]): string {
  const parts = [u.id.replace(/^user_/, ''), u.username, u.firstName, u.lastName, u.displayName, identifierValues.length ? identifierValues.join(' ') : null];
  return parts.filter((p) => p !== null).join(' ').toLowerCase();
}

export const SEARCH_SQL = sql<string>`lower(concat_ws(' ', regexp_replace(id, '^user_', ''), username, first_name, last_name, display_name,
  (SELECT string_agg(i.value, ' ' ORDER BY i.seq) FROM identifiers i WHERE i.user_id = users.id)))`;
