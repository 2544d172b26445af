/**
 * Raw argon2id throughput in this process: `concurrency` hash() calls kept in flight for a fixed
 * time, with the parameters Latchkey's default hashing uses (19456 KiB, t=2, p=1).
 */
import { randomBytes } from 'node:crypto';
import { hash } from '@node-rs/argon2';

export const RAW_ARGON = { algorithm: 2 /* Argon2id */, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export interface RawHashResult {
  label: string;
  concurrency: number;
  seconds: number;
  hashes: number;
  /** Hashes per second. */
  rps: number;
  p50: number;
  p99: number;
  /** This process's CPU per hash (all threads), ms. */
  cpuMsPerHash: number;
}

export async function rawHashing(concurrency: number, seconds: number, label = `raw argon2id x${concurrency}`): Promise<RawHashResult> {
  const latencies: number[] = [];
  const cpu = process.cpuUsage();
  const started = performance.now();
  const end = started + seconds * 1000;
  let finishedAt = started;
  async function lane() {
    while (performance.now() < end) {
      const t0 = performance.now();
      await hash(randomBytes(15).toString('base64'), RAW_ARGON);
      finishedAt = performance.now();
      latencies.push(finishedAt - t0);
    }
  }
  await Promise.all(Array.from({ length: concurrency }, lane));
  const elapsed = (finishedAt - started) / 1000;
  const used = process.cpuUsage(cpu);
  latencies.sort((a, b) => a - b);
  const at = (p: number) => latencies[Math.min(latencies.length - 1, Math.ceil(p * latencies.length) - 1)];
  return { label, concurrency, seconds: elapsed, hashes: latencies.length, rps: latencies.length / elapsed, p50: at(0.5), p99: at(0.99), cpuMsPerHash: (used.user + used.system) / 1000 / latencies.length };
}
