import bcrypt from 'bcryptjs';
import { createHash, randomInt } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import type { Clock } from '../clock.ts';
import type { SecretBox } from '../crypto/secret-box.ts';
import { DomainError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { Store } from '../store.ts';
import type { BackupCodeRecord } from './mfa-store.ts';

const PERIOD = 30;
const BACKUP_CODE_COUNT = 10;
const BACKUP_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';
/** Wrong second factors allowed per window before attempts are refused (throttling). */
export const MFA_MAX_FAILURES = 5;
export const MFA_WINDOW_MS = 5 * 60_000;

const normalizeBackupCode = (code: string) => code.toLowerCase().replace(/[\s-]/g, '');
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

function parseSecret(base32: string): Secret {
  const clean = base32.replace(/\s/g, '').toUpperCase();
  if (!/^[A-Z2-7]{16,128}=*$/.test(clean)) {
    throw new DomainError('invalid_param', 'totp_secret must be a base32 secret of at least 80 bits.', { param: 'totp_secret' });
  }
  return Secret.fromBase32(clean);
}

export interface MfaDeps {
  store: Store;
  clock: Clock;
  box: SecretBox;
  /** Shown in authenticator apps. */
  issuer: string;
}

/** TOTP (RFC 6238, SHA-1, 6 digits, 30 s, ±1 step) and single-use backup codes. */
export function createMfaService(deps: MfaDeps) {
  const { store, clock, box } = deps;

  async function backupRecords(codes: string[]): Promise<BackupCodeRecord[]> {
    return codes.map((code) =>
      /^\$2[aby]\$\d{2}\$.{53}$/.test(code)
        ? { id: newId('bkc'), codeHash: code, hasher: 'bcrypt' as const }
        : { id: newId('bkc'), codeHash: sha256(normalizeBackupCode(code)), hasher: 'sha256' as const },
    );
  }

  async function checkTotp(userId: string, code: string): Promise<boolean> {
    const record = await store.mfa.findTotp(userId);
    if (!record?.confirmed || !/^\d{6}$/.test(code)) return false;
    const now = clock.now().getTime();
    const secret = Secret.fromBase32(box.open(record.secretSealed));
    const delta = TOTP.validate({ token: code, secret, period: PERIOD, timestamp: now, window: 1 });
    if (delta === null) return false;
    // A code is good for one use: the step it belongs to must be later than the last one used.
    return store.mfa.claimTotpStep(userId, TOTP.counter({ period: PERIOD, timestamp: now }) + delta);
  }

  async function checkBackupCode(userId: string, code: string): Promise<boolean> {
    const normalized = normalizeBackupCode(code);
    if (!normalized || normalized.length > 64) return false;
    if (await store.mfa.consumeBackupCodeByHash(userId, sha256(normalized), clock.now())) return true;
    for (const record of await store.mfa.unusedBcryptCodes(userId)) {
      if ((await bcrypt.compare(normalized, record.codeHash)) && (await store.mfa.consumeBackupCodeById(record.id, clock.now()))) return true;
    }
    return false;
  }

  return {
    /** Starts TOTP enrolment: a fresh secret, unconfirmed until a code from it is verified. */
    async enrollTotp(userId: string, label: string): Promise<{ secret: string; uri: string }> {
      const secret = new Secret({ size: 20 });
      await store.mfa.putTotp(userId, box.seal(secret.base32), false, clock.now());
      const uri = new TOTP({ issuer: deps.issuer, label, secret, period: PERIOD, digits: 6, algorithm: 'SHA1' }).toString();
      return { secret: secret.base32, uri };
    },

    /** Confirms enrolment with a current code; TOTP is enabled from then on. */
    async confirmTotp(userId: string, code: string): Promise<boolean> {
      const record = await store.mfa.findTotp(userId);
      if (!record || record.confirmed) return false;
      const now = clock.now().getTime();
      const delta = TOTP.validate({ token: code, secret: Secret.fromBase32(box.open(record.secretSealed)), period: PERIOD, timestamp: now, window: 1 });
      if (delta === null) return false;
      await store.transaction(async (tx) => {
        await tx.mfa.confirmTotp(userId);
        await tx.mfa.claimTotpStep(userId, TOTP.counter({ period: PERIOD, timestamp: now }) + delta);
        await tx.users.update(userId, { totpEnabled: true, updatedAt: clock.now() });
        await tx.events.record({ type: 'user.totp.enabled', subjectId: userId, payload: {}, at: clock.now() });
      });
      return true;
    },

    /** Imports a secret from another system (already confirmed there). Runs inside the caller's transaction. */
    async importTotp(tx: Store, userId: string, secret: string): Promise<void> {
      const parsed = parseSecret(secret);
      await tx.mfa.putTotp(userId, box.seal(parsed.base32), true, clock.now());
      await tx.users.update(userId, { totpEnabled: true, updatedAt: clock.now() });
    },

    /** Imports backup codes, plain or as bcrypt digests. Runs inside the caller's transaction. */
    async importBackupCodes(tx: Store, userId: string, codes: string[]): Promise<void> {
      if (codes.length > 50) throw new DomainError('invalid_param', 'At most 50 backup codes.', { param: 'backup_codes' });
      await tx.mfa.replaceBackupCodes(userId, await backupRecords(codes), clock.now());
      await tx.users.update(userId, { backupCodeEnabled: codes.length > 0, updatedAt: clock.now() });
    },

    /** Makes a new set of backup codes, voiding the old set; the codes are shown only now. */
    async regenerateBackupCodes(userId: string): Promise<string[]> {
      const codes = Array.from({ length: BACKUP_CODE_COUNT }, () => Array.from({ length: 10 }, () => BACKUP_ALPHABET[randomInt(BACKUP_ALPHABET.length)]).join(''));
      await store.transaction(async (tx) => {
        await tx.mfa.replaceBackupCodes(userId, await backupRecords(codes), clock.now());
        await tx.users.update(userId, { backupCodeEnabled: true, updatedAt: clock.now() });
        await tx.events.record({ type: 'user.backup_codes.regenerated', subjectId: userId, payload: {}, at: clock.now() });
      });
      return codes;
    },

    /**
     * Verifies a TOTP or backup code, throttled per user. Throws `mfa_not_configured` when the
     * user has neither, `mfa_throttled` past the budget, `mfa_code_incorrect` on a wrong code.
     */
    async verify(userId: string, code: string): Promise<{ codeType: 'totp' | 'backup_code' }> {
      const user = await store.users.findById(userId);
      if (!user) throw new DomainError('user_not_found', `No user was found with id ${userId}.`, { param: 'user_id' });
      if (!user.totpEnabled && !user.backupCodeEnabled) throw new DomainError('mfa_not_configured', 'This user has no second factor.', { param: 'code' });
      if (!(await store.mfa.reserveAttempt(userId, clock.now(), MFA_MAX_FAILURES, MFA_WINDOW_MS))) {
        throw new DomainError('mfa_throttled', 'Too many attempts; try again in a few minutes.', { param: 'code', retryAfterSeconds: MFA_WINDOW_MS / 1000 });
      }
      const trimmed = code.trim();
      let codeType: 'totp' | 'backup_code' | null = null;
      if (user.totpEnabled && (await checkTotp(userId, trimmed))) codeType = 'totp';
      else if (user.backupCodeEnabled && (await checkBackupCode(userId, trimmed))) codeType = 'backup_code';
      if (!codeType) throw new DomainError('mfa_code_incorrect', 'The code is incorrect.', { param: 'code' });
      await store.mfa.clearAttempts(userId);
      return { codeType };
    },

    async deleteTotp(userId: string): Promise<void> {
      await store.transaction(async (tx) => {
        if (!(await tx.users.lockForUpdate(userId))) throw new DomainError('user_not_found', `No user was found with id ${userId}.`, { param: 'user_id' });
        await tx.mfa.deleteTotp(userId);
        await tx.users.update(userId, { totpEnabled: false, updatedAt: clock.now() });
      });
    },

    async deleteBackupCodes(userId: string): Promise<void> {
      await store.transaction(async (tx) => {
        if (!(await tx.users.lockForUpdate(userId))) throw new DomainError('user_not_found', `No user was found with id ${userId}.`, { param: 'user_id' });
        await tx.mfa.deleteBackupCodes(userId);
        await tx.users.update(userId, { backupCodeEnabled: false, updatedAt: clock.now() });
      });
    },

    /** Removes every second factor at once. */
    async disableAll(userId: string): Promise<void> {
      await store.transaction(async (tx) => {
        if (!(await tx.users.lockForUpdate(userId))) throw new DomainError('user_not_found', `No user was found with id ${userId}.`, { param: 'user_id' });
        await tx.mfa.deleteTotp(userId);
        await tx.mfa.deleteBackupCodes(userId);
        await tx.users.update(userId, { totpEnabled: false, backupCodeEnabled: false, updatedAt: clock.now() });
        await tx.events.record({ type: 'user.mfa.disabled', subjectId: userId, payload: {}, at: clock.now() });
      });
    },
  };
}

export type MfaService = ReturnType<typeof createMfaService>;
