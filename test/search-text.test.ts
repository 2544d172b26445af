import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, startServer, type TestServer } from './helpers/backends.ts';

/** The search text is written by JavaScript on insert and by SQL on update; both must agree. */
describe.each(BACKENDS)('search text (%s)', (backend) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer(backend);
  });
  afterAll(() => server?.close());

  it('is the same whether computed on insert or recomputed by SQL', async () => {
    const { users } = server.app.services;
    const created = await users.create({
      emailAddresses: ['Zoe.Unicode@Example.com', 'second@example.org'],
      phoneNumbers: ['+14155552671'],
      username: 'Mixed_Case',
      firstName: 'Zoë',
      lastName: "O'Brien",
    });
    const db = server.app.database.db;
    const before = await db.selectFrom('users').select('search').where('id', '=', created.id).executeTakeFirstOrThrow();
    const store = (await import('../src/storage/store.ts')).createStore(db);
    await store.users.refreshSearch(created.id);
    const after = await db.selectFrom('users').select('search').where('id', '=', created.id).executeTakeFirstOrThrow();
    expect(after.search).toBe(before.search);
    expect(before.search).not.toContain('user_');
    expect(before.search).toContain('zoe.unicode@example.com');
    expect(before.search).toContain('zoë');
    // A query for the whole id still finds the user, prefix and all.
    expect((await users.list({ query: created.id }, { field: 'created_at', direction: 'desc' }, { limit: 10, offset: 0 })).map((u) => u.id)).toEqual([created.id]);
    expect((await users.list({ query: "o'bri" }, { field: 'created_at', direction: 'desc' }, { limit: 10, offset: 0 })).map((u) => u.id)).toEqual([created.id]);
  });
});
