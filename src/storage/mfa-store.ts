import { type Kysely, sql } from 'kysely';
import type { BackupCodeRecord, MfaStore } from '../core/credentials/mfa-store.ts';
import { translated } from './db-errors.ts';
import type { Database } from './schema.ts';

export function createMfaStore(db: Kysely<Database>): MfaStore {
  return {
    findTotp: (userId) =>
      translated(async () => {
        const r = await db.selectFrom('user_totp').selectAll().where('user_id', '=', userId).executeTakeFirst();
        return r ? { userId: r.user_id, secretSealed: r.secret_sealed, confirmed: r.confirmed, lastUsedStep: Number(r.last_used_step) } : null;
      }),
    putTotp: (userId, secretSealed, confirmed, now) =>
      translated(async () => {
        await db
          .insertInto('user_totp')
          .values({ user_id: userId, secret_sealed: secretSealed, confirmed, last_used_step: 0, created_at: now })
          .onConflict((oc) => oc.column('user_id').doUpdateSet({ secret_sealed: secretSealed, confirmed, last_used_step: 0, created_at: now }))
          .execute();
      }),
    confirmTotp: (userId) =>
      translated(async () => {
        await db.updateTable('user_totp').set({ confirmed: true }).where('user_id', '=', userId).execute();
      }),
    claimTotpStep: (userId, step) =>
      translated(async () => {
        const res = await db.updateTable('user_totp').set({ last_used_step: step }).where('user_id', '=', userId).where('last_used_step', '<', step).executeTakeFirst();
        return Number(res.numUpdatedRows) > 0;
      }),
    deleteTotp: (userId) =>
      translated(async () => Number((await db.deleteFrom('user_totp').where('user_id', '=', userId).executeTakeFirst()).numDeletedRows) > 0),
    replaceBackupCodes: (userId, codes, now) =>
      translated(async () => {
        await db.deleteFrom('backup_codes').where('user_id', '=', userId).execute();
        if (codes.length) {
          await db.insertInto('backup_codes').values(codes.map((c) => ({ id: c.id, user_id: userId, code_hash: c.codeHash, hasher: c.hasher, used_at: null, created_at: now }))).execute();
        }
      }),
    consumeBackupCodeByHash: (userId, codeHash, now) =>
      translated(async () => {
        const res = await sql`UPDATE backup_codes SET used_at = ${now}
          WHERE id = (SELECT id FROM backup_codes WHERE user_id = ${userId} AND code_hash = ${codeHash} AND hasher = 'sha256' AND used_at IS NULL LIMIT 1)
            AND used_at IS NULL`.execute(db);
        return Number(res.numAffectedRows ?? 0) > 0;
      }),
    unusedBcryptCodes: (userId) =>
      translated(async () => {
        const rows = await db.selectFrom('backup_codes').select(['id', 'code_hash']).where('user_id', '=', userId).where('hasher', '=', 'bcrypt').where('used_at', 'is', null).execute();
        return rows.map((r): BackupCodeRecord => ({ id: r.id, codeHash: r.code_hash, hasher: 'bcrypt' }));
      }),
    consumeBackupCodeById: (id, now) =>
      translated(async () => Number((await db.updateTable('backup_codes').set({ used_at: now }).where('id', '=', id).where('used_at', 'is', null).executeTakeFirst()).numUpdatedRows) > 0),
    deleteBackupCodes: (userId) =>
      translated(async () => Number((await db.deleteFrom('backup_codes').where('user_id', '=', userId).executeTakeFirst()).numDeletedRows)),
    reserveAttempt: (userId, now, max, windowMs) =>
      translated(async () => {
        const windowStart = new Date(now.getTime() - windowMs);
        const res = await sql`UPDATE users SET
            mfa_failures = CASE WHEN mfa_window_start IS NULL OR mfa_window_start <= ${windowStart} THEN 1 ELSE mfa_failures + 1 END,
            mfa_window_start = CASE WHEN mfa_window_start IS NULL OR mfa_window_start <= ${windowStart} THEN ${now} ELSE mfa_window_start END
          WHERE id = ${userId} AND (mfa_window_start IS NULL OR mfa_window_start <= ${windowStart} OR mfa_failures < ${max})`.execute(db);
        return Number(res.numAffectedRows ?? 0) > 0;
      }),
    clearAttempts: (userId) =>
      translated(async () => {
        await db.updateTable('users').set({ mfa_failures: 0, mfa_window_start: null }).where('id', '=', userId).execute();
      }),
  };
}
