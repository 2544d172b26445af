/**
 * Scratch PostgreSQL databases for the benchmark, and a fast SQL seed that produces rows the app
 * itself could have written: same schema (the app's own migrations), normalised identifiers and
 * `users.search` computed with the expression of `refreshSearch` in src/storage/user-store.ts.
 */
import { randomBytes } from 'node:crypto';
import { hash } from '@node-rs/argon2';
import pg from 'pg';
import { openStorage } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';

export const ADMIN_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';

export interface Scratch {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** Scratch databases not dropped yet, so an interrupted run can still drop them. */
export const liveScratches = new Set<Scratch>();

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  c.on('error', (e) => console.error(`[bench] PostgreSQL client error: ${e.message}`));
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** Creates an empty database next to ADMIN_URL's (the pattern of scratchPostgres in test/helpers). */
export async function createScratch(label: string): Promise<Scratch> {
  const name = `lk_bench_${label}_${randomBytes(4).toString('hex')}`;
  await withClient(ADMIN_URL, (c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const scratch: Scratch = {
    name,
    url: url.toString(),
    async drop() {
      liveScratches.delete(scratch);
      // A pool that has just been ended may still be closing an idle connection; give it time to
      // leave by itself, since terminating it (WITH FORCE) raises an error on a pool that may
      // have no 'error' listener (Latchkey's has none) and would crash this process.
      await withClient(ADMIN_URL, async (c) => {
        for (let attempt = 0; attempt < 25; attempt++) {
          try {
            await c.query(`DROP DATABASE IF EXISTS ${name}`);
            return;
          } catch (e) {
            if ((e as { code?: string }).code !== '55006') throw e; // 55006: still in use
            await new Promise((r) => setTimeout(r, 200));
          }
        }
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      });
    },
  };
  liveScratches.add(scratch);
  return scratch;
}

/** The values seeded user n gets; the load generators build requests from these. */
export const seeded = {
  id: (n: number) => `user_bench${n}`,
  email: (n: number) => `User.${n}@Example.com`,
  username: (n: number) => `bench_user_${n}`,
  externalId: (n: number) => `ext_bench_${n}`,
};

export interface SeedStats {
  users: number;
  seconds: number;
  searchMismatches: number | null;
  tableMb: number;
}

/**
 * Migrates `url` with the app's migrations, then inserts `count` users, each with one verified
 * email identifier that is also its primary, in a few set-based statements.
 */
export async function seedUsers(url: string, count: number, log: (s: string) => void): Promise<SeedStats> {
  const started = performance.now();
  const storage = await openStorage(loadConfig({ DATABASE_URL: url, LOG_LEVEL: 'warn' }));
  await storage.close();
  // Seeded users have a real argon2id digest (one shared value) so rows have their usual width.
  const digest = await hash('bench seed password', { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 });
  return withClient(url, async (c) => {
    await c.query(`SET synchronous_commit = off`);
    await c.query(`SET maintenance_work_mem = '256MB'`);
    const chunk = 250_000;
    for (let from = 1; from <= count; from += chunk) {
      const to = Math.min(count, from + chunk - 1);
      // search = lower(concat_ws(' ', id without 'user_', username, first_name, last_name, display_name, <identifier values>)),
      // exactly refreshSearch's expression, written inline because each user has one identifier.
      await c.query(
        `INSERT INTO users (id, uuid, external_id, username, first_name, last_name, public_metadata, private_metadata,
           unsafe_metadata, password_digest, password_hasher, primary_email_address_id, search, created_at, updated_at)
         SELECT 'user_bench' || n, gen_random_uuid(), 'ext_bench_' || n, 'bench_user_' || n, 'First' || n, 'Last' || n,
           '{"plan":"free"}', '{}', '{}', $3, 'argon2id', 'idn_bench' || n,
           lower(concat_ws(' ', 'bench' || n, 'bench_user_' || n, 'First' || n, 'Last' || n, NULL::text, 'User.' || n || '@Example.com')),
           timestamptz '2024-01-01' + n * interval '7 seconds', timestamptz '2024-01-01' + n * interval '7 seconds'
         FROM generate_series($1::int, $2::int) AS n`,
        [from, to, digest],
      );
      await c.query(
        `INSERT INTO identifiers (id, user_id, type, value, normalized, verified, verification_strategy, created_at, updated_at)
         SELECT 'idn_bench' || n, 'user_bench' || n, 'email_address', 'User.' || n || '@Example.com', 'user.' || n || '@example.com',
           true, 'admin', timestamptz '2024-01-01' + n * interval '7 seconds', timestamptz '2024-01-01' + n * interval '7 seconds'
         FROM generate_series($1::int, $2::int) AS n`,
        [from, to],
      );
      log(`  seeded ${to.toLocaleString('en-US')} / ${count.toLocaleString('en-US')} users`);
    }
    await c.query('VACUUM (ANALYZE) users');
    await c.query('VACUUM (ANALYZE) identifiers');
    // Check the inline search text against refreshSearch's own expression (a sample on large seeds).
    let searchMismatches: number | null = null;
    const sampleEvery = Math.max(1, Math.floor(count / 20_000));
    const { rows } = await c.query<{ n: string }>(
      `SELECT count(*) AS n FROM users
       WHERE numeric_id % $1 = 0 AND search <> lower(concat_ws(' ', regexp_replace(id, '^user_', ''), username, first_name, last_name, display_name,
         (SELECT string_agg(i.value, ' ' ORDER BY i.seq) FROM identifiers i WHERE i.user_id = users.id)))`,
      [sampleEvery],
    );
    searchMismatches = Number(rows[0].n);
    const size = await c.query<{ mb: string }>(`SELECT pg_total_relation_size('users') / 1048576.0 AS mb`);
    return { users: count, seconds: (performance.now() - started) / 1000, searchMismatches, tableMb: Number(size.rows[0].mb) };
  });
}

/** PostgreSQL's version string and the settings that matter for these numbers. */
export async function serverInfo(): Promise<string> {
  return withClient(ADMIN_URL, async (c) => {
    const v = await c.query<{ v: string }>(`SELECT current_setting('server_version') AS v`);
    const s = await c.query<{ name: string; setting: string; unit: string | null }>(
      `SELECT name, setting, unit FROM pg_settings WHERE name IN ('shared_buffers', 'max_connections', 'work_mem', 'jit')`,
    );
    const settings = s.rows.map((r) => `${r.name}=${r.setting}${r.unit ?? ''}`).join(', ');
    return `PostgreSQL ${v.rows[0].v} (${settings})`;
  });
}

/**
 * Cross-checks the seeded search text with the app's own refreshSearch: PATCHes a few users with
 * an empty body (which rewrites their search text) and counts those whose text changed.
 */
export async function searchDriftViaApp(dbUrl: string, appUrl: string, key: string, users: number, sample = 20): Promise<number> {
  return withClient(dbUrl, async (c) => {
    let changed = 0;
    for (let k = 1; k <= sample; k++) {
      const id = seeded.id(Math.max(1, Math.floor((users * k) / sample)));
      const before = await c.query<{ search: string }>('SELECT search FROM users WHERE id = $1', [id]);
      const res = await fetch(`${appUrl}/v1/users/${id}`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: '{}',
      });
      await res.text();
      if (res.status !== 200) throw new Error(`PATCH ${id} answered ${res.status}`);
      const after = await c.query<{ search: string }>('SELECT search FROM users WHERE id = $1', [id]);
      if (before.rows[0]?.search !== after.rows[0]?.search) changed++;
    }
    return changed;
  });
}
