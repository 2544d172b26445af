import { mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.ts';

export interface DatabaseConfig {
  /** A PostgreSQL URL; when absent, embedded PGlite is used. */
  databaseUrl?: string;
  /** PGlite's data folder, or `memory://` for a throw-away database. */
  dataDir: string;
  /** Pool size for PostgreSQL. */
  poolSize?: number;
}

export interface DatabaseHandle {
  db: Kysely<Database>;
  kind: 'pglite' | 'postgres';
  close(): Promise<void>;
}

/** Opens the database the configuration names. */
export async function openDatabase(config: DatabaseConfig): Promise<DatabaseHandle> {
  if (config.databaseUrl) {
    const pool = new pg.Pool({ connectionString: config.databaseUrl, max: config.poolSize ?? 10 });
    // An idle connection the server drops (restart, failover, timeout) must not crash the
    // process; the pool replaces it on the next query.
    pool.on('error', () => {});
    // Fail at boot, with the driver's own message, rather than on the first request.
    const client = await pool.connect();
    client.release();
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: preparedStatements(pool) }) });
    return { db, kind: 'postgres', close: () => db.destroy() };
  }
  // Loaded only when used: a PostgreSQL deployment never pays PGlite's memory.
  const [{ PGlite }, { pg_trgm }, { pgliteDialect }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('@electric-sql/pglite/contrib/pg_trgm'),
    import('./pglite-dialect.ts'),
  ]);
  const release = config.dataDir.startsWith('memory://') ? async () => {} : await lockDataDir(config.dataDir);
  const client = await PGlite.create(config.dataDir, { extensions: { pg_trgm } }).catch(async (e) => {
    await release();
    throw e;
  });
  const db = new Kysely<Database>({ dialect: pgliteDialect(client) });
  return {
    db,
    kind: 'pglite',
    async close() {
      await db.destroy();
      await release();
    },
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * PGlite is a single-process database: two processes on one folder corrupt it. A pid file makes
 * the second one (say, `latchkey keys create` beside a running server) refuse with one line.
 */
async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  await mkdir(dataDir, { recursive: true });
  const file = join(dataDir, 'latchkey.pid');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(file, String(process.pid), { flag: 'wx' });
      return () => unlink(file).catch(() => {});
    } catch {
      const holder = Number((await readFile(file, 'utf8').catch(() => '')).trim());
      if (holder && holder !== process.pid && alive(holder)) {
        throw new Error(`the embedded database in ${dataDir} is in use by process ${holder}; stop it or set DATABASE_URL`);
      }
      await unlink(file).catch(() => {});
    }
  }
  throw new Error(`could not lock ${dataDir}`);
}

const PREPARABLE = /^\s*(select|insert|update|delete|with)\b/i;

/**
 * Runs data statements as named prepared statements, so PostgreSQL plans each query shape once
 * per connection instead of on every call; for Latchkey's small indexed queries, planning cost
 * more than execution. The name is a hash of the text, so one name never means two queries.
 */
function preparedStatements(pool: pg.Pool) {
  const wrapped = new WeakSet<pg.PoolClient>();
  // Hashing a long list query's text on every call showed up in profiles; the shapes are few.
  const names = new Map<string, string>();
  const nameOf = (text: string) => {
    let name = names.get(text);
    if (!name) {
      if (names.size >= 2048) names.clear();
      names.set(text, (name = `lk_${createHash('sha1').update(text).digest('base64url').slice(0, 20)}`));
    }
    return name;
  };
  return {
    async connect() {
      const client = await pool.connect();
      if (!wrapped.has(client)) {
        wrapped.add(client);
        const query = client.query.bind(client) as (...args: unknown[]) => unknown;
        (client as { query: unknown }).query = (text: unknown, values?: unknown) =>
          typeof text === 'string' && PREPARABLE.test(text)
            ? query({ name: nameOf(text), text, values })
            : query(text, values);
      }
      return client;
    },
    end: () => pool.end(),
    options: pool.options,
  };
}
