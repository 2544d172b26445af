/**
 * Alternating read comparisons: a warm-up of each side, then rounds of side A and side B, each
 * round's CPU per 2xx response recorded here and in PostgreSQL. Used by bench/run.ts for the
 * user reads and by bench/organizations-load.ts for the membership lists.
 */
import { measureCpu } from './cpu.ts';
import { ADMIN_URL } from './db.ts';
import { fmt, type LoadResult, type LoadSpec, runLoad, warmUp } from './load.ts';
import { mean, type ReadMeasure, type Verdict } from './report.ts';

export interface CompareContext {
  /** The scratch database whose PostgreSQL backends are charged for CPU. */
  dbName: string;
  warmup: number;
  rounds: number;
  log: (s: string) => void;
}

/** Runs a load and records the CPU it cost per 2xx response, here and in PostgreSQL. */
export async function measuredLoad(dbName: string, spec: LoadSpec): Promise<LoadResult> {
  const { result, cpu } = await measureCpu(ADMIN_URL, dbName, () => runLoad(spec));
  result.cpuPerRequest = { processUs: (cpu.processMs * 1000) / result.ok, postgresUs: (cpu.postgresMs * 1000) / result.ok };
  return result;
}

/** Alternates baseline and Latchkey rounds after warming both up. */
export async function compareReads(ctx: CompareContext, name: string, request: string, base: LoadSpec, lk: LoadSpec, bytes: [number, number]): Promise<ReadMeasure> {
  ctx.log(`${name}: warming up`);
  await warmUp(base, ctx.warmup);
  await warmUp(lk, ctx.warmup);
  const m: ReadMeasure = { name, request, baseline: [], latchkey: [], baselineBytes: bytes[0], latchkeyBytes: bytes[1] };
  for (let i = 0; i < ctx.rounds; i++) {
    for (const [side, spec, into] of [['baseline', base, m.baseline], ['latchkey', lk, m.latchkey]] as const) {
      const r = await measuredLoad(ctx.dbName, spec);
      into.push(r);
      ctx.log(`  round ${i + 1} ${side.padEnd(8)} ${fmt.rps(r.rps).padStart(7)} req/s  p50 ${fmt.ms(r.p50)}  p99 ${fmt.ms(r.p99)}  non2xx ${r.non2xx}  errors ${r.errors + r.timeouts}`);
    }
  }
  return m;
}

/**
 * Throughput (Latchkey's mean req/s over the baseline's, at least `minRatio`) and, when
 * `maxP99` is given, p99 latency (Latchkey's mean p99 over the baseline's, at most `maxP99`).
 */
export function readVerdicts(m: ReadMeasure, minRatio = 0.75, maxP99: number | null = 1.5): Verdict[] {
  const bRps = mean(m.baseline.map((r) => r.rps));
  const lRps = mean(m.latchkey.map((r) => r.rps));
  const bP99 = mean(m.baseline.map((r) => r.p99));
  const lP99 = mean(m.latchkey.map((r) => r.p99));
  const failed = [...m.baseline, ...m.latchkey].some((r) => r.non2xx > 0 || r.errors > 0 || r.timeouts > 0);
  const note = failed ? ' (some non-2xx/errors, see details)' : '';
  const out: Verdict[] = [
    { measure: `${m.name} throughput${note}`, baseline: `${fmt.rps(bRps)} req/s`, latchkey: `${fmt.rps(lRps)} req/s`, ratio: fmt.pct(lRps / bRps), target: `>= ${fmt.pct(minRatio)}`, pass: !failed && lRps / bRps >= minRatio },
  ];
  if (maxP99 !== null) {
    out.push({ measure: `${m.name} p99 latency`, baseline: fmt.ms(bP99), latchkey: fmt.ms(lP99), ratio: fmt.x(lP99 / bP99), target: `<= ${fmt.x(maxP99)}`, pass: !failed && lP99 / bP99 <= maxP99 });
  }
  return out;
}
