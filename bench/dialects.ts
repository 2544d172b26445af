/**
 * Read throughput of the compatibility dialects against the native one, on the same running app
 * and the same users: GET /compat/pterodactyl/api/application/users/{numericId} and
 * GET /compat/authress/v1/users/{userId} against GET /v1/users/{id}. Target: each dialect at
 * least 90% of /v1's requests per second. Same autocannon approach as bench/load.ts (a child
 * process, warm-up first, rounds alternating between the sides).
 *
 * `benchDialectReads` is meant to be called from bench/run.ts with its app and seed. Run alone
 * (`node bench/dialects.ts [users] [seconds]`), it seeds a scratch PostgreSQL database itself.
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { fmt, type LoadResult, type LoadSpec, runLoad, warmUp } from './load.ts';
import { mean } from './report.ts';

export interface SeededUserRef {
  /** Latchkey's user id (`user_...`), for /v1 and Authress. */
  id: string;
  /** The numeric id, for Pterodactyl. */
  numericId: number;
}

export interface DialectBenchOptions {
  /** The running app's origin, e.g. http://127.0.0.1:3000 */
  url: string;
  /** A secret key the app accepts. */
  key: string;
  /** Users that exist; each request reads one at random. A few thousand are plenty. */
  users: SeededUserRef[];
  connections?: number;
  seconds?: number;
  rounds?: number;
  warmupSeconds?: number;
  log?: (s: string) => void;
}

export interface DialectReadMeasure {
  dialect: 'pterodactyl' | 'authress';
  request: string;
  /** /v1 rounds and the dialect's rounds, alternated. */
  native: LoadResult[];
  compat: LoadResult[];
  /** Mean dialect req/s over mean /v1 req/s. */
  ratio: number;
  target: number;
  pass: boolean;
}

export const DIALECT_READ_TARGET = 0.9;

const SIDES = {
  native: (u: SeededUserRef) => `/v1/users/${u.id}`,
  pterodactyl: (u: SeededUserRef) => `/compat/pterodactyl/api/application/users/${u.numericId}`,
  authress: (u: SeededUserRef) => `/compat/authress/v1/users/${encodeURIComponent(u.id)}`,
};

/** Checks that every side answers 200 with the same user before anything is timed. */
async function sanityCheck(o: DialectBenchOptions): Promise<void> {
  const headers = { authorization: `Bearer ${o.key}` };
  for (const u of [o.users[0], o.users[o.users.length - 1]]) {
    const native = await fetch(o.url + SIDES.native(u), { headers });
    const panel = await fetch(o.url + SIDES.pterodactyl(u), { headers });
    const authress = await fetch(o.url + SIDES.authress(u), { headers });
    const [n, p, a] = (await Promise.all([native.json(), panel.json(), authress.json()])) as any[];
    const email = n?.email_addresses?.[0]?.email_address;
    if (native.status !== 200 || panel.status !== 200 || authress.status !== 200 || p.attributes.email !== email || a.userId !== u.id || a.email !== email) {
      throw new Error(`dialect bench sanity check failed for ${u.id}: /v1 ${native.status}, pterodactyl ${panel.status}, authress ${authress.status}`);
    }
  }
}

/**
 * Measures /v1 against each compatibility dialect, reading the same users.
 * @example const [ptero, authress] = await benchDialectReads({ url, key, users: [{ id: 'user_bench1', numericId: 1 }] })
 */
export async function benchDialectReads(o: DialectBenchOptions): Promise<DialectReadMeasure[]> {
  if (o.users.length === 0) throw new Error('benchDialectReads needs at least one user');
  const log = o.log ?? (() => {});
  const spec = (label: string, paths: string[]): LoadSpec => ({
    label,
    url: o.url,
    method: 'GET',
    path: paths[0],
    paths,
    users: o.users.length,
    headers: { authorization: `Bearer ${o.key}` },
    connections: o.connections ?? 10,
    seconds: o.seconds ?? 10,
  });
  await sanityCheck(o);
  const native = spec('GET /v1/users/{id}', o.users.map(SIDES.native));
  const out: DialectReadMeasure[] = [];
  for (const dialect of ['pterodactyl', 'authress'] as const) {
    const compat = spec(dialect === 'pterodactyl' ? 'GET /compat/pterodactyl/api/application/users/{numericId}' : 'GET /compat/authress/v1/users/{userId}', o.users.map(SIDES[dialect]));
    log(`${dialect} vs /v1: warming up`);
    await warmUp(native, o.warmupSeconds ?? 3);
    await warmUp(compat, o.warmupSeconds ?? 3);
    const m: DialectReadMeasure = { dialect, request: compat.label, native: [], compat: [], ratio: NaN, target: DIALECT_READ_TARGET, pass: false };
    for (let i = 0; i < (o.rounds ?? 3); i++) {
      for (const [side, s, into] of [['/v1', native, m.native], [dialect, compat, m.compat]] as const) {
        const r = await runLoad(s);
        into.push(r);
        log(`  round ${i + 1} ${side.padEnd(11)} ${fmt.rps(r.rps).padStart(7)} req/s  p50 ${fmt.ms(r.p50)}  p99 ${fmt.ms(r.p99)}  non2xx ${r.non2xx}  errors ${r.errors + r.timeouts}`);
      }
    }
    const failed = [...m.native, ...m.compat].some((r) => r.non2xx > 0 || r.errors > 0 || r.timeouts > 0);
    m.ratio = mean(m.compat.map((r) => r.rps)) / mean(m.native.map((r) => r.rps));
    m.pass = !failed && m.ratio >= DIALECT_READ_TARGET;
    log(`  ${dialect}: ${fmt.pct(m.ratio)} of /v1 (target >= ${fmt.pct(DIALECT_READ_TARGET)}) ${m.pass ? 'PASS' : 'FAIL'}`);
    out.push(m);
  }
  return out;
}

/** A Markdown section for bench/RESULTS.md. */
export function renderDialectReads(ms: DialectReadMeasure[]): string {
  const lines = ['## Compatibility dialect reads', '', 'Read one user by id through each dialect, against `GET /v1/users/{id}` on the same app and users (rounds alternated).', ''];
  lines.push('| request | /v1 req/s | dialect req/s | ratio | dialect p99 | target | result |', '|---|---|---|---|---|---|---|');
  for (const m of ms) {
    const p99 = mean(m.compat.map((r) => r.p99));
    lines.push(
      `| \`${m.request}\` | ${fmt.rps(mean(m.native.map((r) => r.rps)))} | ${fmt.rps(mean(m.compat.map((r) => r.rps)))} | ${fmt.pct(m.ratio)} | ${fmt.ms(p99)} | >= ${fmt.pct(m.target)} | ${m.pass ? 'PASS' : '**FAIL**'} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}

// Standalone: seed a scratch database, boot the app on it, measure, clean up.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { createApp } = await import('../src/app.ts');
  const { loadConfig } = await import('../src/config.ts');
  const { createScratch, seedUsers, seeded } = await import('./db.ts');
  const count = Number(process.argv[2] ?? 10_000);
  const seconds = Number(process.argv[3] ?? 5);
  const log = (s: string) => console.log(`[dialects ${new Date().toISOString().slice(11, 19)}] ${s}`);
  const scratch = await createScratch('dialects');
  try {
    await seedUsers(scratch.url, count, log);
    const key = `sk_test_${randomBytes(24).toString('base64url')}`;
    const app = await createApp(loadConfig({ DATABASE_URL: scratch.url, LOG_LEVEL: 'warn', LATCHKEY_SECRET_KEY: key, LATCHKEY_ENCRYPTION_KEY: randomBytes(32).toString('hex') }));
    try {
      const url = await app.http.listen({ host: '127.0.0.1', port: 0 });
      // The seed inserts user n as the n-th row of a fresh table, so its numeric id is n.
      const users = Array.from({ length: Math.min(count, 5_000) }, (_, i) => ({ id: seeded.id(i + 1), numericId: i + 1 }));
      const results = await benchDialectReads({ url, key, users, seconds, rounds: 3, warmupSeconds: 2, log });
      console.log(`\n${renderDialectReads(results)}`);
    } finally {
      await app.close();
    }
  } finally {
    await scratch.drop();
  }
}
