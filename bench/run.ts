/**
 * `npm run bench`: Latchkey against bare baselines in the same process; writes bench/RESULTS.md.
 *
 *   --no-plans   skip the 1,000,000-user query-plan section (on by default, about 2 minutes)
 *   --plans      run it (the default; kept for explicitness)
 *   --quick      a short smoke run (10k users, 3 s rounds, 100k-user plans); not for RESULTS.md numbers
 *
 * Exits non-zero only when something crashes; missed targets are recorded as FAIL.
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { DEFAULT_HASHING } from '../src/core/credentials/password-hasher.ts';
import { rawHashing, type RawHashResult } from './argon-raw.ts';
import { startBaseline } from './baseline.ts';
import { type CompareContext, compareReads, measuredLoad, readVerdicts } from './compare.ts';
import { createScratch, liveScratches, searchDriftViaApp, seedUsers, seeded, serverInfo, type Scratch } from './db.ts';
import { benchDialectReads, type DialectReadMeasure, renderDialectReads } from './dialects.ts';
import { credentialTimings, outboxThroughput } from './extras.ts';
import { fmt, type LoadResult, type LoadSpec, warmUp } from './load.ts';
import { organizationSeedDrift, seedOrganizations } from './organizations.ts';
import { benchOrganizationReads, ORGANIZATION_READ_TARGET } from './organizations-load.ts';
import { queryPlans, renderPlans } from './plans.ts';
import { type CreateMeasure, machineInfo, mean, type MemoryPoint, type ReadMeasure, renderResults, summary, type Verdict } from './report.ts';
import { dialectVerdicts, outboxVerdict, renderOrganizationSeed, renderOutbox, renderTiming, timingVerdict } from './report-extras.ts';
import { serverMemory } from './server-memory.ts';
import { benchSessions, sessionVerdicts } from './sessions-load.ts';
import { renderSessions, sessionsMethod } from './sessions-report.ts';

const args = new Set(process.argv.slice(2));
const QUICK = args.has('--quick');
const PLANS = !args.has('--no-plans');
const S = {
  users: QUICK ? 10_000 : 100_000,
  planUsers: QUICK ? 100_000 : 1_000_000,
  connections: 10,
  seconds: QUICK ? 3 : 10,
  warmup: QUICK ? 1 : 3,
  rounds: QUICK ? 2 : 4,
  createRounds: QUICK ? 2 : 3,
  poolSize: 10,
  organizations: 10_000,
  memberships: 100_000,
  /** Users the dialect reads pick from, spread evenly over the seed. */
  dialectUsers: 5_000,
  passwordPairs: QUICK ? 20 : 60,
  resetAccounts: 60,
  outboxMessages: QUICK ? 500 : 2_000,
};
const RESULTS = fileURLToPath(new URL('./RESULTS.md', import.meta.url));
const log = (s: string) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${s}`);
const mb = (bytes: number) => bytes / 2 ** 20;
const cleanups: Array<() => Promise<unknown>> = [];

let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 200);
sampler.unref();

function memoryPoint(when: string): MemoryPoint {
  const m = process.memoryUsage();
  peakRss = Math.max(peakRss, m.rss);
  return { when, rssMb: mb(m.rss), heapUsedMb: mb(m.heapUsed), externalMb: mb(m.external) };
}

async function fetchJson(url: string, init: RequestInit = {}): Promise<{ status: number; body: any; bytes: number }> {
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, bytes: Buffer.byteLength(text) };
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`sanity check failed: ${what}`);
}

async function main() {
  const started = performance.now();
  const autocannonVersion = (createRequire(import.meta.url)('autocannon/package.json') as { version: string }).version;
  const machine = machineInfo(await serverInfo(), autocannonVersion);
  log(`${machine.cpu} x${machine.cores}, node ${machine.node}, ${machine.postgres}; load average ${machine.loadBefore}`);
  const notes: string[] = [];
  const memory: MemoryPoint[] = [memoryPoint('process start')];

  const db: Scratch = await createScratch('main');
  cleanups.push(() => db.drop());
  log(`Seeding ${S.users.toLocaleString('en-US')} users into ${db.name}`);
  const seed = await seedUsers(db.url, S.users, log);
  log(`  seeded in ${seed.seconds.toFixed(1)} s; search mismatches against refreshSearch: ${seed.searchMismatches}`);
  if (seed.searchMismatches) notes.push(`${seed.searchMismatches} seeded users' search text differs from refreshSearch's expression.`);
  log(`Seeding ${S.organizations.toLocaleString('en-US')} organizations, ${S.memberships.toLocaleString('en-US')} memberships`);
  const orgSeed = await seedOrganizations(db.url, { organizations: S.organizations, memberships: S.memberships, users: S.users }, log);
  log(`  seeded in ${orgSeed.seconds.toFixed(1)} s`);

  const secretKey = `sk_test_${randomBytes(24).toString('base64url')}`;
  // TRUST_PROXY: per-IP rate limits key on X-Forwarded-For, which the reset timing varies.
  const env = { DATABASE_URL: db.url, LOG_LEVEL: 'warn', LATCHKEY_SECRET_KEY: secretKey, LATCHKEY_ENCRYPTION_KEY: randomBytes(32).toString('hex'), TRUST_PROXY: 'true' };
  // Every sign-in of the sessions measure comes from 127.0.0.1 for a few thousand users: the
  // hosted sign-in's per-address and per-identifier limits are raised so they never refuse it.
  const app = await createApp(loadConfig(env), { signInLimits: { perIp: 1_000_000_000, perIdentifier: 1_000_000_000 } });
  cleanups.unshift(() => app.close());
  const lkUrl = await app.http.listen({ host: '127.0.0.1', port: 0 });
  memory.push(memoryPoint('Latchkey booted (breached list loaded)'));
  const beforeBaseline = process.memoryUsage.rss();
  const baseline = await startBaseline(db.url, S.poolSize);
  cleanups.unshift(() => baseline.close());
  const baselineRssCostMb = mb(process.memoryUsage.rss() - beforeBaseline);
  log(`Latchkey on ${lkUrl}, baseline on ${baseline.url}`);

  // Both sides must do equivalent, successful work before any timing means anything.
  const auth = { authorization: `Bearer ${secretKey}` };
  const n = Math.ceil(S.users / 3);
  const lkUser = await fetchJson(`${lkUrl}/v1/users/${seeded.id(n)}`, { headers: auth });
  const baseUser = await fetchJson(`${baseline.url}/users/${seeded.id(n)}`);
  check(lkUser.status === 200 && lkUser.body.id === seeded.id(n) && lkUser.body.email_addresses[0]?.email_address === seeded.email(n), 'Latchkey GET user');
  check(baseUser.status === 200 && baseUser.body.id === seeded.id(n), 'baseline GET user');
  const drift = await searchDriftViaApp(db.url, lkUrl, secretKey, S.users);
  if (drift) notes.push(`${drift} of 20 sampled users had a different search text after the app's own refreshSearch (via PATCH): the seed no longer matches the app.`);
  log(`  search text vs the app's refreshSearch (20 users PATCHed): ${drift} differ`);
  const emailQuery = (path: string) => `${path}?email_address=${encodeURIComponent(seeded.email(n))}&limit=10`;
  const lkList = await fetchJson(lkUrl + emailQuery('/v1/users'), { headers: auth });
  const baseList = await fetchJson(baseline.url + emailQuery('/users'));
  check(lkList.status === 200 && lkList.body.length === 1 && lkList.body[0].id === seeded.id(n), 'Latchkey list by email');
  check(baseList.status === 200 && baseList.body.length === 1 && baseList.body[0].id === seeded.id(n), 'baseline list by email');
  const orgDrift = await organizationSeedDrift(lkUrl, secretKey, orgSeed);
  if (orgDrift) notes.push(`${orgDrift} of 10 sampled organizations read through the app disagree with the seed: the organization seed no longer matches the app.`);
  log(`  organizations read back through the app: ${orgDrift} of 10 differ from the seed`);

  const common = { users: S.users, connections: S.connections, seconds: S.seconds };
  const get = (label: string, url: string, path: string, headers: Record<string, string> = {}): LoadSpec => ({ ...common, label, url, method: 'GET', path, headers });
  const ctx: CompareContext = { dbName: db.name, warmup: S.warmup, rounds: S.rounds, log };
  const reads: ReadMeasure[] = [];
  reads.push(
    await compareReads(ctx, 'GET /v1/users/{id}', 'GET /v1/users/user_bench{n}', get('baseline by id', baseline.url, '/users/user_bench{n}'), get('latchkey by id', lkUrl, '/v1/users/user_bench{n}', auth), [baseUser.bytes, lkUser.bytes]),
  );
  reads.push(
    await compareReads(
      ctx,
      'GET /v1/users?email_address=...&limit=10',
      'GET /v1/users?email_address=User.{n}%40Example.com&limit=10',
      get('baseline by email', baseline.url, '/users?email_address=User.{n}%40Example.com&limit=10'),
      get('latchkey by email', lkUrl, '/v1/users?email_address=User.{n}%40Example.com&limit=10', auth),
      [baseList.bytes, lkList.bytes],
    ),
  );
  memory.push(memoryPoint('after the read loads'));

  // Create-user: raw hashing is the ceiling; Latchkey's request should cost little beyond it.
  const probe = await fetchJson(`${lkUrl}/v1/users`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ email_address: ['probe@bench.example.com'], password: 'Kq7vX2mP9wL4tR8zN3bY' }),
  });
  check(probe.status === 200 && probe.body.password_enabled === true, `Latchkey create user (status ${probe.status})`);
  const createSpec: LoadSpec = { ...common, label: 'latchkey create', url: lkUrl, method: 'POST', path: '/v1/users', headers: auth, body: 'create-user' };
  log('Create user: warming up');
  await warmUp(createSpec, S.warmup);
  await rawHashing(S.connections, S.warmup);
  const create: CreateMeasure = { connections: S.connections, raw: [], latchkey: [], rawAtGate: null, gateConcurrency: DEFAULT_HASHING.concurrency, floor: [] };
  const floorSpec: LoadSpec = { ...common, label: 'hashing floor', url: baseline.url, method: 'POST', path: '/floor/hash-insert', headers: {} };
  for (let i = 0; i < S.createRounds; i++) {
    const raw = await rawHashing(S.connections, S.seconds);
    create.raw.push(raw);
    log(`  round ${i + 1} raw      ${fmt.rps(raw.rps).padStart(7)} hashes/s  p50 ${fmt.ms(raw.p50)}  p99 ${fmt.ms(raw.p99)}`);
    const h: LoadResult = await measuredLoad(db.name, createSpec);
    create.latchkey.push(h);
    log(`  round ${i + 1} latchkey ${fmt.rps(h.rps).padStart(7)} users/s   p50 ${fmt.ms(h.p50)}  p99 ${fmt.ms(h.p99)}  non2xx ${h.non2xx} ${JSON.stringify(h.statusCodes)}`);
    const f: LoadResult = await measuredLoad(db.name, floorSpec);
    create.floor.push(f);
    log(`  round ${i + 1} floor    ${fmt.rps(f.rps).padStart(7)} req/s     p50 ${fmt.ms(f.p50)}  p99 ${fmt.ms(f.p99)}  (${fmt.pct(f.rps / raw.rps)} of raw)`);
  }
  const gate: RawHashResult = await rawHashing(DEFAULT_HASHING.concurrency, S.seconds);
  create.rawAtGate = gate;
  log(`  info     raw x${gate.concurrency}  ${fmt.rps(gate.rps)} hashes/s (Latchkey's hash gate size)`);
  memory.push(memoryPoint('after all load (reads, create-user, raw hashing)'));

  // The memory verdict: the server alone, started as `npm start` starts it, under the same loads.
  log('Memory: Latchkey in its own process');
  const serverMem = await serverMemory(
    { ...env, LATCHKEY_SECRET_KEY: secretKey },
    [
      { ...get('own process by id', '', '/v1/users/user_bench{n}', auth) },
      { ...get('own process by email', '', '/v1/users?email_address=User.{n}%40Example.com&limit=10', auth) },
      { ...createSpec, label: 'own process create' },
    ].map(({ url: _url, ...spec }) => spec),
    log,
  );

  // The organization and dialect reads run after the RSS verdict's point, so that verdict still
  // measures what it measured before they were added (more load kinds grow V8's heap further).
  const orgReads = await benchOrganizationReads({ ctx, lkUrl, baselineUrl: baseline.url, key: secretKey, users: S.users, stats: orgSeed, connections: S.connections, seconds: S.seconds });
  // Seeded user n has numeric id n (the n-th row of a fresh table); benchDialectReads checks both ends.
  const dialectUsers = Array.from({ length: Math.min(S.users, S.dialectUsers) }, (_, i) => 1 + Math.floor((i * S.users) / Math.min(S.users, S.dialectUsers)));
  const dialects: DialectReadMeasure[] = await benchDialectReads({
    url: lkUrl,
    key: secretKey,
    users: dialectUsers.map((u) => ({ id: seeded.id(u), numericId: u })),
    connections: S.connections,
    seconds: S.seconds,
    rounds: S.rounds,
    warmupSeconds: S.warmup,
    log,
  });
  memory.push(memoryPoint('after the organization and dialect reads (not in the RSS verdict)'));
  // Sign-in, session verify and the OpenID provider's grants (bench/sessions-load.ts).
  const sessions = await benchSessions({
    ctx,
    dbUrl: db.url,
    lkUrl,
    baselineUrl: baseline.url,
    key: secretKey,
    users: S.users,
    connections: S.connections,
    seconds: S.seconds,
    signInRounds: S.createRounds,
    quick: QUICK,
  });
  notes.push(...sessions.failures);
  {
    const s = sessions.signIn;
    notes.push(
      `Half-load floor: the same bare Fastify hash + insert route, with Latchkey's ${DEFAULT_HASHING.concurrency} hash slots, under the same open-loop load (${fmt.rps(s.halfRate)}/s) had p99 ${fmt.ms(s.floorHalf.p99)}, ${fmt.x(s.floorHalf.p99 / s.oneHash.p50)} one hash's p50 (Latchkey's sign-in: ${fmt.x(s.half.p99 / s.oneHash.p50)}).`,
    );
  }
  memory.push(memoryPoint('after the sign-in, session and token loads'));
  // Credential timing: one request at a time, after all the loads.
  const timings = await credentialTimings({ lkUrl, key: secretKey, users: S.users, passwordPairs: S.passwordPairs, resetAccounts: S.resetAccounts, log });

  const verdicts: Verdict[] = reads.flatMap((m) => readVerdicts(m));
  verdicts.push(...orgReads.flatMap((m) => readVerdicts(m, ORGANIZATION_READ_TARGET, null)), ...dialectVerdicts(dialects), ...sessionVerdicts(sessions));
  const rawRps = mean(create.raw.map((r) => r.rps));
  const lkCreate = mean(create.latchkey.map((r) => r.rps));
  const createFailed = create.latchkey.some((r) => r.non2xx > 0 || r.errors > 0 || r.timeouts > 0);
  verdicts.push({
    measure: `POST /v1/users throughput (vs raw argon2id x${S.connections})${createFailed ? ' (some non-2xx/errors)' : ''}`,
    baseline: `${fmt.rps(rawRps)} hashes/s`,
    latchkey: `${fmt.rps(lkCreate)} users/s`,
    ratio: fmt.pct(lkCreate / rawRps),
    target: '>= 90%',
    pass: !createFailed && lkCreate / rawRps >= 0.9,
  });
  const floorRps = mean(create.floor.map((r) => r.rps));
  notes.push(
    `Hashing floor: a bare Fastify POST doing one argon2id hash and one insert (no parsing, validation, checks or response body) reached ${fmt.rps(floorRps)} req/s, ${fmt.pct(floorRps / rawRps)} of raw hashing, in the same rounds: the most any create-user or sign-in could reach against raw hashing on this machine (the load generator, HTTP and PostgreSQL share its cores).`,
  );
  verdicts.push({ measure: 'RSS after the load (Latchkey in its own process)', baseline: '-', latchkey: fmt.mb(serverMem.afterLoadMb), ratio: '-', target: '< 200 MB', pass: serverMem.afterLoadMb < 200 });
  verdicts.push(...timings.map(timingVerdict));

  for (const c of cleanups.splice(0)) await c();
  log(`HTTP benchmarks done in ${((performance.now() - started) / 1000).toFixed(0)} s; scratch database dropped`);

  // Outbox delivery, with the servers closed: in-memory PGlite, then an empty scratch PostgreSQL database.
  const outbox = await outboxThroughput(S.outboxMessages, log);
  verdicts.push(...outbox.results.map(outboxVerdict));
  for (const f of outbox.failed) {
    verdicts.push({ measure: `Outbox delivery to a local SMTP server (${f.split(':')[0]})`, baseline: '-', latchkey: 'crashed', ratio: '-', target: '>= 200 messages/s', pass: false });
    notes.push(`Outbox measurement failed: ${f.replace(/\s+/g, ' ')}`);
  }

  let plans = '';
  if (PLANS) {
    const t = performance.now();
    const report = await queryPlans(S.planUsers, log);
    plans = renderPlans(report, S.planUsers);
    const flagged = report.cases.filter((c) => c.seqScans.length);
    for (const c of flagged) notes.push(`Query plans: sequential scan in "${c.name}"${c.required ? '' : ' (extra)'}: ${c.seqScans.join('; ')}.`);
    log(`Query plans done in ${((performance.now() - t) / 1000).toFixed(0)} s`);
  } else {
    plans = `## Query plans at ${S.planUsers.toLocaleString('en-US')} users\n\nNot produced in this run (\`--no-plans\`).\n`;
  }
  if (QUICK) notes.unshift('`--quick` smoke run: small seed and short rounds; do not quote these numbers.');
  if (availableParallelism() <= 2) notes.push('Load generator, both servers and PostgreSQL share the same cores; absolute numbers are low, ratios are what count.');

  machine.loadAfter = loadavg().map((x) => x.toFixed(2)).join(' / ');
  const sections = [renderOrganizationSeed(orgSeed, orgDrift), renderDialectReads(dialects), renderSessions(sessions), renderTiming(timings), renderOutbox(outbox.results)];
  const method = [
    `- Organizations: \`seedOrganizations\` (bench/organizations.ts) after the users, in the same scratch database. Baseline routes run the app's SQL (src/storage/membership-store.ts, organization-rows.ts): the owner's primary-key read, then the page (limit 10) and the count in parallel, \`{ data, total_count }\`; as named prepared statements, like the app's pool (src/storage/db.ts). (The user-read baseline routes above send unnamed statements, planned on every call.) Same rounds as the reads; target: throughput only (p99 is in the tables).`,
    `- Dialects: \`benchDialectReads\` (bench/dialects.ts): \`GET /v1/users/{id}\` against each dialect's read of the same user on the same app, ${Math.min(S.users, S.dialectUsers).toLocaleString('en-US')} seeded users spread over the seed, ${S.rounds} alternating rounds of ${S.seconds} s after ${S.warmup} s warm-ups. No CPU accounting.`,
    `- Credential timing: \`passwordTiming\` (bench/credentials.ts), ${S.passwordPairs} right/wrong pairs against a user created through POST /v1/users (default argon2id); \`resetTiming\` with ${S.resetAccounts} seeded users' emails against as many unknown addresses, each from its own X-Forwarded-For address.`,
    `- Outbox: \`measureOutboxThroughput\` (bench/outbox.ts), ${S.outboxMessages.toLocaleString('en-US')} messages per backend, each in its own Node process after the HTTP servers closed.`,
    ...sessionsMethod(sessions, { seconds: S.seconds, signInRounds: S.createRounds }),
    '- Order: user reads, create-user, the server-process memory run, organization reads, dialect reads, sign-in, session verify, client-credentials and refresh grants, credential timing, outbox.',
  ];
  const md = renderResults({ machine, settings: S, verdicts, reads: [...reads, ...orgReads], create, memory, serverMemory: serverMem, peakRssMb: mb(peakRss), baselineRssCostMb, plans, notes, method, sections });
  await writeFile(RESULTS, md);
  console.log(`\n${summary(verdicts)}\n\nWrote ${RESULTS} (${((performance.now() - started) / 1000).toFixed(0)} s total)`);
}

async function cleanup() {
  for (const c of cleanups.splice(0)) await c().catch((e) => console.error('cleanup failed:', e));
  for (const s of [...liveScratches]) await s.drop().catch((e) => console.error(`could not drop ${s.name}:`, e));
}

process.once('SIGINT', () => {
  log('interrupted; dropping scratch databases');
  void cleanup().finally(() => process.exit(130));
});

try {
  await main();
  process.exit(0);
} catch (e) {
  console.error('bench crashed:', e);
  await cleanup();
  process.exit(1);
}
