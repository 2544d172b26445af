/**
 * The load generator, run as a child process so autocannon does not share the servers' event
 * loop or their process's memory. Receives one LoadSpec over IPC, runs autocannon, and answers
 * with a LoadResult. Latencies are taken from autocannon's per-response timings (sub-millisecond)
 * rather than its histogram, which records whole milliseconds.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { createRequire } from 'node:module';
import type { LoadResult, LoadSpec } from './load.ts';
import { pacedLoad, percentile } from './paced-load.ts';

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

function run(spec: LoadSpec): Promise<LoadResult> {
  if (spec.arrivalRate) return pacedLoad(spec);
  const runTag = randomBytes(4).toString('hex');
  let created = 0;
  const chain = spec.refreshChain ? [...spec.refreshChain.refreshTokens] : null;
  const setupRequest = (req: AutocannonRequest) => {
    if (spec.body === 'create-user') {
      created++;
      req.body = JSON.stringify({ email_address: [`new.${runTag}.${created}@bench.example.com`], password: randomPassword() });
    } else if (chain) {
      // An empty queue means answers failed and lost their tokens: send one the server must refuse.
      req.body = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: chain.shift() ?? 'spent' }).toString();
    } else if (spec.variants?.length) {
      const v = spec.variants[randomInt(spec.variants.length)];
      if (v.path) req.path = v.path;
      if (v.body !== undefined) req.body = v.body;
      if (v.headers) req.headers = { ...req.headers, ...v.headers };
    } else {
      req.path = spec.paths?.length ? spec.paths[randomInt(spec.paths.length)] : spec.path.replaceAll('{n}', String(randomInt(1, spec.users + 1)));
    }
    return req;
  };
  // The rotated refresh token goes back into the queue before the connection sends its next request.
  const onResponse = chain
    ? (status: number, body: string) => {
        if (status !== 200) return;
        const next = (JSON.parse(body) as { refresh_token?: string }).refresh_token;
        if (next) chain.push(next);
      }
    : undefined;
  const headers = { ...spec.headers, ...(spec.body ? { 'content-type': 'application/json' } : {}) };
  const isOk = (status: number) => (spec.okStatuses ? spec.okStatuses.includes(status) : status >= 200 && status <= 299);
  let latencies = new Float64Array(1 << 16);
  let count = 0;
  let answered = 0;
  return new Promise((resolve, reject) => {
    const tracker = autocannon(
      {
        url: spec.url,
        connections: spec.connections,
        duration: spec.seconds,
        headers,
        requests: [{ method: spec.method, path: spec.path, setupRequest, onResponse }],
      },
      (err, res) => {
        if (err) return reject(err);
        const sorted = latencies.slice(0, count).sort();
        const statusCodes: Record<string, number> = {};
        for (const [code, s] of Object.entries(res.statusCodeStats)) statusCodes[code] = s.count;
        // With okStatuses, success is counted here; otherwise autocannon's own 2xx count is kept.
        const ok = spec.okStatuses ? count : res['2xx'];
        resolve({
          label: spec.label,
          seconds: res.duration,
          ok,
          non2xx: spec.okStatuses ? answered - count : res.non2xx,
          errors: res.errors,
          timeouts: res.timeouts,
          statusCodes,
          rps: ok / res.duration,
          p50: percentile(sorted, 0.5),
          p90: percentile(sorted, 0.9),
          p99: percentile(sorted, 0.99),
          max: sorted.length ? sorted[sorted.length - 1] : NaN,
          autocannonP99: res.latency.p99,
        });
      },
    );
    tracker.on('response', (_client, status, _bytes, ms) => {
      answered++;
      if (!isOk(status)) return;
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
