/**
 * Sign-in, session and OpenID provider loads (issue #5, section 9), on the app and baseline
 * bench/run.ts already started over the seeded scratch database:
 *   POST /sign-in (hosted form, password -> session)   vs raw argon2id, and p99 at half that load vs one hash
 *   POST /v1/sessions/{id}/verify                       vs baseline: one primary-key read
 *   POST /oauth/token, client_credentials               vs baseline: one read + one jose RS256 signature
 *   POST /oauth/token, refresh_token                    recorded only
 * Requests are prepared through the app's own HTTP interface first (bench/sessions-setup.ts).
 */
import pg from 'pg';
import { type RawHashResult, rawHashing } from './argon-raw.ts';
import { type CompareContext, compareReads, measuredLoad, readVerdicts } from './compare.ts';
import { fmt, type LoadResult, type LoadSpec, type RequestVariant, warmUp } from './load.ts';
import { mean, type ReadMeasure, type Verdict } from './report.ts';
import { checkSignIn, createOAuthApp, refreshTokens, signInVariants, tokenRequest, verifyPool } from './sessions-setup.ts';

export const SIGN_IN_TARGET = 0.9;
export const HALF_LOAD_P99_TARGET = 4;
export const VERIFY_TARGET = 0.75;
export const CLIENT_CREDENTIALS_TARGET = 0.6;

export interface SessionsInput {
  ctx: CompareContext;
  /** The scratch database's URL: sessions are counted there to check that each sign-in made one. */
  dbUrl: string;
  lkUrl: string;
  baselineUrl: string;
  key: string;
  users: number;
  connections: number;
  seconds: number;
  /** Rounds of raw hashing against sign-in (the create-user measure's count). */
  signInRounds: number;
  quick: boolean;
}

export interface SignInMeasure {
  connections: number;
  csrfPairs: number;
  raw: RawHashResult[];
  latchkey: LoadResult[];
  /** One hash at a time: "one hash" of the half-load target. */
  oneHash: RawHashResult;
  /** The open-loop load at half the mean sign-in throughput. */
  half: LoadResult;
  /** The same open-loop load on the baseline's hashing floor (one hash + one insert). */
  floorHalf: LoadResult;
  halfRate: number;
  /** Sessions the measured rounds and the half load added, against their 303 answers. */
  sessionsAdded: number;
  okAnswers: number;
}

export interface SessionsMeasure {
  signIn: SignInMeasure;
  verify: ReadMeasure;
  verifySessions: number;
  clientCredentials: ReadMeasure | null;
  refresh: { result: LoadResult; chains: number } | null;
  /** Why a provider measure is missing (the provider failed its sanity check or crashed). */
  failures: string[];
}

async function countSessions(dbUrl: string): Promise<number> {
  const c = new pg.Client({ connectionString: dbUrl });
  await c.connect();
  try {
    return Number((await c.query<{ n: string }>('SELECT count(*) AS n FROM sessions')).rows[0].n);
  } finally {
    await c.end();
  }
}

async function post(url: string, v: RequestVariant, headers: Record<string, string>): Promise<{ status: number; body: any; bytes: number }> {
  const res = await fetch(url + v.path, { method: 'POST', headers: { ...headers, ...v.headers }, body: v.body });
  const text = await res.text();
  return { status: res.status, body: text.startsWith('{') ? JSON.parse(text) : text, bytes: Buffer.byteLength(text) };
}

async function benchSignIn(o: SessionsInput): Promise<SignInMeasure> {
  const log = o.ctx.log;
  const csrfPairs = o.quick ? 20 : 100;
  const variants = await signInVariants(o.lkUrl, o.users, csrfPairs, 5_000);
  await checkSignIn(o.lkUrl, variants[0]);
  const spec: LoadSpec = {
    label: 'latchkey sign-in',
    url: o.lkUrl,
    method: 'POST',
    path: '/sign-in',
    users: o.users,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    variants,
    okStatuses: [303],
    connections: o.connections,
    seconds: o.seconds,
  };
  log('Password sign-in: warming up');
  await warmUp(spec, o.ctx.warmup);
  await rawHashing(o.connections, o.ctx.warmup);
  const before = await countSessions(o.dbUrl);
  const m: Omit<SignInMeasure, 'oneHash' | 'half' | 'floorHalf' | 'halfRate' | 'sessionsAdded' | 'okAnswers'> = { connections: o.connections, csrfPairs, raw: [], latchkey: [] };
  for (let i = 0; i < o.signInRounds; i++) {
    const raw = await rawHashing(o.connections, o.seconds);
    m.raw.push(raw);
    log(`  round ${i + 1} raw      ${fmt.rps(raw.rps).padStart(7)} hashes/s    p50 ${fmt.ms(raw.p50)}  p99 ${fmt.ms(raw.p99)}`);
    const r = await measuredLoad(o.ctx.dbName, spec);
    m.latchkey.push(r);
    log(`  round ${i + 1} latchkey ${fmt.rps(r.rps).padStart(7)} sign-ins/s  p50 ${fmt.ms(r.p50)}  p99 ${fmt.ms(r.p99)}  non-303 ${r.non2xx} ${JSON.stringify(r.statusCodes)}`);
  }
  const oneHash = await rawHashing(1, o.seconds, 'raw argon2id x1');
  log(`  one hash at a time: p50 ${fmt.ms(oneHash.p50)}, p99 ${fmt.ms(oneHash.p99)}`);
  const halfRate = mean(m.latchkey.map((r) => r.rps)) / 2;
  // Long enough for a p99 over a few hundred answers, within a minute.
  const halfSeconds = Math.min(60, Math.max(2 * o.seconds, 300 / Math.max(halfRate, 1)));
  const half = await measuredLoad(o.ctx.dbName, { ...spec, label: 'latchkey sign-in, half load', arrivalRate: halfRate, seconds: halfSeconds });
  log(`  half load ${fmt.rps(halfRate)}/s open loop, ${halfSeconds.toFixed(0)} s: p50 ${fmt.ms(half.p50)}  p99 ${fmt.ms(half.p99)}  non-303 ${half.non2xx}`);
  const floorHalf = await measuredLoad(o.ctx.dbName, { label: 'hashing floor, half load', url: o.baselineUrl, method: 'POST', path: '/floor/hash-insert', users: o.users, headers: {}, connections: o.connections, seconds: halfSeconds, arrivalRate: halfRate });
  log(`  hashing floor at the same rate: p50 ${fmt.ms(floorHalf.p50)}  p99 ${fmt.ms(floorHalf.p99)} (${fmt.x(floorHalf.p99 / oneHash.p50)} one hash)`);
  const sessionsAdded = (await countSessions(o.dbUrl)) - before;
  const okAnswers = m.latchkey.reduce((n, r) => n + r.ok, 0) + half.ok;
  return { ...m, oneHash, half, floorHalf, halfRate, sessionsAdded, okAnswers };
}

async function benchVerify(o: SessionsInput, count: number): Promise<ReadMeasure> {
  const pool = await verifyPool(o.lkUrl, o.key, o.users, count);
  const json = { 'content-type': 'application/json' };
  const auth = { ...json, authorization: `Bearer ${o.key}` };
  const lk = await post(o.lkUrl, pool.latchkey[0], auth);
  const base = await post(o.baselineUrl, pool.baseline[0], json);
  const id = pool.latchkey[0].path?.split('/')[3];
  if (lk.status !== 200 || lk.body.id !== id || lk.body.status !== 'active' || base.status !== 200 || base.body.id !== id) {
    throw new Error(`sanity check failed: session verify: Latchkey ${lk.status} ${lk.body?.id}, baseline ${base.status} ${base.body?.id}`);
  }
  const spec = (label: string, url: string, headers: Record<string, string>, variants: RequestVariant[]): LoadSpec => ({
    label,
    url,
    method: 'POST',
    path: '/',
    users: o.users,
    headers,
    variants,
    connections: o.connections,
    seconds: o.seconds,
  });
  return compareReads(
    o.ctx,
    'POST /v1/sessions/{id}/verify',
    `POST /v1/sessions/{id}/verify {"token": <session token>} over ${count} sessions`,
    spec('baseline session read', o.baselineUrl, json, pool.baseline),
    spec('latchkey session verify', o.lkUrl, auth, pool.latchkey),
    [base.bytes, lk.bytes],
  );
}

async function benchClientCredentials(o: SessionsInput): Promise<ReadMeasure> {
  const client = await createOAuthApp(o.lkUrl, o.key, { scopes: 'latchkey:admin', client_credentials_enabled: true });
  const fields = { grant_type: 'client_credentials', scope: 'latchkey:admin' };
  const lk = await tokenRequest(`${o.lkUrl}/oauth/token`, client, fields);
  const base = await tokenRequest(`${o.baselineUrl}/oauth/token`, client, fields);
  if (lk.status !== 200 || typeof lk.body.access_token !== 'string' || base.status !== 200 || typeof base.body.access_token !== 'string') {
    throw new Error(`sanity check failed: client credentials: Latchkey ${lk.status} ${JSON.stringify(lk.body).slice(0, 200)}, baseline ${base.status}`);
  }
  // The token is what an admin client would use: it must open the admin API.
  const use = await fetch(`${o.lkUrl}/v1/users?limit=1`, { headers: { authorization: `Bearer ${lk.body.access_token}` } });
  await use.arrayBuffer();
  if (use.status !== 200) throw new Error(`sanity check failed: the client-credentials token was refused by GET /v1/users (${use.status})`);
  const body = new URLSearchParams(fields).toString();
  const spec = (label: string, url: string): LoadSpec => ({
    label,
    url,
    method: 'POST',
    path: '/oauth/token',
    users: o.users,
    headers: { authorization: client.basic, 'content-type': 'application/x-www-form-urlencoded' },
    variants: [{ body }],
    connections: o.connections,
    seconds: o.seconds,
  });
  const bytes = (b: unknown) => Buffer.byteLength(JSON.stringify(b));
  return compareReads(o.ctx, 'Client-credentials grant (POST /oauth/token)', 'POST /oauth/token grant_type=client_credentials&scope=latchkey:admin (Basic client auth)', spec('baseline token', o.baselineUrl), spec('latchkey token', o.lkUrl), [
    bytes(base.body),
    bytes(lk.body),
  ]);
}

async function benchRefresh(o: SessionsInput): Promise<{ result: LoadResult; chains: number }> {
  const client = await createOAuthApp(o.lkUrl, o.key, { consent_screen_enabled: false });
  const users = Array.from({ length: o.connections }, (_, i) => 1 + Math.floor(((i + 0.5) * o.users) / o.connections));
  const tokens = await refreshTokens(o.lkUrl, client, users);
  const result = await measuredLoad(o.ctx.dbName, {
    label: 'latchkey refresh',
    url: o.lkUrl,
    method: 'POST',
    path: '/oauth/token',
    users: o.users,
    headers: { authorization: client.basic, 'content-type': 'application/x-www-form-urlencoded' },
    refreshChain: { refreshTokens: tokens },
    connections: tokens.length,
    seconds: o.seconds,
  });
  o.ctx.log(`  refresh grant ${fmt.rps(result.rps)} req/s  p50 ${fmt.ms(result.p50)}  p99 ${fmt.ms(result.p99)}  non2xx ${result.non2xx} ${JSON.stringify(result.statusCodes)}`);
  return { result, chains: tokens.length };
}

export async function benchSessions(o: SessionsInput): Promise<SessionsMeasure> {
  const signIn = await benchSignIn(o);
  const verifySessions = o.quick ? 200 : 1_000;
  const verify = await benchVerify(o, verifySessions);
  const failures: string[] = [];
  // The provider's measures are independent: one failing still leaves the others' numbers.
  let clientCredentials: ReadMeasure | null = null;
  try {
    clientCredentials = await benchClientCredentials(o);
  } catch (e) {
    failures.push(`Client-credentials grant not measured: ${String((e as Error).message ?? e).replace(/\s+/g, ' ')}`);
    o.ctx.log(failures.at(-1) as string);
  }
  let refresh: SessionsMeasure['refresh'] = null;
  try {
    o.ctx.log('Refresh grant: authorization-code flows, then the chains');
    refresh = await benchRefresh(o);
  } catch (e) {
    failures.push(`Refresh grant not measured: ${String((e as Error).message ?? e).replace(/\s+/g, ' ')}`);
    o.ctx.log(failures.at(-1) as string);
  }
  return { signIn, verify, verifySessions, clientCredentials, refresh, failures };
}

const failed = (rs: LoadResult[]) => rs.some((r) => r.non2xx > 0 || r.errors > 0 || r.timeouts > 0);

export function sessionVerdicts(m: SessionsMeasure): Verdict[] {
  const s = m.signIn;
  const rawRps = mean(s.raw.map((r) => r.rps));
  const lkRps = mean(s.latchkey.map((r) => r.rps));
  // autocannon stops counting with up to one sign-in per connection still in flight; the server
  // finishes those, so each closed-loop round may add that many sessions beyond its 303s.
  const slack = s.latchkey.length * s.connections;
  const lost = s.sessionsAdded < s.okAnswers || s.sessionsAdded > s.okAnswers + slack ? ` (${s.okAnswers} sign-ins, ${s.sessionsAdded} sessions)` : '';
  const signInFailed = failed(s.latchkey) || lost !== '';
  const out: Verdict[] = [
    {
      measure: `Password sign-in, POST /sign-in to a session (vs raw argon2id x${s.connections})${signInFailed ? ` (some non-303/errors${lost})` : ''}`,
      baseline: `${fmt.rps(rawRps)} hashes/s`,
      latchkey: `${fmt.rps(lkRps)} sign-ins/s`,
      ratio: fmt.pct(lkRps / rawRps),
      target: `>= ${fmt.pct(SIGN_IN_TARGET)}`,
      pass: !signInFailed && lkRps / rawRps >= SIGN_IN_TARGET,
    },
    {
      measure: `Password sign-in at half that load (${fmt.rps(s.halfRate)}/s), p99 (vs one hash's p50)${failed([s.half]) ? ' (some non-303/errors)' : ''}`,
      baseline: fmt.ms(s.oneHash.p50),
      latchkey: fmt.ms(s.half.p99),
      ratio: fmt.x(s.half.p99 / s.oneHash.p50),
      target: `<= ${fmt.x(HALF_LOAD_P99_TARGET)}`,
      pass: !failed([s.half]) && s.half.p99 / s.oneHash.p50 <= HALF_LOAD_P99_TARGET,
    },
    ...readVerdicts(m.verify, VERIFY_TARGET, null),
  ];
  if (m.clientCredentials) out.push(...readVerdicts(m.clientCredentials, CLIENT_CREDENTIALS_TARGET, null));
  else out.push({ measure: 'Client-credentials grant (POST /oauth/token) throughput', baseline: '-', latchkey: 'not measured', ratio: '-', target: `>= ${fmt.pct(CLIENT_CREDENTIALS_TARGET)}`, pass: false });
  return out;
}
