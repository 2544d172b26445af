/**
 * The user list and count SQL is compiled once per filter shape and then run with parameters the
 * storage layer lists itself (src/storage/compiled-shapes.ts). A shape whose listed parameters
 * differ from Kysely's is never cached, which is safe but slow; this holds every filter term to
 * the cached path, and the cached answers to the built ones.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { openStorage } from '../src/app.ts';
import type { UserFilter } from '../src/core/users/types.ts';
import type { DatabaseHandle } from '../src/storage/db.ts';
import { createStore } from '../src/storage/store.ts';
import { userListShapes } from '../src/storage/user-store.ts';
import { termsShape, userFilterTerms } from '../src/storage/user-rows.ts';

const FILTERS: UserFilter[] = [
  { emailAddresses: ['a@example.com'] },
  { emailAddresses: ['a@example.com', 'b@example.com'], phoneNumbers: ['+15555550100'] },
  { web3Wallets: ['0xabc'] },
  { usernames: ['alice'] },
  { externalIds: { include: ['x1'], exclude: [] } },
  { externalIds: { include: [], exclude: ['x1', 'x2'] } },
  { userIds: { include: ['user_1'], exclude: ['user_2'] } },
  { organizationIds: { include: ['org_1'], exclude: ['org_2'] } },
  { query: 'User_Ali' },
  { uuids: ['00000000-0000-4000-8000-000000000000'] },
  { usernameContains: 'li_' },
  { emailContains: '%ex' },
  { text: 'user_bob' },
  { tenantId: 'org_1' },
  { after: { createdAt: new Date('2024-01-01T00:00:00Z'), id: 'user_0' } },
  {},
];

describe('compiled list shapes (pglite)', () => {
  let db: DatabaseHandle;
  beforeAll(async () => {
    // loadConfig resolves the data folder to a path; memory:// must reach PGlite as it is.
    db = await openStorage({ ...loadConfig({}), dataDir: 'memory://' });
  });
  afterAll(() => db.close());

  it('serves every filter term from the cache, with the same rows as a fresh build', async () => {
    const store = createStore(db.db);
    for (const filter of FILTERS) {
      const shape = termsShape(userFilterTerms(filter));
      const order = { field: 'created_at' as const, direction: 'desc' as const };
      const first = await store.users.list(filter, order, { limit: 10, offset: 0 });
      const firstCount = await store.users.count(filter);
      // First pages are read in one pass, deep ones ids-first: both shapes are cached.
      await store.users.list(filter, order, { limit: 10, offset: 200 });
      expect(userListShapes.isCached(`flat|created_at|desc|${shape}`), `flat ${shape}`).toBe(true);
      expect(userListShapes.isCached(`list|created_at|desc|${shape}`), `list ${shape}`).toBe(true);
      expect(userListShapes.isCached(`count|${shape}`), `count ${shape}`).toBe(true);
      expect(await store.users.list(filter, order, { limit: 10, offset: 0 })).toEqual(first);
      expect(await store.users.count(filter)).toBe(firstCount);
    }
  });
});

describe('compiled membership shapes (pglite)', () => {
  let db: DatabaseHandle;
  beforeAll(async () => {
    // loadConfig resolves the data folder to a path; memory:// must reach PGlite as it is.
    db = await openStorage({ ...loadConfig({}), dataDir: 'memory://' });
  });
  afterAll(() => db.close());

  it('serves the members and memberships lists from the cache', async () => {
    const { membershipShapes } = await import('../src/storage/membership-store.ts');
    const store = createStore(db.db);
    const order = { field: 'created_at' as const, direction: 'desc' as const };
    for (const [filter, shape] of [
      [{ organizationId: 'org_1' }, 'org:1'],
      [{ userId: 'user_1' }, 'user:1'],
      [{ organizationId: 'org_1', userIds: ['user_1', 'user_2'], roles: ['org:admin'], query: 'Al_' }, 'org:1,users:2,roles:1,query:1'],
    ] as [Record<string, unknown>, string][]) {
      await store.memberships.list(filter as never, order, { limit: 10, offset: 0 });
      await store.memberships.count(filter as never);
      expect(membershipShapes.isCached(`list|created_at|desc|${shape}`), shape).toBe(true);
      expect(membershipShapes.isCached(`count|${shape}`), shape).toBe(true);
    }
  });
});
