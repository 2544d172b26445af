/**
 * Asynchronous user deletion (Authress's DELETE answers 202): the mark is a durable job that
 * survives a restart, and workers never delete a user twice or wait on each other.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, type AppOverrides, createApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { BACKENDS, FAST_HASHING, scratchPostgres, TEST_BREACHED, type Backend } from './helpers/backends.ts';

/** A database that outlives one app: a PGlite folder or a scratch PostgreSQL database. */
async function durableStorage(backend: Backend) {
  if (backend === 'postgres') {
    const scratch = await scratchPostgres();
    return { env: { DATABASE_URL: scratch.url }, drop: scratch.drop };
  }
  const dir = await mkdtemp(join(tmpdir(), 'latchkey-deletion-'));
  return { env: { LATCHKEY_DATA_DIR: dir }, drop: () => rm(dir, { recursive: true, force: true }) };
}

describe.each(BACKENDS)('asynchronous user deletion (%s)', (backend) => {
  let storage: Awaited<ReturnType<typeof durableStorage>>;
  const key = `sk_test_${randomBytes(24).toString('base64url')}`;

  async function boot(overrides: AppOverrides): Promise<{ app: App; url: string }> {
    const config = loadConfig({ LATCHKEY_SECRET_KEY: key, LOG_LEVEL: 'silent', PORT: '0', HOST: '127.0.0.1', LATCHKEY_ENCRYPTION_KEY: 'ab'.repeat(32), ...storage.env });
    const app = await createApp(config, { breached: TEST_BREACHED, hashing: FAST_HASHING, delivery: { autoStart: false }, ...overrides });
    return { app, url: await app.http.listen({ port: 0, host: '127.0.0.1' }) };
  }
  const call = (url: string, path: string, init: { method?: string; json?: unknown } = {}) =>
    fetch(url + path, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${key}`, ...(init.json ? { 'content-type': 'application/json' } : {}) },
      body: init.json ? JSON.stringify(init.json) : undefined,
    });

  beforeAll(async () => {
    storage = await durableStorage(backend);
  });
  afterAll(async () => {
    await storage?.drop();
  });

  it('a deletion requested before a restart is finished after it', async () => {
    const first = await boot({ deletions: { autoStart: false } });
    let id: string;
    try {
      const created = await call(first.url, '/v1/users', { method: 'POST', json: { email_address: ['restart@example.com'], password: 'a durable passphrase' } });
      const body = (await created.json()) as { id: string };
      expect(created.status, JSON.stringify(body)).toBe(200);
      id = body.id;
      expect((await call(first.url, `/compat/authress/v1/users/${id}`, { method: 'DELETE' })).status).toBe(202);
      expect((await call(first.url, `/v1/users/${id}`)).status).toBe(404);
      // Hidden, not yet deleted: the row (and its mark) is the job.
      const row = await first.app.database.db.selectFrom('users').select(['id', 'deletion_requested_at']).where('id', '=', id).executeTakeFirst();
      expect(row?.deletion_requested_at).toBeInstanceOf(Date);
    } finally {
      await first.app.close();
    }

    const second = await boot({ deletions: { options: { pollMs: 20 } } });
    try {
      const db = second.app.database.db;
      const deadline = Date.now() + 5_000;
      while (await db.selectFrom('users').select('id').where('id', '=', id).executeTakeFirst()) {
        expect(Date.now(), 'the restarted worker should finish the deletion within seconds').toBeLessThan(deadline);
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(await db.selectFrom('identifiers').select('id').where('user_id', '=', id).execute()).toEqual([]);
      const events = await db.selectFrom('events').select('type').where('subject_id', '=', id).orderBy('id').execute();
      expect(events.map((e) => e.type)).toEqual(['user.created', 'user.deletion_requested', 'user.deleted']);
    } finally {
      await second.app.close();
    }
  });

  it('concurrent workers delete every marked user exactly once', async () => {
    const { app } = await boot({ deletions: { autoStart: false, options: { batchSize: 7 } } });
    try {
      const ids: string[] = [];
      for (let i = 0; i < 30; i++) ids.push((await app.services.users.create({ emailAddresses: [`batch${i}@example.com`] })).id);
      for (const id of ids) await app.services.users.requestDeletion(id);
      const rounds = await Promise.all(Array.from({ length: 4 }, () => app.services.users.purgeMarked(7)));
      const more = await app.deletions.drain();
      const deleted = [...rounds.flat()];
      expect(deleted.length + more).toBe(30);
      expect(new Set(deleted).size).toBe(deleted.length);
      const left = await app.database.db.selectFrom('users').select('id').where('id', 'in', ids).execute();
      expect(left).toEqual([]);
      const recorded = await app.database.db.selectFrom('events').select('subject_id').where('type', '=', 'user.deleted').where('subject_id', 'in', ids).execute();
      expect(recorded.map((e) => e.subject_id).sort()).toEqual([...ids].sort());
      expect(await app.deletions.runOnce()).toBe(0);
    } finally {
      await app.close();
    }
  });
});
