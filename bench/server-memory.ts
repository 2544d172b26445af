/**
 * The memory verdict: Latchkey in its own process (bench/server-process.ts, started with the V8
 * flags of `npm start`), under the same read and create-user loads as the throughput rounds.
 */
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type LoadSpec, runLoad } from './load.ts';

export interface ServerMemory {
  flags: string[];
  points: { when: string; rssMb: number; heapTotalMb: number; heapUsedMb: number }[];
  /** RSS 2 s after the last load ended (requests in flight done), the verdict's number. */
  afterLoadMb: number;
}

/** The V8 flags `npm start` runs the server with, read from package.json so the two never drift. */
export function startFlags(): string[] {
  const pkg = JSON.parse(readFileSync(fileURLToPath(new URL('../package.json', import.meta.url)), 'utf8')) as { scripts: { start: string } };
  return pkg.scripts.start.split(/\s+/).filter((a) => a.startsWith('--'));
}

export async function serverMemory(env: Record<string, string>, loads: Omit<LoadSpec, 'url'>[], log: (s: string) => void): Promise<ServerMemory> {
  const flags = startFlags();
  const child = fork(fileURLToPath(new URL('./server-process.ts', import.meta.url)), [], { execArgv: flags, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ask = <T>(m: unknown) =>
    new Promise<T>((resolve, reject) => {
      child.once('message', (r: T & { error?: string }) => (r.error ? reject(new Error(r.error)) : resolve(r)));
      child.send(m as never);
    });
  const mb = (b: number) => b / 2 ** 20;
  const points: ServerMemory['points'] = [];
  const sample = async (when: string) => {
    const m = await ask<{ rss: number; heapTotal: number; heapUsed: number }>({ memory: true });
    points.push({ when, rssMb: mb(m.rss), heapTotalMb: mb(m.heapTotal), heapUsedMb: mb(m.heapUsed) });
    log(`  server process ${when}: RSS ${mb(m.rss).toFixed(0)} MB, heap ${mb(m.heapUsed).toFixed(0)} / ${mb(m.heapTotal).toFixed(0)} MB`);
  };
  try {
    const { url } = await ask<{ url: string }>({ env });
    await sample('booted');
    for (const load of loads) {
      const r = await runLoad({ ...load, url });
      log(`  server process ${load.label}: ${r.rps.toFixed(0)} req/s, non2xx ${r.non2xx}`);
    }
    // Requests still in flight when the load generator stops (hashes among them, 19 MiB each)
    // finish within a few hundred milliseconds; the verdict is what the server holds then.
    await new Promise((r) => setTimeout(r, 2_000));
    await sample('2 s after the load');
    const afterLoadMb = points[points.length - 1].rssMb;
    await new Promise((r) => setTimeout(r, 15_000));
    await sample('15 s later, idle');
    return { flags, points, afterLoadMb };
  } finally {
    await ask({ stop: true }).catch(() => {});
    child.kill();
  }
}
