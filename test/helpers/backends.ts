import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { type AppOverrides, createApp, type App } from '../../src/app.ts';
import { type Config, loadConfig } from '../../src/config.ts';
import { breachedPasswordsFrom } from '../../src/core/credentials/breached-passwords.ts';

export type Backend = 'pglite' | 'postgres';

/** PGlite always; PostgreSQL too whenever DATABASE_URL is set (CI sets it). */
export const BACKENDS: Backend[] = process.env.DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];

/** A small breached list keeps test boots fast; the real list is tested on its own. */
export const TEST_BREACHED = breachedPasswordsFrom(['password1', 'password123', 'iloveyou2', 'qwertyuiop', 'correcthorse'].join('\n'));

/** Cheap argon2id parameters for tests that are not about hashing cost. */
export const FAST_HASHING = { memoryCost: 1024, timeCost: 1 };

/** Creates a throw-away PostgreSQL database and returns its URL and a way to drop it. */
export async function scratchPostgres(): Promise<{ url: string; drop: () => Promise<void> }> {
  const base = process.env.DATABASE_URL as string;
  const name = `lk_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export interface TestServer {
  app: App;
  url: string;
  secretKey: string;
  config: Config;
  /** fetch against the server with the secret key set. */
  api(path: string, init?: RequestInit & { json?: unknown }): Promise<Response>;
  close(): Promise<void>;
}

/** Boots the whole server on a fresh database of the given backend, listening on a free port. */
export async function startServer(backend: Backend, env: Record<string, string> = {}, overrides: AppOverrides = {}): Promise<TestServer> {
  const secretKey = `sk_test_${randomBytes(24).toString('base64url')}`;
  const scratch = backend === 'postgres' ? await scratchPostgres() : null;
  const config = loadConfig({
    LATCHKEY_DATA_DIR: 'memory://',
    LATCHKEY_SECRET_KEY: secretKey,
    LOG_LEVEL: 'silent',
    PORT: '0',
    HOST: '127.0.0.1',
    ...(scratch ? { DATABASE_URL: scratch.url } : {}),
    ...env,
  });
  config.dataDir = 'memory://';
  const app = await createApp(config, { breached: TEST_BREACHED, hashing: FAST_HASHING, ...overrides });
  const address = await app.http.listen({ port: 0, host: '127.0.0.1' });
  return {
    app,
    url: address,
    secretKey,
    config,
    api(path, init = {}) {
      const { json, ...rest } = init;
      const headers: Record<string, string> = { authorization: `Bearer ${secretKey}`, ...(rest.headers as Record<string, string>) };
      if (json !== undefined) headers['content-type'] = 'application/json';
      return fetch(address + path, { ...rest, headers, body: json !== undefined ? JSON.stringify(json) : rest.body });
    },
    async close() {
      await app.close();
      await scratch?.drop();
    },
  };
}
