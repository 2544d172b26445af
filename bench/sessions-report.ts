/** The "Sessions and tokens" section of bench/RESULTS.md and its Method bullets (bench/sessions-load.ts). */
import { fmt, type LoadResult } from './load.ts';
import { mean, median, type ReadMeasure, roundsTable } from './report.ts';
import type { SessionsMeasure } from './sessions-load.ts';

const ms1 = (us: number | undefined) => (us === undefined || Number.isNaN(us) ? '?' : `${(us / 1000).toFixed(1)} ms`);
const cpu = (r: LoadResult) => `node ${ms1(r.cpuPerRequest?.processUs)}, PostgreSQL ${ms1(r.cpuPerRequest?.postgresUs)}`;

function compared(title: string, m: ReadMeasure, baselineWhat: string): string[] {
  const both = (x: LoadResult) => (x.cpuPerRequest ? x.cpuPerRequest.processUs + x.cpuPerRequest.postgresUs : NaN);
  const ratio = mean(m.latchkey.map((x) => x.rps)) / mean(m.baseline.map((x) => x.rps));
  const pair = median(m.baseline.map((b, i) => m.latchkey[i].rps / b.rps));
  const eff = mean(m.baseline.map(both)) / mean(m.latchkey.map(both));
  return [
    `### ${title}`,
    '',
    `\`${m.request}\` against ${baselineWhat}. Response size: baseline ${m.baselineBytes} bytes, Latchkey ${m.latchkeyBytes} bytes. ` +
      `Throughput ratio of the means ${fmt.pct(ratio)}; per-pair median ${fmt.pct(pair)}; CPU efficiency (baseline CPU per request over Latchkey's) ${fmt.pct(eff)}.`,
    '',
    ...roundsTable(m.baseline.flatMap((b, i) => [{ side: 'baseline', r: b }, { side: 'latchkey', r: m.latchkey[i] }])),
    '',
  ];
}

export function renderSessions(m: SessionsMeasure): string {
  const s = m.signIn;
  const L = ['## Sessions and tokens', ''];
  L.push('### Password sign-in', '');
  L.push(
    `\`POST /sign-in\` (the hosted form: csrf, identifier = a random seeded user's email, password) answered 303 with a new \`__latchkey_client\` cookie; ` +
      `the GET that fetched each CSRF cookie and token was made before the load (${s.csrfPairs} browsers), so only the post, the sign-in itself, is measured. ` +
      `The measured rounds and the half load answered ${s.okAnswers} sign-ins with 303 and added ${s.sessionsAdded} sessions to the database ` +
      `(up to ${s.connections} more per round are expected: sign-ins still in flight when autocannon stops counting, which the server completes).`,
    '',
  );
  L.push('| round | what | per second | p50 | p99 | non-303 | errors |', '|---|---|---|---|---|---|---|');
  s.raw.forEach((raw, i) => {
    const r = s.latchkey[i];
    L.push(`| ${i + 1} | raw argon2id x${raw.concurrency} (CPU/hash ${raw.cpuMsPerHash.toFixed(1)} ms) | ${fmt.rps(raw.rps)} hashes | ${fmt.ms(raw.p50)} | ${fmt.ms(raw.p99)} | | |`);
    L.push(`| ${i + 1} | POST /sign-in (${s.connections} conns; CPU/sign-in: ${cpu(r)}) | ${fmt.rps(r.rps)} sign-ins | ${fmt.ms(r.p50)} | ${fmt.ms(r.p99)} | ${r.non2xx} ${JSON.stringify(r.statusCodes)} | ${r.errors + r.timeouts} |`);
  });
  L.push(`| one hash | raw argon2id x1 (one at a time) | ${fmt.rps(s.oneHash.rps)} hashes | ${fmt.ms(s.oneHash.p50)} | ${fmt.ms(s.oneHash.p99)} | | |`);
  L.push(
    `| half load | POST /sign-in, ${fmt.rps(s.halfRate)}/s open loop for ${s.half.seconds.toFixed(0)} s (CPU/sign-in: ${cpu(s.half)}) | ${fmt.rps(s.half.rps)} sign-ins | ${fmt.ms(s.half.p50)} | ${fmt.ms(s.half.p99)} | ${s.half.non2xx} ${JSON.stringify(s.half.statusCodes)} | ${s.half.errors} |`,
    `| half load, floor | bare Fastify POST, one hash + one insert, same rate and time (p99 ${fmt.x(s.floorHalf.p99 / s.oneHash.p50)} one hash) | ${fmt.rps(s.floorHalf.rps)} requests | ${fmt.ms(s.floorHalf.p50)} | ${fmt.ms(s.floorHalf.p99)} | ${s.floorHalf.non2xx} | ${s.floorHalf.errors} |`,
  );
  L.push('');
  L.push(...compared('POST /v1/sessions/{id}/verify', m.verify, `bare Fastify + the session's primary-key read (${m.verifySessions} sessions picked at random)`));
  if (m.clientCredentials) L.push(...compared('Client-credentials grant', m.clientCredentials, 'bare Fastify + the application read by client_id + one jose RS256 signature'));
  L.push('### Refresh grant (recorded, no target)', '');
  if (m.refresh) {
    const r = m.refresh.result;
    L.push(
      `\`POST /oauth/token grant_type=refresh_token\` in ${m.refresh.chains} chains (one per connection, each started by an authorization-code flow through the hosted sign-in form): every answer's rotated refresh token is the chain's next request, so no token is sent twice.`,
      '',
      '| 2xx req/s | p50 | p90 | p99 | max | non-2xx | errors | node CPU/req | PostgreSQL CPU/req |',
      '|---|---|---|---|---|---|---|---|---|',
      `| ${fmt.rps(r.rps)} | ${fmt.ms(r.p50)} | ${fmt.ms(r.p90)} | ${fmt.ms(r.p99)} | ${fmt.ms(r.max)} | ${r.non2xx} ${JSON.stringify(r.statusCodes)} | ${r.errors + r.timeouts} | ${ms1(r.cpuPerRequest?.processUs)} | ${ms1(r.cpuPerRequest?.postgresUs)} |`,
      '',
    );
  } else {
    L.push('Not measured (see Notes).', '');
  }
  return `${L.join('\n')}\n`;
}

export function sessionsMethod(m: SessionsMeasure, o: { seconds: number; signInRounds: number }): string[] {
  const s = m.signIn;
  return [
    `- Sessions and tokens (bench/sessions-load.ts, requests prepared by bench/sessions-setup.ts through the app's HTTP interface), on the same app and scratch database, after the dialect reads. ` +
      "The bench app is created with `signInLimits` raised (`AppOverrides`, per address and per identifier) so the hosted sign-in's rate limits, which every post comes from 127.0.0.1 to, never refuse the load; the limiter still counts every attempt.",
    `- Password sign-in: a form post per request with one of ${s.csrfPairs} CSRF cookie+token pairs fetched by GET /sign-in beforehand (the token is a double-submit cookie, reusable), so the POST (argon2id verify, session and client created, cookie set) is what is measured; success is a 303 setting \`__latchkey_client\`. ` +
      `${o.signInRounds} rounds of raw \`@node-rs/argon2\` hashing x${s.connections} (the create-user baseline) alternating with ${o.seconds} s of sign-ins on ${s.connections} connections; ratio of the means. ` +
      `Half load: requests started at half the mean sign-in throughput with Poisson gaps (open loop, bench/paced-load.ts; latency from each request's scheduled start), p99 against the p50 of one raw hash at a time.`,
    `- Session verify: ${m.verifySessions} sessions of seeded users made by POST /v1/sessions, each with a session token from POST /v1/sessions/{id}/tokens (\`expires_in_seconds: 3600\`, so none expires during the run); each request picks one at random. ` +
      'Latchkey checks the RS256 signature, reads the session and, at most every 5 s per session, writes its activity. Baseline: the same path with one named primary-key read of `sessions`. Same warm-up and rounds as the reads.',
    '- Client-credentials grant: a confidential application with `client_credentials_enabled` and the `latchkey:admin` scope; each request `grant_type=client_credentials&scope=latchkey:admin` with Basic client authentication; the token was checked to open GET /v1/users. ' +
      'Baseline: bare Fastify parsing the form and Basic header, one named read of `oauth_applications` by client_id (its unique index, the look-up the app makes), a SHA-256 secret comparison and one jose RS256 signature of an at+jwt access token (2048-bit key). Same warm-up and rounds as the reads.',
    `- Refresh grant: ${m.refresh?.chains ?? 0} chains, one per connection, each from an authorization-code flow (confidential first-party application, scope \`openid offline_access\`) through the hosted sign-in form; one ${o.seconds} s closed-loop run, no warm-up, no baseline.`,
  ];
}
