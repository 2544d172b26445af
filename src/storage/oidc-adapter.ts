import { type Kysely, sql } from 'kysely';
import { translated } from './db-errors.ts';
import type { Database } from './schema.ts';

/** oidc-provider's stored payloads are plain JSON objects; the fields read here are documented in its Adapter interface. */
export type OidcPayload = Record<string, unknown> & {
  grantId?: string;
  userCode?: string;
  uid?: string;
  accountId?: string;
  consumed?: number;
  session?: { accountId?: string };
};

/** The interface oidc-provider expects of `adapter(name)`; one instance per model name. */
export interface OidcAdapter {
  upsert(id: string, payload: OidcPayload, expiresIn?: number): Promise<void>;
  find(id: string): Promise<OidcPayload | undefined>;
  findByUid(uid: string): Promise<OidcPayload | undefined>;
  findByUserCode(userCode: string): Promise<OidcPayload | undefined>;
  consume(id: string): Promise<void>;
  destroy(id: string): Promise<void>;
  revokeByGrantId(grantId: string): Promise<void>;
}

/** How often one process deletes expired rows, and how many at a time (a small, indexed delete). */
const PURGE_EVERY_MS = 60_000;
const PURGE_BATCH = 1000;

/**
 * The provider's storage in the `oidc_payloads` table, shared by every server process (the memory
 * adapter would give each process its own sessions and tokens). Rows past their expiry are
 * never returned, and are deleted now and then by whichever process writes next.
 */
export function createOidcStorage(db: Kysely<Database>, now: () => Date = () => new Date(), opts: { alreadyConsumed?: () => Error } = {}) {
  let lastPurge = 0;
  let purging: Promise<unknown> = Promise.resolve();

  const live = (r: { payload: unknown; expires_at: Date | null; consumed_at: Date | null } | undefined): OidcPayload | undefined => {
    if (!r || (r.expires_at && r.expires_at.getTime() <= now().getTime())) return undefined;
    const payload = (typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload) as OidcPayload;
    return r.consumed_at ? { ...payload, consumed: Math.floor(r.consumed_at.getTime() / 1000) } : payload;
  };

  const findWhere = (model: string, column: 'id' | 'uid' | 'user_code', value: string) =>
    translated(async () =>
      live(
        await db
          .selectFrom('oidc_payloads')
          .select(['payload', 'expires_at', 'consumed_at'])
          .where('model', '=', model)
          .where(column, '=', value)
          .executeTakeFirst(),
      ),
    );

  /** Deletes a batch of expired rows, at most once a minute per process; failures wait for the next turn. */
  function maybePurge() {
    const t = now().getTime();
    if (t - lastPurge < PURGE_EVERY_MS) return;
    lastPurge = t;
    purging = purgeExpired().catch(() => undefined);
  }

  async function purgeExpired(limit = PURGE_BATCH): Promise<number> {
    const r = await sql`
      DELETE FROM oidc_payloads WHERE (model, id) IN (
        SELECT model, id FROM oidc_payloads WHERE expires_at < ${now()} LIMIT ${limit}
      )`.execute(db);
    return Number(r.numAffectedRows ?? 0);
  }

  function adapter(model: string): OidcAdapter {
    return {
      upsert: (id, payload, expiresIn) =>
        translated(async () => {
          const expiresAt = typeof expiresIn === 'number' ? new Date(now().getTime() + expiresIn * 1000) : null;
          const accountId = payload.accountId ?? payload.session?.accountId ?? null;
          await db
            .insertInto('oidc_payloads')
            .values({
              model,
              id,
              payload: JSON.stringify(payload),
              grant_id: payload.grantId ?? null,
              user_code: payload.userCode ?? null,
              uid: payload.uid ?? null,
              account_id: accountId,
              expires_at: expiresAt,
              consumed_at: null,
            })
            .onConflict((oc) =>
              oc.columns(['model', 'id']).doUpdateSet((eb) => ({
                payload: eb.ref('excluded.payload'),
                grant_id: eb.ref('excluded.grant_id'),
                user_code: eb.ref('excluded.user_code'),
                uid: eb.ref('excluded.uid'),
                account_id: eb.ref('excluded.account_id'),
                expires_at: eb.ref('excluded.expires_at'),
              })),
            )
            .execute();
          maybePurge();
        }),
      find: (id) => findWhere(model, 'id', id),
      findByUid: (uid) => findWhere(model, 'uid', uid),
      findByUserCode: (userCode) => findWhere(model, 'user_code', userCode),
      // Consuming is the one atomic step of a code or refresh-token exchange. Two requests racing
      // with the same token both pass the provider's own "consumed?" check; only one wins this
      // update. The loser is a reuse: the whole grant is revoked and the request fails.
      consume: (id) =>
        translated(async () => {
          const r = await db.updateTable('oidc_payloads').set({ consumed_at: now() }).where('model', '=', model).where('id', '=', id).where('consumed_at', 'is', null).returning('grant_id').executeTakeFirst();
          if (r || !opts.alreadyConsumed) return;
          const row = await db.selectFrom('oidc_payloads').select('grant_id').where('model', '=', model).where('id', '=', id).executeTakeFirst();
          if (row?.grant_id) await db.deleteFrom('oidc_payloads').where((eb) => eb.or([eb('grant_id', '=', row.grant_id), eb.and([eb('model', '=', 'Grant'), eb('id', '=', row.grant_id as string)])])).execute();
          throw opts.alreadyConsumed();
        }),
      destroy: (id) =>
        translated(async () => {
          await db.deleteFrom('oidc_payloads').where('model', '=', model).where('id', '=', id).execute();
        }),
      revokeByGrantId: (grantId) =>
        translated(async () => {
          await db.deleteFrom('oidc_payloads').where('model', '=', model).where('grant_id', '=', grantId).execute();
        }),
    };
  }

  return {
    adapter,
    purgeExpired,
    /**
     * Everything the provider holds for a user: grants, sessions, codes, access and refresh
     * tokens, pending interactions. Tokens issued as JWTs are not stored and live out their TTL.
     */
    async destroyAccount(accountId: string): Promise<number> {
      return translated(async () => {
        const grants = db.selectFrom('oidc_payloads').select('id').where('model', '=', 'Grant').where('account_id', '=', accountId);
        const r = await db
          .deleteFrom('oidc_payloads')
          .where((eb) => eb.or([eb('account_id', '=', accountId), eb('grant_id', 'in', grants)]))
          .executeTakeFirst();
        return Number(r.numDeletedRows);
      });
    },
    /**
     * What was issued under one Latchkey session (its `sid`): codes, access and refresh tokens.
     * The grant stays, so the user's consent to the application survives a sign-out.
     */
    async destroySession(sid: string): Promise<number> {
      return translated(async () => {
        const r = await db.deleteFrom('oidc_payloads').where(sql<string>`payload->>'sid'`, '=', sid).executeTakeFirst();
        return Number(r.numDeletedRows);
      });
    },
    /** Waits for a purge in flight, so the database can be closed under it. */
    settle: () => purging,
  };
}

export type OidcStorage = ReturnType<typeof createOidcStorage>;
