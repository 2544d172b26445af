/**
 * The load generator, run as a child process so autocannon does not share the servers' event
 * loop or their process's memory. Receives one LoadSpec over IPC, runs autocannon, and answers
 * with a LoadResult. Latencies are taken from autocannon's per-response timings (sub-millisecond)
 * rather than its histogram, which records whole milliseconds.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { createRequire } from 'node:module';
import type { LoadResult, LoadSpec } from './load.ts';

interface AutocannonResult {
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  '2xx': number;
  statusCodeStats: Record<string, { count: number }>;
  latency: { p99: number };
}
interface AutocannonRequest {
  method?: string;
  path?: string;
  body?: string;
  headers?: Record<string, string>;
}
interface Tracker {
  on(event: 'response', fn: (client: unknown, status: number, bytes: number, ms: number) => void): void;
}
type Autocannon = (opts: Record<string, unknown>, cb: (err: Error | null, res: AutocannonResult) => void) => Tracker;

const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A random 20-character password: never on the breached list, never containing the email. */
function randomPassword(): string {
  let out = '';
  for (const b of randomBytes(20)) out += ALNUM[b % ALNUM.length];
  return out;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

function run(spec: LoadSpec): Promise<LoadResult> {
  const runTag = randomBytes(4).toString('hex');
  let created = 0;
  const setupRequest = (req: AutocannonRequest) => {
    if (spec.body === 'create-user') {
      created++;
      req.body = JSON.stringify({ email_address: [`new.${runTag}.${created}@bench.example.com`], password: randomPassword() });
    } else {
      req.path = spec.paths?.length ? spec.paths[randomInt(spec.paths.length)] : spec.path.replaceAll('{n}', String(randomInt(1, spec.users + 1)));
    }
    return req;
  };
  const headers = { ...spec.headers, ...(spec.body ? { 'content-type': 'application/json' } : {}) };
  let latencies = new Float64Array(1 << 16);
  let count = 0;
  return new Promise((resolve, reject) => {
    const tracker = autocannon(
      {
        url: spec.url,
        connections: spec.connections,
        duration: spec.seconds,
        headers,
        requests: [{ method: spec.method, path: spec.path, setupRequest }],
      },
      (err, res) => {
        if (err) return reject(err);
        const sorted = latencies.slice(0, count).sort();
        const statusCodes: Record<string, number> = {};
        for (const [code, s] of Object.entries(res.statusCodeStats)) statusCodes[code] = s.count;
        resolve({
          label: spec.label,
          seconds: res.duration,
          ok: res['2xx'],
          non2xx: res.non2xx,
          errors: res.errors,
          timeouts: res.timeouts,
          statusCodes,
          rps: res['2xx'] / res.duration,
          p50: percentile(sorted, 0.5),
          p90: percentile(sorted, 0.9),
          p99: percentile(sorted, 0.99),
          max: sorted.length ? sorted[sorted.length - 1] : NaN,
          autocannonP99: res.latency.p99,
        });
      },
    );
    tracker.on('response', (_client, status, _bytes, ms) => {
      if (status < 200 || status > 299) return;
      if (count === latencies.length) {
        const grown = new Float64Array(latencies.length * 2);
        grown.set(latencies);
        latencies = grown;
      }
      latencies[count++] = ms;
    });
  });
}

process.once('message', (spec: LoadSpec) => {
  run(spec).then(
    (result) => process.send?.({ ok: true, result }, () => process.exit(0)),
    (e: unknown) => process.send?.({ ok: false, error: String((e as Error)?.stack ?? e) }, () => process.exit(1)),
  );
});
