/**
 * CPU spent per request, split between this process (the servers) and the PostgreSQL backends
 * serving the scratch database. On a small machine where everything shares the cores, this is
 * what decides throughput, and it says which side a gap comes from. Linux only (/proc); elsewhere
 * the PostgreSQL part reads as NaN.
 */
import { readFileSync } from 'node:fs';
import pg from 'pg';

const TICK_MS = 10; // USER_HZ is 100 on Linux

function backendCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS; // utime, stime
  } catch {
    return 0;
  }
}

export interface CpuSample {
  /** This process's user+system CPU, ms. */
  processMs: number;
  /** PostgreSQL backends of the database, ms (NaN when /proc is unavailable). */
  postgresMs: number;
}

/** Measures the CPU a piece of work costs, in this process and in PostgreSQL backends of `dbName`. */
export async function measureCpu<T>(adminUrl: string, dbName: string, work: () => Promise<T>): Promise<{ result: T; cpu: CpuSample }> {
  const client = new pg.Client({ connectionString: adminUrl });
  client.on('error', () => {});
  await client.connect();
  try {
    const pids = async () =>
      (await client.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [dbName])).rows.map((r) => r.pid);
    const seen = new Map<number, number>();
    for (const pid of await pids()) seen.set(pid, backendCpuMs(pid));
    const before = process.cpuUsage();
    // Connections opened during the run (pools drop idle ones after 10 s) count in full.
    const late = setTimeout(async () => {
      for (const pid of await pids().catch(() => [])) if (!seen.has(pid)) seen.set(pid, 0);
    }, 1000);
    const result = await work();
    clearTimeout(late);
    const used = process.cpuUsage(before);
    let postgresMs = 0;
    for (const [pid, start] of seen) postgresMs += Math.max(0, backendCpuMs(pid) - start);
    for (const pid of await pids()) if (!seen.has(pid)) postgresMs += backendCpuMs(pid);
    const procOk = (() => {
      try {
        readFileSync('/proc/self/stat');
        return true;
      } catch {
        return false;
      }
    })();
    return { result, cpu: { processMs: (used.user + used.system) / 1000, postgresMs: procOk ? postgresMs : NaN } };
  } finally {
    await client.end();
  }
}
