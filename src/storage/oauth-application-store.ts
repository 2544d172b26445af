import type { Kysely } from 'kysely';
import type { OAuthApplication, OAuthApplicationStore } from '../core/oauth/oauth-applications.ts';
import { translated } from './db-errors.ts';
import type { Database } from './schema.ts';

type Row = Record<string, any>;

function toApplication(r: Row): OAuthApplication {
  return {
    id: r.id,
    clientId: r.client_id,
    name: r.name,
    public: r.public,
    scopes: String(r.scopes).split(' ').filter(Boolean),
    callbackUrl: r.callback_url,
    secretSha256: r.client_secret_sha256,
    consentScreenEnabled: r.consent_screen_enabled,
    clientCredentialsEnabled: r.client_credentials_enabled,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function toRow(a: OAuthApplication) {
  return {
    id: a.id,
    client_id: a.clientId,
    name: a.name,
    public: a.public,
    scopes: a.scopes.join(' '),
    callback_url: a.callbackUrl,
    client_secret_sha256: a.secretSha256,
    consent_screen_enabled: a.consentScreenEnabled,
    client_credentials_enabled: a.clientCredentialsEnabled,
    created_at: a.createdAt,
    updated_at: a.updatedAt,
  };
}

export function createOAuthApplicationStore(db: Kysely<Database>): OAuthApplicationStore {
  const one = async (column: 'id' | 'client_id', value: string) => {
    const r = await db.selectFrom('oauth_applications').selectAll().where(column, '=', value).executeTakeFirst();
    return r ? toApplication(r) : null;
  };
  return {
    insert: (a) =>
      translated(async () => {
        await db.insertInto('oauth_applications').values(toRow(a)).execute();
      }),
    findById: (id) => translated(() => one('id', id)),
    findByClientId: (clientId) => translated(() => one('client_id', clientId)),
    list: ({ limit, offset }) =>
      translated(async () => {
        const rows = await db.selectFrom('oauth_applications').selectAll().orderBy('created_at').orderBy('id').limit(limit).offset(offset).execute();
        const n = await db.selectFrom('oauth_applications').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
        return { data: rows.map(toApplication), totalCount: Number(n.n) };
      }),
    update: (a) =>
      translated(async () => {
        const { id: _id, client_id: _c, created_at: _t, ...rest } = toRow(a);
        const res = await db.updateTable('oauth_applications').set(rest).where('id', '=', a.id).executeTakeFirst();
        return Number(res.numUpdatedRows) > 0;
      }),
    delete: (id) =>
      translated(async () => {
        const res = await db.deleteFrom('oauth_applications').where('id', '=', id).executeTakeFirst();
        return Number(res.numDeletedRows) > 0;
      }),
    callbackUrls: () =>
      translated(async () => (await db.selectFrom('oauth_applications').select('callback_url').execute()).map((r) => r.callback_url)),
  };
}
