import type { Kysely, Selectable } from 'kysely';
import type { SignUpCode, SignUpCodeStore } from '../core/sign-ups/sign-up-code-store.ts';
import { translated } from './db-errors.ts';
import { toSignUp } from './instance-store.ts';
import type { Database, SignUpCodesTable } from './schema.ts';

function toCode(r: Selectable<SignUpCodesTable>): SignUpCode {
  return {
    id: r.id,
    signUpId: r.sign_up_id,
    codeHash: r.code_hash,
    attempts: r.attempts,
    maxAttempts: r.max_attempts,
    expiresAt: r.expires_at,
    consumedAt: r.consumed_at,
    voidedAt: r.voided_at,
    createdAt: r.created_at,
  };
}

export function createSignUpCodeStore(db: Kysely<Database>): SignUpCodeStore {
  const live = () => db.updateTable('sign_up_codes').where('consumed_at', 'is', null).where('voided_at', 'is', null);
  return {
    bindBrowser: (signUpId, tokenHash) =>
      translated(async () => {
        await db.updateTable('sign_ups').set({ browser_token_hash: tokenHash }).where('id', '=', signUpId).execute();
      }),
    findByBrowserToken: (tokenHash) =>
      translated(async () => {
        const r = await db.selectFrom('sign_ups').selectAll().where('browser_token_hash', '=', tokenHash).executeTakeFirst();
        return r ? { ...toSignUp(r), passwordDigest: r.password_digest, passwordHasher: r.password_hasher, completedAt: r.completed_at } : null;
      }),
    insertCode: (c) =>
      translated(async () => {
        await db
          .insertInto('sign_up_codes')
          .values({ id: c.id, sign_up_id: c.signUpId, code_hash: c.codeHash, attempts: c.attempts, max_attempts: c.maxAttempts, expires_at: c.expiresAt, consumed_at: null, voided_at: null, created_at: c.createdAt })
          .execute();
      }),
    voidCodes: (signUpId, now) =>
      translated(async () => {
        await live().set({ voided_at: now }).where('sign_up_id', '=', signUpId).execute();
      }),
    latestCode: (signUpId) =>
      translated(async () => {
        const r = await db
          .selectFrom('sign_up_codes')
          .selectAll()
          .where('sign_up_id', '=', signUpId)
          .where('consumed_at', 'is', null)
          .where('voided_at', 'is', null)
          .orderBy('created_at', 'desc')
          .orderBy('id', 'desc')
          .limit(1)
          .executeTakeFirst();
        return r ? toCode(r) : null;
      }),
    codeStats: (signUpId) =>
      translated(async () => {
        const r = await db
          .selectFrom('sign_up_codes')
          .select((eb) => [eb.fn.countAll().as('n'), eb.fn.max('created_at').as('last')])
          .where('sign_up_id', '=', signUpId)
          .executeTakeFirstOrThrow();
        return { count: Number(r.n), lastAt: r.last ? new Date(r.last as Date | string) : null };
      }),
    reserveAttempt: (id, now) =>
      translated(async () => {
        const r = await live()
          .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
          .where('id', '=', id)
          .where((eb) => eb('attempts', '<', eb.ref('max_attempts')))
          .where('expires_at', '>', now)
          .returningAll()
          .executeTakeFirst();
        return r ? toCode(r) : null;
      }),
    consumeCode: (id, now) =>
      translated(async () => {
        const res = await live().set({ consumed_at: now }).where('id', '=', id).executeTakeFirst();
        return Number(res.numUpdatedRows) > 0;
      }),
    complete: (signUpId, userId, verifiedFields, now) =>
      translated(async () => {
        const res = await db
          .updateTable('sign_ups')
          .set({ created_user_id: userId, completed_at: now, verified_fields: JSON.stringify(verifiedFields), updated_at: now })
          .where('id', '=', signUpId)
          .where('created_user_id', 'is', null)
          .executeTakeFirst();
        return Number(res.numUpdatedRows) > 0;
      }),
  };
}
