/**
 * Query plans at scale: seeds a large scratch database, boots the real app on it, sends each
 * HTTP request, captures the SQL the app sent to PostgreSQL for it (by wrapping pg's
 * Client.prototype.query), and records EXPLAIN (ANALYZE, BUFFERS) for that SQL. Any sequential
 * scan on users or identifiers is flagged.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { createScratch, seedUsers, seeded, type SeedStats } from './db.ts';

export interface PlanCase {
  name: string;
  /** Asked for by the issue (the rest are extra context). */
  required: boolean;
  request: string;
  sql: string;
  parameters: readonly unknown[];
  plan: string;
  executionMs: number;
  seqScans: string[];
}

export interface PlansReport {
  seed: SeedStats;
  cases: PlanCase[];
}

const SEQ_SCAN = /(?:Parallel )?Seq Scan on (?:users|identifiers)\b[^\n]*/g;

interface Sent {
  text: string;
  values: unknown[];
}

/** Records every query any pg.Client sends while `on` is set. */
function captureQueries() {
  const sent: Sent[] = [];
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  proto.query = function (this: unknown, ...args: unknown[]) {
    const [first, second] = args as [unknown, unknown];
    if (typeof first === 'string') sent.push({ text: first, values: Array.isArray(second) ? second : [] });
    else if (first && typeof first === 'object' && typeof (first as { text?: unknown }).text === 'string') {
      const q = first as { text: string; values?: unknown[] };
      sent.push({ text: q.text, values: q.values ?? [] });
    }
    return original.apply(this, args);
  };
  return { sent, restore: () => void (proto.query = original) };
}

export async function queryPlans(users: number, log: (s: string) => void): Promise<PlansReport> {
  const scratch = await createScratch('plans');
  try {
    log(`Seeding ${users.toLocaleString('en-US')} users for query plans (${scratch.name})`);
    const seed = await seedUsers(scratch.url, users, log);
    const key = `sk_test_${randomBytes(24).toString('base64url')}`;
    // Installed before the app opens its pool: src/storage/db.ts binds each pooled client's query
    // function once, when the client first connects, so a later patch would miss those clients.
    const capture = captureQueries();
    const app = await createApp(loadConfig({ DATABASE_URL: scratch.url, LOG_LEVEL: 'warn', LATCHKEY_SECRET_KEY: key, LATCHKEY_ENCRYPTION_KEY: randomBytes(32).toString('hex') }));
    const base = await app.http.listen({ host: '127.0.0.1', port: 0 });
    const explainer = new pg.Client({ connectionString: scratch.url });
    explainer.on('error', (e) => log(`plans client error: ${e.message}`));
    await explainer.connect();
    try {
      const n = Math.round(users * 0.777777);
      const q5 = String(n).slice(0, 5);
      const email = encodeURIComponent(seeded.email(n));
      const cases: Array<{ name: string; required: boolean; path: string }> = [
        { name: 'list, default order', required: true, path: '/v1/users?limit=10' },
        { name: 'list by email_address', required: true, path: `/v1/users?email_address=${email}` },
        { name: 'list by username', required: true, path: `/v1/users?username=${seeded.username(n).toUpperCase()}` },
        { name: 'list by external_id', required: true, path: `/v1/users?external_id=${seeded.externalId(n)}` },
        { name: 'count with query (selective)', required: true, path: `/v1/users/count?query=user.${q5}` },
        { name: 'list with query (selective)', required: true, path: `/v1/users?query=user.${q5}` },
        { name: 'list with query (3 chars)', required: true, path: `/v1/users?query=${q5.slice(0, 3)}` },
        { name: 'count by email_address', required: true, path: `/v1/users/count?email_address=${email}` },
        { name: 'get by id', required: false, path: `/v1/users/${seeded.id(n)}` },
        { name: 'count, no filter', required: false, path: '/v1/users/count' },
        { name: 'count with query (matches every user)', required: false, path: '/v1/users/count?query=example.com' },
        { name: 'list with query (matches no user)', required: false, path: '/v1/users?query=nobody-here' },
        { name: 'list, default order, offset 100000', required: false, path: '/v1/users?limit=10&offset=100000' },
      ];
      const out: PlanCase[] = [];
      for (const c of cases) {
        capture.sent.length = 0;
        const res = await fetch(base + c.path, { headers: { authorization: `Bearer ${key}` } });
        await res.text();
        if (res.status !== 200) throw new Error(`${c.path} answered ${res.status}`);
        const query = capture.sent.filter((q) => /"users"/.test(q.text)).at(-1);
        if (!query) throw new Error(`no users query captured for ${c.path}`);
        const explain = `EXPLAIN (ANALYZE, BUFFERS) ${query.text}`;
        await explainer.query(explain, query.values); // the first run warms the cache; keep the second
        const { rows } = await explainer.query<{ 'QUERY PLAN': string }>(explain, query.values);
        const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
        const executionMs = Number(/Execution Time: ([\d.]+) ms/.exec(plan)?.[1] ?? NaN);
        const seqScans = [...plan.matchAll(SEQ_SCAN)].map((m) => m[0].replace(/\s+\(.*$/, '').trim());
        out.push({ name: c.name, required: c.required, request: `GET ${decodeURIComponent(c.path)}`, sql: query.text, parameters: query.values, plan, executionMs, seqScans });
        log(`  ${c.name}: ${executionMs.toFixed(2)} ms${seqScans.length ? `  SEQ SCAN: ${seqScans.join('; ')}` : ''}`);
      }
      return { seed, cases: out };
    } finally {
      capture.restore();
      await explainer.end();
      await app.close();
    }
  } finally {
    await scratch.drop();
  }
}

export function renderPlans(r: PlansReport, users: number): string {
  const lines: string[] = [];
  lines.push(`## Query plans at ${users.toLocaleString('en-US')} users`, '');
  lines.push(
    `Seeded in ${r.seed.seconds.toFixed(0)} s (users table with indexes: ${r.seed.tableMb.toFixed(0)} MB), then VACUUM ANALYZE. ` +
      `Each query is the SQL the running app sent to PostgreSQL for the HTTP request shown (captured at the pg driver), explained with ` +
      '`EXPLAIN (ANALYZE, BUFFERS)`; the second of two runs is shown (warm cache). Cases marked "extra" were not asked for but add context.',
    '',
  );
  lines.push('| query | request | execution | seq scan on users/identifiers |', '|---|---|---|---|');
  for (const c of r.cases) {
    const flag = c.seqScans.length ? `**YES**: ${c.seqScans.join('; ')}` : 'no';
    lines.push(`| ${c.name}${c.required ? '' : ' (extra)'} | \`${c.request}\` | ${c.executionMs.toFixed(2)} ms | ${flag} |`);
  }
  lines.push('');
  for (const c of r.cases) {
    lines.push(`### ${c.name}${c.required ? '' : ' (extra)'}`, '');
    lines.push(`\`${c.request}\` — parameters: \`${JSON.stringify(c.parameters)}\``, '');
    lines.push('<details><summary>SQL</summary>', '', '```sql', c.sql.replace(/\s+/g, ' '), '```', '', '</details>', '');
    lines.push('```', c.plan, '```', '');
  }
  return lines.join('\n');
}
