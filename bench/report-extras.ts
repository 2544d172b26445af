/**
 * Verdict rows and RESULTS.md sections for the measures beyond the user reads and create-user:
 * organizations (seed), compatibility dialects, credential timing, and outbox delivery.
 */
import type { TimingPair } from './credentials.ts';
import type { DialectReadMeasure } from './dialects.ts';
import { fmt } from './load.ts';
import type { OrganizationSeedStats } from './organizations.ts';
import type { OutboxThroughput } from './outbox.ts';
import { mean, type Verdict } from './report.ts';

export const TIMING_TOLERANCE = 0.1;

const signedPct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;

export function dialectVerdicts(ms: DialectReadMeasure[]): Verdict[] {
  return ms.map((m) => {
    const failed = [...m.native, ...m.compat].some((r) => r.non2xx > 0 || r.errors > 0 || r.timeouts > 0);
    return {
      measure: `${m.request} throughput (baseline: GET /v1/users/{id})${failed ? ' (some non-2xx/errors)' : ''}`,
      baseline: `${fmt.rps(mean(m.native.map((r) => r.rps)))} req/s`,
      latchkey: `${fmt.rps(mean(m.compat.map((r) => r.rps)))} req/s`,
      ratio: fmt.pct(m.ratio),
      target: `>= ${fmt.pct(m.target)}`,
      pass: m.pass,
    };
  });
}

export function timingVerdict(p: TimingPair): Verdict {
  return {
    measure: `${p.name} (median time)`,
    baseline: `${fmt.ms(p.a.medianMs)} (${p.a.label})`,
    latchkey: `${fmt.ms(p.b.medianMs)} (${p.b.label})`,
    ratio: signedPct(p.difference),
    target: `within ±${(TIMING_TOLERANCE * 100).toFixed(0)}%`,
    pass: Math.abs(p.difference) <= TIMING_TOLERANCE,
  };
}

export function outboxVerdict(r: OutboxThroughput): Verdict {
  const lost = r.received !== r.messages;
  return {
    measure: `Outbox delivery to a local SMTP server (${r.backend === 'pglite' ? 'PGlite' : 'PostgreSQL'})${lost ? ` (only ${r.received} of ${r.messages} received)` : ''}`,
    baseline: '-',
    latchkey: `${fmt.rps(r.perSecond)} messages/s`,
    ratio: `${fmt.x(r.perSecond / r.target)} target`,
    target: `>= ${r.target} messages/s`,
    pass: !lost && r.perSecond >= r.target,
  };
}

export function renderOrganizationSeed(s: OrganizationSeedStats, drift: number): string {
  return [
    '## Organizations seed',
    '',
    `${s.organizations.toLocaleString('en-US')} organizations and ${s.memberships.toLocaleString('en-US')} memberships (${s.perOrganization} per organization) seeded by SQL in ${s.seconds.toFixed(1)} s ` +
      `into the same scratch database, after the users (organizations and memberships tables with indexes: ${s.tablesMb.toFixed(0)} MB); then VACUUM ANALYZE. ` +
      `${drift} of 10 organizations read back through the app disagreed with the seed (name, slug, members_count).`,
    '',
  ].join('\n');
}

/** A RESULTS.md section: heading, the paragraph saying how it was measured, then one table. */
function section(title: string, method: string, columns: string[], rows: string[][]): string {
  const L = [`## ${title}`, '', method, '', `| ${columns.join(' | ')} |`, `|${'---|'.repeat(columns.length)}`];
  for (const r of rows) L.push(`| ${r.join(' | ')} |`);
  return `${L.join('\n')}\n`;
}

export function renderTiming(pairs: TimingPair[]): string {
  return section(
    'Credential timing',
    'One request at a time, the two kinds alternating (and alternating which goes first), so both see the same machine state; medians compared. ' +
      'Difference: the second median over the first, minus one.',
    ['measure', 'first', 'median', 'samples', 'second', 'median', 'samples', 'difference', 'target', 'result'],
    pairs.map((p) => {
      const v = timingVerdict(p);
      return [p.name, p.a.label, fmt.ms(p.a.medianMs), String(p.a.samples), p.b.label, fmt.ms(p.b.medianMs), String(p.b.samples), v.ratio, v.target, v.pass ? 'PASS' : '**FAIL**'];
    }),
  );
}

export function renderOutbox(rs: OutboxThroughput[]): string {
  return section(
    'Outbox delivery',
    'Messages rendered from the `verification_code` template and enqueued, then delivered by one outbox worker over SMTP to a local `smtp-server` (127.0.0.1, no TLS, no auth), ' +
      'each backend in its own Node process, after the HTTP servers were closed. Only delivery (claim, send, outcome update) is timed.',
    ['backend', 'messages', 'received', 'seconds', 'messages/s', 'target', 'result'],
    rs.map((r) => [
      r.backend === 'pglite' ? 'PGlite (in memory)' : 'PostgreSQL (scratch database)',
      String(r.messages),
      String(r.received),
      r.seconds.toFixed(2),
      fmt.rps(r.perSecond),
      `>= ${r.target}`,
      outboxVerdict(r).pass ? 'PASS' : '**FAIL**',
    ]),
  );
}
