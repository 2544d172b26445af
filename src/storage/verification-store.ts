import type { Kysely, Selectable } from 'kysely';
import type { VerificationRecord, VerificationStore } from '../core/verification/verification-store.ts';
import { translated } from './db-errors.ts';
import type { Database, VerificationsTable } from './schema.ts';

function toRecord(r: Selectable<VerificationsTable>): VerificationRecord {
  return {
    id: r.id,
    userId: r.user_id,
    identifierId: r.identifier_id,
    purpose: r.purpose as VerificationRecord['purpose'],
    strategy: r.strategy as VerificationRecord['strategy'],
    codeHash: r.code_hash,
    tokenHash: r.token_hash,
    attempts: r.attempts,
    maxAttempts: r.max_attempts,
    expiresAt: r.expires_at,
    consumedAt: r.consumed_at,
    voidedAt: r.voided_at,
    createdAt: r.created_at,
  };
}

export function createVerificationStore(db: Kysely<Database>): VerificationStore {
  return {
    insert: (v) =>
      translated(async () => {
        await db
          .insertInto('verifications')
          .values({
            id: v.id,
            user_id: v.userId,
            identifier_id: v.identifierId,
            purpose: v.purpose,
            strategy: v.strategy,
            code_hash: v.codeHash,
            token_hash: v.tokenHash,
            attempts: v.attempts,
            max_attempts: v.maxAttempts,
            expires_at: v.expiresAt,
            consumed_at: null,
            voided_at: null,
            created_at: v.createdAt,
          })
          .execute();
      }),
    voidPending: (userId, purpose, identifierId, now) =>
      translated(async () => {
        let q = db.updateTable('verifications').set({ voided_at: now }).where('user_id', '=', userId).where('purpose', '=', purpose).where('consumed_at', 'is', null).where('voided_at', 'is', null);
        if (identifierId) q = q.where('identifier_id', '=', identifierId);
        await q.execute();
      }),
    latestPending: (userId, purpose, identifierId) =>
      translated(async () => {
        let q = db.selectFrom('verifications').selectAll().where('user_id', '=', userId).where('purpose', '=', purpose).where('consumed_at', 'is', null).where('voided_at', 'is', null);
        if (identifierId) q = q.where('identifier_id', '=', identifierId);
        const r = await q.orderBy('created_at', 'desc').limit(1).executeTakeFirst();
        return r ? toRecord(r) : null;
      }),
    reserveAttempt: (id, now) =>
      translated(async () => {
        const r = await db
          .updateTable('verifications')
          .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
          .where('id', '=', id)
          .where((eb) => eb('attempts', '<', eb.ref('max_attempts')))
          .where('consumed_at', 'is', null)
          .where('voided_at', 'is', null)
          .where('expires_at', '>', now)
          .returningAll()
          .executeTakeFirst();
        return r ? toRecord(r) : null;
      }),
    consume: (id, now) =>
      translated(async () => {
        const res = await db.updateTable('verifications').set({ consumed_at: now }).where('id', '=', id).where('consumed_at', 'is', null).where('voided_at', 'is', null).executeTakeFirst();
        return Number(res.numUpdatedRows) > 0;
      }),
    findByTokenHash: (hash) =>
      translated(async () => {
        const r = await db.selectFrom('verifications').selectAll().where('token_hash', '=', hash).executeTakeFirst();
        return r ? toRecord(r) : null;
      }),
  };
}
