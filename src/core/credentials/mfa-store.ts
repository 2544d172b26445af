export interface TotpRecord {
  userId: string;
  secretSealed: string;
  confirmed: boolean;
  lastUsedStep: number;
}

export interface BackupCodeRecord {
  id: string;
  codeHash: string;
  /** 'sha256' for codes Latchkey made or imported in plain; 'bcrypt' for imported digests. */
  hasher: 'sha256' | 'bcrypt';
}

/** Storage for second factors. Claims and consumptions are single atomic statements. */
export interface MfaStore {
  findTotp(userId: string): Promise<TotpRecord | null>;
  /** Replaces the user's TOTP secret. */
  putTotp(userId: string, secretSealed: string, confirmed: boolean, now: Date): Promise<void>;
  confirmTotp(userId: string): Promise<void>;
  /** Marks a time step used; false when it (or a later one) was used already. */
  claimTotpStep(userId: string, step: number): Promise<boolean>;
  deleteTotp(userId: string): Promise<boolean>;
  replaceBackupCodes(userId: string, codes: BackupCodeRecord[], now: Date): Promise<void>;
  /** Marks an unused sha256 code used; false when none matched. */
  consumeBackupCodeByHash(userId: string, codeHash: string, now: Date): Promise<boolean>;
  unusedBcryptCodes(userId: string): Promise<BackupCodeRecord[]>;
  consumeBackupCodeById(id: string, now: Date): Promise<boolean>;
  deleteBackupCodes(userId: string): Promise<number>;
  /** Counts a second-factor attempt; false when the user is over the budget for the window. */
  reserveAttempt(userId: string, now: Date, max: number, windowMs: number): Promise<boolean>;
  clearAttempts(userId: string): Promise<void>;
}
