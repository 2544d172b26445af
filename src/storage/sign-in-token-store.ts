import type { Kysely } from 'kysely';
import type { ActorToken, ActorTokenStore, SignInToken, SignInTokenStore } from '../core/sign-in-tokens/types.ts';
import { translated } from './db-errors.ts';
import { asJson } from './json-column.ts';

type Row = Record<string, any>;

function toSignInToken(r: Row): SignInToken {
  return { id: r.id, userId: r.user_id, tokenHash: r.token_hash, status: r.status, expiresAt: r.expires_at, createdAt: r.created_at, updatedAt: r.updated_at };
}

function toActorToken(r: Row): ActorToken {
  return { ...toSignInToken(r), actor: asJson(r.actor), sessionMaxDurationSeconds: r.session_max_duration_seconds };
}

/** Both tables share their shape and their rules; only the actor columns differ. */
function ticketStore<T extends SignInToken>(db: Kysely<any>, table: 'sign_in_tokens' | 'actor_tokens', toRecord: (r: Row) => T, extra: (t: T) => Row) {
  const one = async (column: 'id' | 'token_hash', value: string) => {
    const r = await db.selectFrom(table).selectAll().where(column, '=', value).executeTakeFirst();
    return r ? toRecord(r) : null;
  };
  return {
    insert: (t: T) =>
      translated(async () => {
        await db
          .insertInto(table)
          .values({ id: t.id, user_id: t.userId, token_hash: t.tokenHash, status: t.status, expires_at: t.expiresAt, created_at: t.createdAt, updated_at: t.updatedAt, ...extra(t) })
          .execute();
      }),
    findById: (id: string) => translated(() => one('id', id)),
    findByTokenHash: (hash: string) => translated(() => one('token_hash', hash)),
    finish: (id: string, status: 'accepted' | 'revoked', now: Date, liveAt?: Date) =>
      translated(async () => {
        let q = db.updateTable(table).set({ status, updated_at: now }).where('id', '=', id).where('status', '=', 'pending');
        if (liveAt) q = q.where('expires_at', '>', liveAt);
        const r = await q.returningAll().executeTakeFirst();
        return r ? toRecord(r) : null;
      }),
  };
}

export function createSignInTokenStore(db: Kysely<any>): SignInTokenStore {
  return ticketStore<SignInToken>(db, 'sign_in_tokens', toSignInToken, () => ({}));
}

export function createActorTokenStore(db: Kysely<any>): ActorTokenStore {
  return ticketStore<ActorToken>(db, 'actor_tokens', toActorToken, (t) => ({ actor: JSON.stringify(t.actor), session_max_duration_seconds: t.sessionMaxDurationSeconds }));
}
