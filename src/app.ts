import type { FastifyInstance } from 'fastify';
import type { Config } from './config.ts';
import { type Clock, systemClock } from './core/clock.ts';
import { type BreachedPasswords, loadBreachedPasswords } from './core/credentials/breached-passwords.ts';
import { DEFAULT_LOCKOUT } from './core/credentials/lockout.ts';
import { createPasswordHasher, DEFAULT_HASHING, type HashingOptions, type PasswordHasher } from './core/credentials/password-hasher.ts';
import { createMfaService } from './core/credentials/mfa.ts';
import { secretBox } from './core/crypto/secret-box.ts';
import { createSecretKeyService } from './core/keys/secret-keys.ts';
import { loadEncryptionKey } from './encryption-key.ts';
import { createIdentifierService } from './core/users/identifier-service.ts';
import { createProfileImageService } from './core/users/profile-images.ts';
import { createUserService } from './core/users/user-service.ts';
import { clerkDialect } from './http/dialects/clerk/index.ts';
import { registerImageRoute } from './http/images-route.ts';
import { createHttpServer } from './http/server.ts';
import { openDatabase, type DatabaseHandle } from './storage/db.ts';
import { migrateToLatest } from './storage/migrate.ts';
import { createStore } from './storage/store.ts';
import pkg from '../package.json' with { type: 'json' };

export interface AppOverrides {
  clock?: Clock;
  /** Tests lower argon2's cost; production keeps the security baseline's. */
  hashing?: Partial<HashingOptions>;
  breached?: BreachedPasswords;
  /** Lets a test observe or slow down password checks. */
  wrapHasher?: (hasher: PasswordHasher) => PasswordHasher;
}

/** Opens storage and brings the schema up to date. */
export async function openStorage(config: Config): Promise<DatabaseHandle> {
  const handle = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  await migrateToLatest(handle.db);
  return handle;
}

/**
 * The composition root: config -> storage -> services -> dialects. Everything is created here
 * with explicit dependencies, so a test can build the whole server on any database.
 */
export async function createApp(config: Config, overrides: AppOverrides = {}) {
  const database = await openStorage(config);
  const store = createStore(database.db);
  const clock = overrides.clock ?? systemClock;
  const breached = overrides.breached ?? (await loadBreachedPasswords());
  const baseHasher = createPasswordHasher({
    ...DEFAULT_HASHING,
    ...(config.hashConcurrency ? { concurrency: config.hashConcurrency } : {}),
    ...overrides.hashing,
  });
  const hasher = overrides.wrapHasher ? overrides.wrapHasher(baseHasher) : baseHasher;
  const rules = { requireIdentifier: config.requireIdentifier, requirePassword: false };
  const lockout = { ...DEFAULT_LOCKOUT, threshold: config.lockoutThreshold, durationMs: config.lockoutMinutes * 60_000 };
  const box = secretBox(await loadEncryptionKey(config.encryptionKey, config.dataDir));
  const mfa = createMfaService({ store, clock, box, issuer: config.publicUrl ? new URL(config.publicUrl).host : 'Latchkey' });
  const users = createUserService({ store, clock, hasher, breached, rules, lockout, mfa });
  const identifiers = createIdentifierService({ store, clock, rules });
  const secretKeys = createSecretKeyService({ store, clock });
  const profileImages = createProfileImageService({ store, clock });
  // Until PUBLIC_URL is set, links point at the address the server actually listens on.
  const publicUrl = () => config.publicUrl ?? listeningUrl(http) ?? `http://localhost:${config.port}`;

  // A fresh instance needs one key to be usable at all; it is shown once, by the caller.
  let firstKey: string | undefined;
  if (config.secretKey) await secretKeys.ensure(config.secretKey, 'LATCHKEY_SECRET_KEY');
  else if ((await secretKeys.countActive()) === 0) firstKey = (await secretKeys.create('first key')).key;

  const http: FastifyInstance = await createHttpServer({
    logLevel: config.logLevel,
    version: pkg.version,
    dialects: [{ prefix: '/v1', plugin: clerkDialect({ users, identifiers, secretKeys, profileImages, publicUrl, clock, mfa }) }],
  });
  registerImageRoute(http, profileImages);

  return {
    http,
    database,
    services: { users, identifiers, secretKeys, hasher, profileImages, mfa },
    firstKey,
    async close() {
      await http.close();
      await database.close();
    },
  };
}

export type App = Awaited<ReturnType<typeof createApp>>;

function listeningUrl(http: FastifyInstance): string | undefined {
  const a = http.addresses()[0];
  if (!a || typeof a === 'string') return undefined;
  const host = a.address === '0.0.0.0' || a.address === '::' ? 'localhost' : a.family === 'IPv6' ? `[${a.address}]` : a.address;
  return `http://${host}:${a.port}`;
}
