import { type Kysely, sql } from 'kysely';
import type { AccessListStore, ListedIdentifier } from '../core/instance/access-lists.ts';
import type { RedirectUrl, RedirectUrlStore } from '../core/instance/redirect-urls.ts';
import type { InstanceSettingsStore } from '../core/instance/settings-store.ts';
import type { SignUp, SignUpStore } from '../core/sign-ups/sign-up-service.ts';
import { translated } from './db-errors.ts';
import { asJson } from './json-column.ts';
import type { Database } from './schema.ts';

type Row = Record<string, any>;

export function createInstanceSettingsStore(db: Kysely<Database>): InstanceSettingsStore {
  return {
    get: (group) =>
      translated(async () => {
        const r = await db.selectFrom('instance_settings').select('value').where('key', '=', group).executeTakeFirst();
        return r ? asJson<Record<string, unknown>>(r.value) : null;
      }),
    // One statement: concurrent patches of different fields of a group both survive.
    merge: (group, patch, now) =>
      translated(async () => {
        const value = JSON.stringify(patch);
        const r = await sql<{ value: unknown }>`
          INSERT INTO instance_settings (key, value, updated_at) VALUES (${group}, ${value}::jsonb, ${now})
          ON CONFLICT (key) DO UPDATE SET value = instance_settings.value || excluded.value, updated_at = excluded.updated_at
          RETURNING value`.execute(db);
        return asJson<Record<string, unknown>>(r.rows[0].value);
      }),
  };
}

function toListed(r: Row): ListedIdentifier {
  return {
    id: r.id,
    list: r.list,
    identifier: r.identifier,
    identifierType: r.identifier_type,
    normalized: r.normalized,
    invitationId: r.invitation_id,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export function createAccessListStore(db: Kysely<Database>): AccessListStore {
  return {
    insert: (e) =>
      translated(async () => {
        await db
          .insertInto('access_list_identifiers')
          .values({
            id: e.id,
            list: e.list,
            identifier: e.identifier,
            identifier_type: e.identifierType,
            normalized: e.normalized,
            invitation_id: e.invitationId,
            created_at: e.createdAt,
            updated_at: e.updatedAt,
          })
          .execute();
      }),
    list: (list, page) =>
      translated(async () => {
        const rows = await db
          .selectFrom('access_list_identifiers')
          .selectAll()
          .where('list', '=', list)
          .orderBy('created_at', 'desc')
          .orderBy('id', 'desc')
          .limit(page.limit)
          .offset(page.offset)
          .execute();
        return rows.map(toListed);
      }),
    count: (list) =>
      translated(async () => {
        const r = await db.selectFrom('access_list_identifiers').select((eb) => eb.fn.countAll().as('n')).where('list', '=', list).executeTakeFirstOrThrow();
        return Number(r.n);
      }),
    delete: (list, id) =>
      translated(async () => {
        const r = await db.deleteFrom('access_list_identifiers').where('list', '=', list).where('id', '=', id).returningAll().executeTakeFirst();
        return r ? toListed(r) : null;
      }),
    matching: (list, candidates) =>
      translated(async () => {
        if (candidates.length === 0) return new Set<string>();
        const rows = await db.selectFrom('access_list_identifiers').select('normalized').where('list', '=', list).where('normalized', 'in', candidates).execute();
        return new Set(rows.map((r) => r.normalized));
      }),
  };
}

const toRedirect = (r: Row): RedirectUrl => ({ id: r.id, url: r.url, createdAt: r.created_at, updatedAt: r.updated_at });

export function createRedirectUrlStore(db: Kysely<Database>): RedirectUrlStore {
  return {
    insert: (r) =>
      translated(async () => {
        await db.insertInto('redirect_urls').values({ id: r.id, url: r.url, created_at: r.createdAt, updated_at: r.updatedAt }).execute();
      }),
    findById: (id) =>
      translated(async () => {
        const r = await db.selectFrom('redirect_urls').selectAll().where('id', '=', id).executeTakeFirst();
        return r ? toRedirect(r) : null;
      }),
    list: () => translated(async () => (await db.selectFrom('redirect_urls').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').execute()).map(toRedirect)),
    delete: (id) =>
      translated(async () => {
        const res = await db.deleteFrom('redirect_urls').where('id', '=', id).executeTakeFirst();
        return Number(res.numDeletedRows) > 0;
      }),
  };
}

export function toSignUp(r: Row): SignUp {
  return {
    id: r.id,
    emailAddress: r.email_address,
    phoneNumber: r.phone_number,
    web3Wallet: r.web3_wallet,
    username: r.username,
    firstName: r.first_name,
    lastName: r.last_name,
    passwordEnabled: r.password_digest !== null,
    externalId: r.external_id,
    customAction: r.custom_action,
    publicMetadata: asJson(r.public_metadata),
    unsafeMetadata: asJson(r.unsafe_metadata),
    verifiedFields: asJson(r.verified_fields),
    createdUserId: r.created_user_id,
    abandonAt: r.abandon_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export function createSignUpStore(db: Kysely<Database>): SignUpStore {
  const find = (id: string, lock: boolean) =>
    translated(async () => {
      const q = db.selectFrom('sign_ups').selectAll().where('id', '=', id);
      const r = await (lock ? q.forUpdate() : q).executeTakeFirst();
      return r ? toSignUp(r) : null;
    });
  return {
    insert: (s) =>
      translated(async () => {
        await db
          .insertInto('sign_ups')
          .values({
            id: s.id,
            email_address: s.emailAddress,
            phone_number: s.phoneNumber,
            web3_wallet: s.web3Wallet,
            username: s.username,
            first_name: s.firstName,
            last_name: s.lastName,
            password_digest: s.passwordDigest,
            password_hasher: s.passwordHasher,
            external_id: s.externalId,
            custom_action: s.customAction,
            public_metadata: JSON.stringify(s.publicMetadata),
            unsafe_metadata: JSON.stringify(s.unsafeMetadata),
            verified_fields: JSON.stringify(s.verifiedFields),
            created_user_id: s.createdUserId,
            abandon_at: s.abandonAt,
            created_at: s.createdAt,
            updated_at: s.updatedAt,
          })
          .execute();
      }),
    findById: (id) => find(id, false),
    lockForUpdate: (id) => find(id, true),
    update: (id, patch) =>
      translated(async () => {
        const values: Record<string, unknown> = { updated_at: patch.updatedAt };
        if (patch.externalId !== undefined) values.external_id = patch.externalId;
        if (patch.customAction !== undefined) values.custom_action = patch.customAction;
        await db.updateTable('sign_ups').set(values).where('id', '=', id).execute();
      }),
  };
}
