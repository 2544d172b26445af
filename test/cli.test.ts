import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The real CLI, run from source by the project's own Node (vitest's may be another version).
const ROOT = resolve(import.meta.dirname, '..');
const NODE = join(ROOT, 'node_modules/.bin/node');
const CLI = 'src/cli.ts';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

let dataDir: string;

/** The environment the CLI sees: embedded PGlite in a temp folder, no inherited server settings. */
function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ['DATABASE_URL', 'LATCHKEY_SECRET_KEY', 'PORT', 'HOST', 'PUBLIC_URL', 'LOG_LEVEL', 'LATCHKEY_REQUIRE_IDENTIFIER', 'LATCHKEY_HASH_CONCURRENCY']) {
    delete env[name];
  }
  return { ...env, LATCHKEY_DATA_DIR: dataDir, ...extra };
}

function start(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(NODE, [CLI, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs a CLI command to completion. */
function run(args: string[], extra: Record<string, string> = {}): Promise<Run> {
  return new Promise((done, failed) => {
    const child = start(args, cliEnv(extra));
    // A hung command must not outlive the test.
    const timer = setTimeout(() => child.kill('SIGKILL'), 100_000);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (b) => (stdout += b));
    child.stderr!.on('data', (b) => (stderr += b));
    child.on('error', failed);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

interface Served {
  /** Everything printed before and including the listening line. */
  banner: string;
  address: string;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `serve` and waits for its listening line. */
function serve(extra: Record<string, string> = {}): Promise<Served> {
  return new Promise((done, failed) => {
    const child = start(['serve'], cliEnv({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...extra }));
    let stdout = '';
    let stderr = '';
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      failed(new Error(`serve printed no listening line in time:\n${stdout}\n${stderr}`));
    }, 90_000);
    child.on('error', failed);
    exited.then((code) => {
      clearTimeout(timer);
      failed(new Error(`serve exited with ${code} before listening:\n${stdout}\n${stderr}`));
    });
    child.stderr!.on('data', (b) => (stderr += b));
    child.stdout!.on('data', (b) => {
      stdout += b;
      const match = /Latchkey listening on (http:\/\/\S+) \(pglite\)/.exec(stdout);
      if (!match) return;
      clearTimeout(timer);
      done({
        banner: stdout,
        address: match[1],
        stop() {
          child.kill('SIGTERM');
          return exited;
        },
      });
    });
  });
}

const lines = (text: string) => text.split('\n').filter((l) => l !== '');

describe('latchkey CLI', () => {
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'latchkey-cli-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('migrate brings a fresh data folder up to date', async () => {
    const result = await run(['migrate']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toBe('migrations applied\n');
  }, 120_000);

  it('creates, lists and revokes secret keys without ever listing a key', async () => {
    const created = await run(['keys', 'create', 'ci']);
    expect(created.code).toBe(0);
    const [id, key, ...rest] = lines(created.stdout);
    expect(rest).toEqual([]);
    expect(id).toMatch(/^key_[0-9A-Za-z]+$/);
    expect(key).toMatch(/^sk_live_[A-Za-z0-9_-]{40,}$/);

    const listed = await run(['keys', 'list']);
    expect(listed.code).toBe(0);
    const row = lines(listed.stdout).find((l) => l.startsWith(`${id}\t`));
    expect(row?.split('\t')).toEqual([id, 'ci', `...${key.slice(-4)}`, expect.stringMatching(/^\d{4}-\d\d-\d\dT/), 'active']);
    expect(listed.stdout).not.toContain(key);
    expect(listed.stdout).not.toContain(key.slice(8, 20));

    const revoked = await run(['keys', 'revoke', id]);
    expect(revoked).toMatchObject({ code: 0, stdout: `revoked ${id}\n` });

    const after = await run(['keys', 'list']);
    const status = lines(after.stdout).find((l) => l.startsWith(`${id}\t`))?.split('\t')[4];
    expect(status).toMatch(/^revoked \d{4}-\d\d-\d\dT/);
  }, 240_000);

  it('revoking an unknown key exits 1 with one line', async () => {
    const result = await run(['keys', 'revoke', 'key_doesnotexist']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(lines(result.stderr)).toEqual(['latchkey: No active secret key key_doesnotexist']);
  });

  it('keys rotate-signing prints a new signing key id each time and nothing secret', async () => {
    const first = await run(['keys', 'rotate-signing']);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    const second = await run(['keys', 'rotate-signing']);
    expect(second.code).toBe(0);
    const [a, b] = [lines(first.stdout), lines(second.stdout)];
    expect(a).toEqual([expect.stringMatching(/^[A-Za-z0-9_-]{43}$/)]);
    expect(b).toEqual([expect.stringMatching(/^[A-Za-z0-9_-]{43}$/)]);
    expect(b[0]).not.toBe(a[0]);
  }, 240_000);

  it('an unknown command prints the usage and exits 2', async () => {
    const result = await run(['frobnicate']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Usage: latchkey <command>');
  });

  it('serve with an invalid PORT exits 1 with one line naming PORT', async () => {
    const result = await run(['serve'], { PORT: 'abc' });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    const errLines = lines(result.stderr);
    expect(errLines).toHaveLength(1);
    expect(errLines[0]).toMatch(/^latchkey: Invalid PORT: /);
  });

  it('serve prints a first key once on a fresh folder, answers, and stays quiet on the next boot', async () => {
    const fresh = await mkdtemp(join(tmpdir(), 'latchkey-serve-'));
    try {
      const first = await serve({ LATCHKEY_DATA_DIR: fresh });
      let key: string;
      try {
        const keys = first.banner.match(/sk_live_[A-Za-z0-9_-]+/g) ?? [];
        expect(keys).toHaveLength(1);
        key = keys[0] ?? '';
        expect(first.banner).toContain('shown only this once');

        const health = await fetch(`${first.address}/healthz`);
        expect(health.status).toBe(200);
        expect(await health.json()).toEqual({ status: 'ok' });

        // The printed key is a working admin key; no key is no access.
        const users = await fetch(`${first.address}/v1/users`, { headers: { authorization: `Bearer ${key}` } });
        expect(users.status).toBe(200);
        expect(await users.json()).toEqual([]);
        expect((await fetch(`${first.address}/v1/users`)).status).toBe(401);
      } finally {
        expect(await first.stop()).toBe(0);
      }

      const listed = await run(['keys', 'list'], { LATCHKEY_DATA_DIR: fresh });
      const rows = lines(listed.stdout).map((l) => l.split('\t'));
      expect(rows).toHaveLength(1);
      expect(rows[0].slice(1, 3)).toEqual(['first key', `...${key.slice(-4)}`]);
      expect(rows[0][4]).toBe('active');

      const second = await serve({ LATCHKEY_DATA_DIR: fresh });
      try {
        expect(second.banner).not.toMatch(/sk_live_|secret key/);
        expect((await fetch(`${second.address}/healthz`)).status).toBe(200);
        const users = await fetch(`${second.address}/v1/users`, { headers: { authorization: `Bearer ${key}` } });
        expect(users.status).toBe(200);
      } finally {
        expect(await second.stop()).toBe(0);
      }
    } finally {
      await rm(fresh, { recursive: true, force: true });
    }
  }, 240_000);
});
