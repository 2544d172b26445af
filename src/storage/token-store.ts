import { type ColumnType, type Kysely, sql } from 'kysely';
import { DomainError } from '../core/errors.ts';
import type { JwtTemplate, JwtTemplateStore, SigningKeyRecord, SigningKeyStore, TemplateAlgorithm } from '../core/tokens/token-store.ts';
import type { PublicJwk } from '../core/tokens/types.ts';
import { translated } from './db-errors.ts';
import type { Database } from './schema.ts';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type Json<T> = ColumnType<T, string, string>;

/** The tables of migration 0015, added to the shared schema type where they are used. */
export type TokenTables = {
  signing_keys: {
    kid: string;
    algorithm: string;
    public_jwk: Json<PublicJwk>;
    private_key_sealed: string;
    created_at: Timestamp;
    superseded_at: Timestamp | null;
    published_until: Timestamp | null;
  };
  jwt_templates: {
    id: string;
    name: string;
    claims: Json<Record<string, unknown>>;
    lifetime: number;
    allowed_clock_skew: number;
    custom_signing_key: boolean;
    signing_algorithm: string;
    signing_key_sealed: string | null;
    created_at: Timestamp;
    updated_at: Timestamp;
  };
};

type Db = Kysely<Database & TokenTables>;
type KeyRow = { kid: string; public_jwk: PublicJwk; private_key_sealed: string; created_at: Date; superseded_at: Date | null; published_until: Date | null };

const toKey = (r: KeyRow): SigningKeyRecord => ({
  kid: r.kid,
  publicJwk: r.public_jwk,
  privateKeySealed: r.private_key_sealed,
  createdAt: r.created_at,
  supersededAt: r.superseded_at,
  publishedUntil: r.published_until,
});

const keyValues = (k: SigningKeyRecord) => ({
  kid: k.kid,
  algorithm: 'RS256',
  public_jwk: JSON.stringify(k.publicJwk),
  private_key_sealed: k.privateKeySealed,
  created_at: k.createdAt,
  superseded_at: k.supersededAt,
  published_until: k.publishedUntil,
});

export function createSigningKeyStore(base: Kysely<Database>): SigningKeyStore {
  const db: Db = base.withTables<TokenTables>();
  return {
    current: () =>
      translated(async () => {
        const r = await db.selectFrom('signing_keys').selectAll().where('superseded_at', 'is', null).executeTakeFirst();
        return r ? toKey(r) : null;
      }),
    insertIfNoCurrent: (k) =>
      translated(async () => {
        // The partial unique index signing_keys_one_current turns a lost race into a no-op.
        const res = await db.insertInto('signing_keys').values(keyValues(k)).onConflict((oc) => oc.doNothing()).executeTakeFirst();
        return Number(res.numInsertedOrUpdatedRows ?? 0n) > 0;
      }),
    published: (now) =>
      translated(async () => {
        const rows = await db
          .selectFrom('signing_keys')
          .selectAll()
          .where((eb) => eb.or([eb('superseded_at', 'is', null), eb('published_until', '>', now)]))
          .orderBy('created_at', 'desc')
          .orderBy('kid', 'desc')
          .execute();
        // The current key first, whatever the clocks of the nodes that created the others said.
        return rows.map(toKey).sort((a, b) => Number(a.supersededAt !== null) - Number(b.supersededAt !== null));
      }),
    supersedeCurrent: (at, publishedUntil) =>
      translated(async () => {
        // Rotations from several processes take turns; the statement after the lock sees the winner's key.
        await sql`SELECT pg_advisory_xact_lock(hashtext('latchkey.signing_keys.rotate'))`.execute(db);
        const r = await db.updateTable('signing_keys').set({ superseded_at: at, published_until: publishedUntil }).where('superseded_at', 'is', null).returning('kid').executeTakeFirst();
        return r?.kid ?? null;
      }),
    insert: (k) =>
      translated(async () => {
        await db.insertInto('signing_keys').values(keyValues(k)).execute();
      }),
    deleteRetired: (before) =>
      translated(async () => {
        const res = await db.deleteFrom('signing_keys').where('superseded_at', 'is not', null).where('published_until', '<', before).executeTakeFirst();
        return Number(res.numDeletedRows);
      }),
  };
}

type TemplateRow = {
  id: string;
  name: string;
  claims: Record<string, unknown>;
  lifetime: number;
  allowed_clock_skew: number;
  custom_signing_key: boolean;
  signing_algorithm: string;
  signing_key_sealed: string | null;
  created_at: Date;
  updated_at: Date;
};

const toTemplate = (r: TemplateRow): JwtTemplate => ({
  id: r.id,
  name: r.name,
  claims: r.claims,
  lifetime: r.lifetime,
  allowedClockSkew: r.allowed_clock_skew,
  customSigningKey: r.custom_signing_key,
  signingAlgorithm: r.signing_algorithm as TemplateAlgorithm,
  signingKeySealed: r.signing_key_sealed,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const templateValues = (t: JwtTemplate) => ({
  name: t.name,
  claims: JSON.stringify(t.claims),
  lifetime: t.lifetime,
  allowed_clock_skew: t.allowedClockSkew,
  custom_signing_key: t.customSigningKey,
  signing_algorithm: t.signingAlgorithm,
  signing_key_sealed: t.signingKeySealed,
  updated_at: t.updatedAt,
});

/** A duplicate name is the one unique rule of the table; it is named here rather than in db-errors. */
async function uniqueName<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await translated(fn);
  } catch (e) {
    if (e instanceof DomainError && e.code === 'identifier_exists') throw new DomainError('jwt_template_name_exists', 'A JWT template with that name exists already.', { param: 'name' });
    throw e;
  }
}

export function createJwtTemplateStore(base: Kysely<Database>): JwtTemplateStore {
  const db: Db = base.withTables<TokenTables>();
  return {
    insert: (t) =>
      uniqueName(async () => {
        await db.insertInto('jwt_templates').values({ id: t.id, created_at: t.createdAt, ...templateValues(t) }).execute();
      }),
    update: (t) =>
      uniqueName(async () => {
        await db.updateTable('jwt_templates').set(templateValues(t)).where('id', '=', t.id).execute();
      }),
    findById: (id) =>
      translated(async () => {
        const r = await db.selectFrom('jwt_templates').selectAll().where('id', '=', id).executeTakeFirst();
        return r ? toTemplate(r) : null;
      }),
    findByName: (name) =>
      translated(async () => {
        const r = await db.selectFrom('jwt_templates').selectAll().where('name', '=', name).executeTakeFirst();
        return r ? toTemplate(r) : null;
      }),
    list: (limit, offset) =>
      translated(async () => {
        const rows = await db.selectFrom('jwt_templates').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).offset(offset).execute();
        const n = await db.selectFrom('jwt_templates').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
        return { data: rows.map(toTemplate), totalCount: Number(n.n) };
      }),
    delete: (id) =>
      translated(async () => {
        const res = await db.deleteFrom('jwt_templates').where('id', '=', id).executeTakeFirst();
        return Number(res.numDeletedRows) > 0;
      }),
    maxInstanceKeyLifetime: () =>
      translated(async () => {
        const r = await db.selectFrom('jwt_templates').select((eb) => eb.fn.max('lifetime').as('m')).where('custom_signing_key', '=', false).executeTakeFirst();
        return Number(r?.m ?? 0);
      }),
  };
}
