import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { createStore } from '../src/storage/store.ts';
import { FAST_HASHING, TEST_BREACHED } from './helpers/backends.ts';

const ROOT = resolve(import.meta.dirname, '..');
const NODE = join(ROOT, 'node_modules/.bin/node');

function cli(args: string[], dataDir: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, failed) => {
    const env: NodeJS.ProcessEnv = { ...process.env, LATCHKEY_DATA_DIR: dataDir, LOG_LEVEL: 'silent' };
    for (const name of ['DATABASE_URL', 'SMTP_URL', 'EMAIL_FROM', 'SMS_PROVIDER']) delete env[name];
    const child = spawn(NODE, ['src/cli.ts', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), 100_000);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b) => (stdout += b));
    child.stderr.on('data', (b) => (stderr += b));
    child.on('error', failed);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

describe('latchkey outbox list', () => {
  let dataDir: string;
  const ids: string[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'latchkey-outbox-'));
    const config = loadConfig({ LATCHKEY_DATA_DIR: dataDir, LATCHKEY_SECRET_KEY: `sk_test_${'x'.repeat(30)}`, LOG_LEVEL: 'silent' });
    const app = await createApp(config, { breached: TEST_BREACHED, hashing: FAST_HASHING, delivery: { autoStart: false, log: { info() {}, warn() {}, error() {} } } });
    const store = createStore(app.database.db);
    for (const [to, otp] of [['first@example.com', '864209'], ['second@example.com', '197531']]) {
      ids.push(
        (await store.transaction((tx) => app.services.outbox.enqueue(tx, { channel: 'email', to, template: 'verification_code', data: { otp_code: otp, expires_in_minutes: 10 }, secrets: [otp] }))).id,
      );
    }
    await app.delivery.drain();
    await app.close();
  });
  afterAll(async () => {
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('shows recent messages, newest first, with their bodies', async () => {
    const { code, stdout, stderr } = await cli(['outbox', 'list'], dataDir);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout.indexOf(ids[1])).toBeGreaterThanOrEqual(0);
    expect(stdout.indexOf(ids[1])).toBeLessThan(stdout.indexOf(ids[0]));
    expect(stdout).toContain(`${ids[0]}  email  undelivered  attempts 1`);
    expect(stdout).toContain('to: first@example.com  from: Latchkey <no-reply@localhost>  template: verification_code');
    expect(stdout).toContain('subject: Latchkey verification code');
    // The developer's own database: the code is shown so sign-up can be finished without SMTP.
    expect(stdout).toContain('    864209');
    expect(stdout).toContain('    197531');

    const one = await cli(['outbox', 'list', '1'], dataDir);
    expect(one.stdout).toContain(ids[1]);
    expect(one.stdout).not.toContain(ids[0]);
    const bad = await cli(['outbox', 'list', '0'], dataDir);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('latchkey: outbox list takes a count from 1 to 1000\n');
    expect((await cli(['outbox', 'purge'], dataDir)).code).toBe(2);
  }, 240_000);
});
