/**
 * An open-loop load for bench/load-worker.ts: requests start at a fixed mean rate with Poisson
 * (exponential) gaps, as many independent clients would send them, whether or not earlier ones
 * have been answered. autocannon's `rate` options release each second's quota at once on every
 * connection, a burst every second, which measures bursts rather than the latency at a load.
 * Latency runs from a request's scheduled start, so a stalled generator cannot hide queueing.
 */
import { randomInt } from 'node:crypto';
import http from 'node:http';
import type { LoadResult, LoadSpec } from './load.ts';

export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

export async function pacedLoad(spec: LoadSpec): Promise<LoadResult> {
  const rate = spec.arrivalRate as number;
  const origin = new URL(spec.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const isOk = (status: number) => (spec.okStatuses ? spec.okStatuses.includes(status) : status >= 200 && status <= 299);
  const latencies: number[] = [];
  const statusCodes: Record<string, number> = {};
  let errors = 0;
  let answered = 0;

  const send = (scheduled: number) =>
    new Promise<void>((resolve) => {
      const v = spec.variants?.length ? spec.variants[randomInt(spec.variants.length)] : {};
      const path = v.path ?? spec.path.replaceAll('{n}', String(randomInt(1, spec.users + 1)));
      const body = v.body === undefined ? undefined : Buffer.from(v.body);
      const headers: Record<string, string> = { ...spec.headers, ...v.headers, ...(body ? { 'content-length': String(body.length) } : {}) };
      const req = http.request({ host: origin.hostname, port: origin.port, method: spec.method, path, headers, agent }, (res) => {
        res.resume();
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          answered++;
          statusCodes[status] = (statusCodes[status] ?? 0) + 1;
          if (isOk(status)) latencies.push(performance.now() - scheduled);
          resolve();
        });
      });
      req.on('error', () => {
        errors++;
        resolve();
      });
      req.end(body);
    });

  const started = performance.now();
  const end = started + spec.seconds * 1000;
  const inFlight = new Set<Promise<void>>();
  let next = started;
  while (next < end) {
    await sleep(next - performance.now());
    const p = send(next);
    inFlight.add(p);
    void p.then(() => inFlight.delete(p));
    next += (-Math.log(1 - Math.random()) * 1000) / rate;
  }
  await Promise.all(inFlight);
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  const sorted = Float64Array.from(latencies).sort();
  return {
    label: spec.label,
    seconds,
    ok: sorted.length,
    non2xx: answered - sorted.length,
    errors,
    timeouts: 0,
    statusCodes,
    rps: sorted.length / seconds,
    p50: percentile(sorted, 0.5),
    p90: percentile(sorted, 0.9),
    p99: percentile(sorted, 0.99),
    max: sorted.length ? sorted[sorted.length - 1] : NaN,
    autocannonP99: NaN,
  };
}
