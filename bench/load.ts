/** Runs one autocannon load in a child process (bench/load-worker.ts) and returns its numbers. */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** One request shape of a `variants` pool: its path, body and extra headers. */
export interface RequestVariant {
  path?: string;
  body?: string;
  headers?: Record<string, string>;
}

export interface LoadSpec {
  label: string;
  /** Server origin, e.g. http://127.0.0.1:1234 */
  url: string;
  method: 'GET' | 'POST';
  /** Request path; every `{n}` becomes a random seeded user number in 1..users. */
  path: string;
  /** When set, each request takes one of these paths at random instead (`path` and `{n}` are ignored). */
  paths?: string[];
  users: number;
  headers: Record<string, string>;
  /** `create-user`: a JSON body with a fresh email and a random 20-character password per request. */
  body?: 'create-user';
  /** When set, each request takes one of these at random (over `path`, `{n}` and `paths`). */
  variants?: RequestVariant[];
  /** Statuses that count as success instead of 2xx (e.g. [303] for a form post that redirects). */
  okStatuses?: number[];
  /**
   * A refresh-token chain: each request posts `grant_type=refresh_token` with a token taken from
   * a queue seeded with `refreshTokens`; every 200 answer's rotated token goes back into it, so
   * no token is ever sent twice.
   */
  refreshChain?: { refreshTokens: string[] };
  /**
   * Open loop: requests start at this mean rate per second (Poisson arrivals, as independent
   * clients would send them) whatever the answers' latency, instead of autocannon's closed loop.
   */
  arrivalRate?: number;
  connections: number;
  seconds: number;
}

export interface LoadResult {
  label: string;
  seconds: number;
  /** 2xx responses (or those in `okStatuses`); `non2xx` counts the others. */
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  /** 2xx responses per second. */
  rps: number;
  /** Latency percentiles of 2xx responses, in milliseconds. */
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** autocannon's own p99 (whole milliseconds), for cross-checking. */
  autocannonP99: number;
  /** CPU per 2xx response, in microseconds: this process, and PostgreSQL's backends. */
  cpuPerRequest?: { processUs: number; postgresUs: number };
}

const WORKER = fileURLToPath(new URL('./load-worker.ts', import.meta.url));

export function runLoad(spec: LoadSpec): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = fork(WORKER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let settled = false;
    child.on('message', (m: { ok: boolean; result?: LoadResult; error?: string }) => {
      settled = true;
      if (m.ok && m.result) resolve(m.result);
      else reject(new Error(`load generator failed: ${m.error}`));
    });
    child.on('error', (e) => {
      if (!settled) reject(e);
      settled = true;
    });
    child.on('exit', (code) => {
      if (!settled) reject(new Error(`load generator exited with code ${code} before reporting`));
      settled = true;
    });
    child.send(spec);
  });
}

/** A short load whose numbers are thrown away: JIT, pools, plan and buffer caches get warm. */
export async function warmUp(spec: LoadSpec, seconds = 3): Promise<void> {
  await runLoad({ ...spec, label: `${spec.label} (warm-up)`, seconds });
}

export const fmt = {
  rps: (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: n < 100 ? 1 : 0 }),
  ms: (n: number) => `${n.toFixed(2)} ms`,
  mb: (n: number) => `${n.toFixed(0)} MB`,
  pct: (n: number) => `${(n * 100).toFixed(0)}%`,
  x: (n: number) => `${n.toFixed(2)}x`,
};
