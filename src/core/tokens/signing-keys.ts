import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import type { Clock } from '../clock.ts';
import type { SecretBox } from '../crypto/secret-box.ts';
import type { Store } from '../store.ts';
import type { SigningKeyRecord } from './token-store.ts';
import type { PublicJwk, SigningKeyService } from './types.ts';

/** How long a process trusts its cached keys before re-reading them, so a rotation elsewhere is seen. */
export const KEY_REFRESH_MS = 30_000;
/**
 * Slack added to a rotated key's publication: verifiers may accept a token this long past `exp`
 * (a template's `allowed_clock_skew` goes up to 300 s).
 */
export const VERIFIER_SKEW_SECONDS = 300;

export interface SigningKeyDeps {
  store: Store;
  clock: Clock;
  box: SecretBox;
  /** The longest lifetime a session token may be issued with (templates are read at rotation). */
  maxSessionTokenSeconds: number;
  refreshMs?: number;
}

/** The service plus what the token service needs to verify: the public key of a published kid. */
export interface SigningKeys extends SigningKeyService {
  /** The public key of a published kid, or null; an unknown kid re-reads the table at most once a second. */
  publicKey(kid: string): Promise<CryptoKey | null>;
}

interface Loaded {
  at: number;
  keys: SigningKeyRecord[];
}

/**
 * RSA-2048 keys that sign session tokens. The first is made on first use; the private part is
 * stored sealed with the instance encryption key and is never logged or published.
 */
export function createSigningKeys(deps: SigningKeyDeps): SigningKeys {
  const { store, clock, box } = deps;
  const refreshMs = deps.refreshMs ?? KEY_REFRESH_MS;
  let loaded: Loaded | null = null;
  let loading: Promise<Loaded> | null = null;
  let lastMissReload = 0;
  const privateKeys = new Map<string, Promise<CryptoKey>>();
  const publicKeys = new Map<string, Promise<CryptoKey>>();

  async function generate(now: Date): Promise<SigningKeyRecord> {
    const { publicKey, privateKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
    const pub = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(pub);
    const publicJwk: PublicJwk = { kty: 'RSA', kid, use: 'sig', alg: 'RS256', n: pub.n as string, e: pub.e as string };
    const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };
    return { kid, publicJwk, privateKeySealed: box.seal(JSON.stringify(privateJwk)), createdAt: now, supersededAt: null, publishedUntil: null };
  }

  async function ensureCurrent(): Promise<void> {
    if (await store.signingKeys.current()) return;
    const now = clock.now();
    const fresh = await generate(now);
    await store.transaction(async (tx) => {
      // Another process may have won the race; then its key is the current one and this one is dropped.
      if (await tx.signingKeys.insertIfNoCurrent(fresh)) {
        await tx.events.record({ type: 'signing_key.created', subjectId: fresh.kid, payload: { kid: fresh.kid }, at: now });
      }
    });
  }

  async function load(): Promise<Loaded> {
    await ensureCurrent();
    const keys = await store.signingKeys.published(clock.now());
    return { at: clock.now().getTime(), keys };
  }

  async function published(force = false): Promise<SigningKeyRecord[]> {
    const now = clock.now().getTime();
    if (force || !loaded || now - loaded.at >= refreshMs || now < loaded.at) {
      loading ??= load().finally(() => {
        loading = null;
      });
      loaded = await loading;
    }
    // A superseded key leaves JWKS at its time even between two reads.
    return loaded.keys.filter((k) => k.supersededAt === null || (k.publishedUntil && k.publishedUntil.getTime() > now));
  }

  function openPrivate(k: SigningKeyRecord): Record<string, unknown> {
    return JSON.parse(box.open(k.privateKeySealed)) as Record<string, unknown>;
  }

  const self: SigningKeys = {
    async current() {
      const keys = await published();
      const key = keys.find((k) => k.supersededAt === null) ?? (await published(true)).find((k) => k.supersededAt === null);
      if (!key) throw new Error('No current signing key');
      let privateKey = privateKeys.get(key.kid);
      if (!privateKey) {
        privateKey = importJWK(openPrivate(key) as JWK, 'RS256') as Promise<CryptoKey>;
        privateKeys.set(key.kid, privateKey);
      }
      return { kid: key.kid, privateKey: await privateKey };
    },

    async jwks() {
      // Read fresh: verifiers cache the set themselves, and one that met a new kid must find it here.
      return { keys: (await published(true)).map((k) => ({ ...k.publicJwk })) };
    },

    async privateJwks() {
      return { keys: (await published()).map(openPrivate) };
    },

    async rotate() {
      await ensureCurrent();
      const now = clock.now();
      const templateLifetime = await store.jwtTemplates.maxInstanceKeyLifetime();
      // Tokens signed by the old key until now, or by another process until its cache refreshes, stay verifiable.
      const boundSeconds = Math.max(deps.maxSessionTokenSeconds, templateLifetime) + VERIFIER_SKEW_SECONDS + Math.ceil(refreshMs / 1000);
      const until = new Date(now.getTime() + boundSeconds * 1000);
      const fresh = await generate(now);
      await store.transaction(async (tx) => {
        const previous = await tx.signingKeys.supersedeCurrent(now, until);
        await tx.signingKeys.insert(fresh);
        await tx.signingKeys.deleteRetired(now);
        await tx.events.record({ type: 'signing_key.rotated', subjectId: fresh.kid, payload: { kid: fresh.kid, previous_kid: previous, previous_published_until: until.toISOString() }, at: now });
      });
      loaded = null;
      return { kid: fresh.kid };
    },

    async publicKey(kid) {
      let key = (await published()).find((k) => k.kid === kid);
      if (!key) {
        // A kid minted by another node since the last read; forged kids cannot force more than one read a second.
        const now = clock.now().getTime();
        if (Math.abs(now - lastMissReload) < 1000) return null;
        lastMissReload = now;
        key = (await published(true)).find((k) => k.kid === kid);
        if (!key) return null;
      }
      let pub = publicKeys.get(kid);
      if (!pub) {
        pub = importJWK(key.publicJwk as unknown as JWK, 'RS256') as Promise<CryptoKey>;
        publicKeys.set(kid, pub);
      }
      return pub;
    },
  };
  return self;
}
