export interface SecretKeyRecord {
  id: string;
  name: string;
  /** Hex SHA-256 of the whole key; the key itself is never stored. */
  keyHash: string;
  /** The last four characters, so an operator can tell keys apart. */
  lastFour: string;
  createdAt: Date;
  revokedAt: Date | null;
}

export interface SecretKeyStore {
  insert(key: SecretKeyRecord): Promise<void>;
  findByHash(keyHash: string): Promise<SecretKeyRecord | null>;
  list(): Promise<SecretKeyRecord[]>;
  revoke(id: string, at: Date): Promise<boolean>;
  countActive(): Promise<number>;
}
