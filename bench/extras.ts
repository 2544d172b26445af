/**
 * The measures bench/run.ts runs beyond the reads and create-user, with their setup:
 * credential timing (bench/credentials.ts) against the running app, and outbox delivery
 * (bench/outbox.ts) in a child process per backend.
 */
import { execFile } from 'node:child_process';
import { passwordTiming, resetTiming, type TimingPair } from './credentials.ts';
import { createScratch, seeded } from './db.ts';
import { fmt } from './load.ts';
import type { OutboxThroughput } from './outbox.ts';

export interface CredentialTimingOptions {
  lkUrl: string;
  key: string;
  /** Seeded users; the reset requests use `resetAccounts` of their emails, spread over the seed. */
  users: number;
  passwordPairs: number;
  resetAccounts: number;
  log: (s: string) => void;
}

/** The password check (a user created through the app, default argon2id) and the reset request. */
export async function credentialTimings(o: CredentialTimingOptions): Promise<TimingPair[]> {
  const password = 'Hx8rWq3Lm7Tz2Vb5Nc9K';
  const res = await fetch(`${o.lkUrl}/v1/users`, {
    method: 'POST',
    headers: { authorization: `Bearer ${o.key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ email_address: ['timing@bench.example.com'], password }),
  });
  const user = (await res.json()) as { id?: string; password_enabled?: boolean };
  if (res.status !== 200 || !user.id || user.password_enabled !== true) throw new Error(`sanity check failed: create the timing user (status ${res.status})`);
  o.log(`Credential timing: verify_password x${o.passwordPairs} pairs, reset requests x${o.resetAccounts} pairs`);
  const out = [await passwordTiming(o.lkUrl, o.key, user.id, password, o.passwordPairs)];
  const emails = Array.from({ length: o.resetAccounts }, (_, k) => seeded.email(1 + Math.floor((k * o.users) / o.resetAccounts)));
  out.push(await resetTiming(o.lkUrl, emails));
  for (const t of out) o.log(`  ${t.name}: ${t.a.label} ${fmt.ms(t.a.medianMs)}, ${t.b.label} ${fmt.ms(t.b.medianMs)} (${(t.difference * 100).toFixed(1)}%)`);
  return out;
}

const OUTBOX = new URL('./outbox.ts', import.meta.url).href;

/**
 * measureOutboxThroughput in a fresh Node process, as `node bench/outbox.ts` runs it: the
 * benchmark process's heap (and PGlite's memory) stay out of each other's way.
 */
function outboxInChild(messages: number, databaseUrl?: string): Promise<OutboxThroughput> {
  const script = `import { measureOutboxThroughput } from ${JSON.stringify(OUTBOX)};
    const r = await measureOutboxThroughput(${JSON.stringify({ messages, databaseUrl })});
    process.stdout.write('\\n' + JSON.stringify(r) + '\\n');`;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', script], { maxBuffer: 1 << 24, timeout: 600_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${err.message.split('\n')[0]}; stderr: ${stderr.trim().slice(-400)}`));
      const last = stdout.trim().split('\n').at(-1) ?? '';
      try {
        resolve(JSON.parse(last) as OutboxThroughput);
      } catch {
        reject(new Error(`no result from the outbox child: ${stdout.slice(-200)} ${stderr.slice(-200)}`));
      }
    });
  });
}

/** PGlite (in memory), then an empty scratch PostgreSQL database; a failure is reported, not thrown. */
export async function outboxThroughput(messages: number, log: (s: string) => void): Promise<{ results: OutboxThroughput[]; failed: string[] }> {
  const results: OutboxThroughput[] = [];
  const failed: string[] = [];
  for (const backend of ['pglite', 'postgres'] as const) {
    const scratch = backend === 'postgres' ? await createScratch('outbox') : null;
    try {
      const r = await outboxInChild(messages, scratch?.url);
      results.push(r);
      log(`Outbox (${r.backend}): ${r.received}/${r.messages} delivered in ${r.seconds.toFixed(2)} s = ${fmt.rps(r.perSecond)} messages/s`);
    } catch (e) {
      failed.push(`${backend}: ${String((e as Error).message ?? e).slice(0, 300)}`);
      log(`Outbox (${backend}) failed: ${(e as Error).message ?? e}`);
    } finally {
      await scratch?.drop();
    }
  }
  return { results, failed };
}
