import { createHash, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../clock.ts';
import { DomainError } from '../errors.ts';
import { newId, randomToken } from '../ids.ts';
import type { Store } from '../store.ts';
import type { SecretKeyRecord } from './secret-key-store.ts';

const KEY_PREFIX = 'sk_live_';
/** How long a verified key is trusted without asking storage again; also the revocation bound. */
export const KEY_CACHE_MS = 5_000;
const KEY_CACHE_MAX = 1_000;

export function hashSecretKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export type PublicSecretKey = Omit<SecretKeyRecord, 'keyHash'>;

export interface SecretKeyService {
  /** Creates a key and returns it in full; this is the only time it is shown. */
  create(name: string): Promise<{ key: string; record: PublicSecretKey }>;
  /** Stores a key given from outside (LATCHKEY_SECRET_KEY); a no-op if it exists. */
  ensure(key: string, name: string): Promise<PublicSecretKey>;
  list(): Promise<PublicSecretKey[]>;
  revoke(id: string): Promise<void>;
  countActive(): Promise<number>;
  /** Returns the key's id when `key` is a live secret key, else null. */
  authenticate(key: string): Promise<string | null>;
}

function publicView({ keyHash: _hash, ...rest }: SecretKeyRecord): PublicSecretKey {
  return rest;
}

export function createSecretKeyService(deps: { store: Store; clock: Clock }): SecretKeyService {
  const { store, clock } = deps;
  // A bounded cache keeps the per-request cost of authentication off the database.
  const cache = new Map<string, { id: string; until: number }>();

  async function insert(key: string, name: string): Promise<PublicSecretKey> {
    const record: SecretKeyRecord = {
      id: newId('key'),
      name,
      keyHash: hashSecretKey(key),
      lastFour: key.slice(-4),
      createdAt: clock.now(),
      revokedAt: null,
    };
    await store.secretKeys.insert(record);
    return publicView(record);
  }

  return {
    async create(name) {
      const key = KEY_PREFIX + randomToken(32);
      return { key, record: await insert(key, name) };
    },
    async ensure(key, name) {
      if (!key.startsWith('sk_') || key.length < 24) {
        throw new DomainError('invalid_param', 'A secret key starts with sk_ and has at least 24 characters', { param: 'LATCHKEY_SECRET_KEY' });
      }
      const found = await store.secretKeys.findByHash(hashSecretKey(key));
      return found ? publicView(found) : insert(key, name);
    },
    async list() {
      return (await store.secretKeys.list()).map(publicView);
    },
    async revoke(id) {
      if (!(await store.secretKeys.revoke(id, clock.now()))) {
        throw new DomainError('secret_key_not_found', `No active secret key ${id}`);
      }
      cache.clear();
    },
    countActive: () => store.secretKeys.countActive(),
    async authenticate(key) {
      if (!key.startsWith('sk_') || key.length > 200) return null;
      // Keyed by the presented key itself, so a cache hit costs no hashing.
      const now = Date.now();
      const hit = cache.get(key);
      if (hit && hit.until > now) return hit.id;
      const hash = hashSecretKey(key);
      const found = await store.secretKeys.findByHash(hash);
      // The lookup is by hash; the constant-time compare guards against an index that matches loosely.
      if (!found || found.revokedAt || !timingSafeEqual(Buffer.from(found.keyHash, 'hex'), Buffer.from(hash, 'hex'))) {
        cache.delete(key);
        return null;
      }
      if (cache.size >= KEY_CACHE_MAX) cache.clear();
      cache.set(key, { id: found.id, until: now + KEY_CACHE_MS });
      return found.id;
    },
  };
}
