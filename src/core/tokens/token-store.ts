import type { PublicJwk } from './types.ts';

/** One stored signing key. The private JWK is sealed (encrypted at rest) and opened only to sign. */
export interface SigningKeyRecord {
  kid: string;
  publicJwk: PublicJwk;
  privateKeySealed: string;
  createdAt: Date;
  /** When a rotation replaced it; null for the current key. */
  supersededAt: Date | null;
  /** When it leaves JWKS: every token it signed has expired by then. */
  publishedUntil: Date | null;
}

export interface SigningKeyStore {
  /** The one key with `supersededAt` null, if any. */
  current(): Promise<SigningKeyRecord | null>;
  /**
   * Inserts a first current key unless one exists (a unique index keeps one current key, so of
   * two racing processes one insert is a no-op). Returns whether this insert won.
   */
  insertIfNoCurrent(key: SigningKeyRecord): Promise<boolean>;
  /** Keys still published at `now`: the current one and superseded ones before `publishedUntil`, newest first. */
  published(now: Date): Promise<SigningKeyRecord[]>;
  /**
   * Marks the current key superseded (locking it, so concurrent rotations serialise) and inserts
   * the new one, in the caller's transaction. Returns the superseded kid, if there was one.
   */
  supersedeCurrent(at: Date, publishedUntil: Date): Promise<string | null>;
  insert(key: SigningKeyRecord): Promise<void>;
  /** Deletes keys that left JWKS before `before`: their private parts are no longer needed. */
  deleteRetired(before: Date): Promise<number>;
}

export type TemplateAlgorithm = 'RS256' | 'RS384' | 'RS512' | 'ES256' | 'HS256' | 'HS384' | 'HS512';

export interface JwtTemplate {
  id: string; // jtmp_...
  name: string;
  claims: Record<string, unknown>;
  /** Token lifetime in seconds. */
  lifetime: number;
  /** Seconds `nbf` is set back, for verifiers whose clocks lag. */
  allowedClockSkew: number;
  customSigningKey: boolean;
  signingAlgorithm: TemplateAlgorithm;
  /** Sealed custom key (PEM or HMAC secret); null when the instance key signs. */
  signingKeySealed: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface JwtTemplateStore {
  insert(t: JwtTemplate): Promise<void>;
  update(t: JwtTemplate): Promise<void>;
  findById(id: string): Promise<JwtTemplate | null>;
  findByName(name: string): Promise<JwtTemplate | null>;
  list(limit: number, offset: number): Promise<{ data: JwtTemplate[]; totalCount: number }>;
  delete(id: string): Promise<boolean>;
  /** The longest lifetime of templates the instance key signs: it bounds how long a rotated key stays published. */
  maxInstanceKeyLifetime(): Promise<number>;
}
