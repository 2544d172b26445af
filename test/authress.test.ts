import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, startServer, type TestServer } from './helpers/backends.ts';

const BASE = '/compat/authress/v1';
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

describe.each(BACKENDS)('Authress users and tenants (%s)', (backend) => {
  let server: TestServer;
  const authress = (path: string, init?: RequestInit & { json?: unknown }) => server.api(BASE + path, init);
  const json = async (res: Response) => (await res.json()) as any;

  async function clerkUser(body: Record<string, unknown>): Promise<any> {
    const res = await server.api('/v1/users', { method: 'POST', json: { skip_password_checks: true, ...body } });
    expect(res.status).toBe(200);
    return res.json();
  }
  async function organization(name: string, createdBy?: string): Promise<string> {
    const res = await server.api('/v1/organizations', { method: 'POST', json: { name, ...(createdBy ? { created_by: createdBy } : {}) } });
    expect(res.status).toBe(200);
    return (await json(res)).id;
  }
  /** Every user id the list yields, page by page, following `links.next`. */
  async function walk(query: string, between?: (page: number) => Promise<void>): Promise<string[]> {
    const ids: string[] = [];
    let url: string | undefined = `${server.url}${BASE}/users?${query}`;
    for (let page = 0; url; page++) {
      const res = await fetch(url, { headers: { authorization: `Bearer ${server.secretKey}` } });
      expect(res.status).toBe(200);
      const body = await json(res);
      ids.push(...body.users.map((u: any) => u.userId));
      expect(body.links.self.href).toBe(url);
      url = body.links.next?.href;
      expect(body.pagination.next?.cursor).toBe(url ? new URL(url).searchParams.get('cursor') : undefined);
      await between?.(page);
      expect(page).toBeLessThan(200);
    }
    return ids;
  }

  beforeAll(async () => {
    server = await startServer(backend);
  });
  afterAll(async () => {
    await server?.close();
  });

  it('reads a UserIdentity with exactly userId, name, picture and email', async () => {
    const u = await clerkUser({ email_address: ['ada@example.com'], first_name: 'Ada', last_name: 'Lovelace', username: 'ada_l' });
    const res = await authress(`/users/${u.id}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({ userId: u.id, name: 'Ada Lovelace', email: 'ada@example.com' });

    const links = await authress(`/users/${u.id}`, { headers: { accept: 'application/links+json' } });
    expect(links.headers.get('content-type')).toBe('application/links+json');
    expect((await json(links)).userId).toBe(u.id);

    const form = new FormData();
    form.append('file', new Blob([PNG], { type: 'image/png' }), 'a.png');
    const uploaded = await server.api(`/v1/users/${u.id}/profile_image`, { method: 'POST', body: form });
    expect(uploaded.status).toBe(200);
    const imageUrl = (await json(uploaded)).image_url;
    expect(imageUrl).toMatch(/\/images\/img_/);
    expect(await json(await authress(`/users/${u.id}`))).toEqual({ userId: u.id, name: 'Ada Lovelace', picture: imageUrl, email: 'ada@example.com' });
  });

  it('names a user by username, then by primary identifier, never leaving name empty', async () => {
    const byUsername = await clerkUser({ email_address: ['named@example.com'], username: 'only_username' });
    expect(await json(await authress(`/users/${byUsername.id}`))).toEqual({ userId: byUsername.id, name: 'only_username', email: 'named@example.com' });
    const byEmail = await clerkUser({ email_address: ['nameless@example.com'] });
    expect(await json(await authress(`/users/${byEmail.id}`))).toEqual({ userId: byEmail.id, name: 'nameless@example.com', email: 'nameless@example.com' });
    const byPhone = await clerkUser({ phone_number: ['+14155550123'], last_name: 'Solo' });
    expect(await json(await authress(`/users/${byPhone.id}`))).toEqual({ userId: byPhone.id, name: 'Solo' });
  });

  it('answers unknown users, bad ids and bad keys in the Authress envelope', async () => {
    const missing = await authress('/users/user_doesnotexist');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toBe('application/json');
    expect(await missing.json()).toEqual({ errorCode: 'UserNotFound', title: expect.stringContaining('user_doesnotexist') });
    const tooLong = await authress(`/users/${'a'.repeat(129)}`);
    expect(tooLong.status).toBe(400);
    expect(await tooLong.json()).toEqual({ errorCode: 'InvalidRequest', title: expect.any(String) });
    expect((await authress('/users/bad%23char')).status).toBe(400);
    expect((await authress('/users/user_x?extra=1')).status).toBe(400);

    for (const headers of [{}, { authorization: 'Bearer sk_live_not_a_real_key_at_all' }, { authorization: 'Basic abc' }] as Array<Record<string, string>>) {
      const res = await fetch(`${server.url}${BASE}/users`, { headers });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ errorCode: 'Unauthorized', title: expect.any(String) });
    }
    const unknown = await authress('/nothing/here');
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ errorCode: 'NotFound', title: expect.any(String) });
  });

  it('pages through every user once, in (created_at, id) order, with an opaque cursor stable under inserts', async () => {
    // Three users share one created_at: the id breaks the tie.
    for (let i = 0; i < 3; i++) await clerkUser({ email_address: [`tie-${i}@example.org`], created_at: '2020-01-01T00:00:00.000Z' });
    for (let i = 0; i < 4; i++) await clerkUser({ email_address: [`pager${i}@example.org`] });
    const everyone = (await json(await server.api('/v1/users?limit=500&order_by=%2Bcreated_at'))).map((u: any) => u.id);
    expect(await walk('limit=2')).toEqual(everyone);
    expect(await walk('limit=100')).toEqual(everyone);

    // Users created while paging show up once, at the end; none before the cursor reappears.
    const added: string[] = [];
    const seen = await walk('limit=3', async (page) => {
      if (page < 2) added.push((await clerkUser({ email_address: [`during${page}@example.org`] })).id);
    });
    expect(seen).toEqual([...everyone, ...added]);
    expect(new Set(seen).size).toBe(seen.length);

    const first = await json(await authress('/users?limit=1'));
    expect(first.users).toHaveLength(1);
    const cursor: string = first.pagination.next.cursor;
    expect(cursor).not.toContain(first.users[0].userId);
    const flipped = cursor.slice(0, 5) + (cursor[5] === 'A' ? 'B' : 'A') + cursor.slice(6);
    for (const bad of [flipped, 'abc', `${cursor}x`, cursor.split('.')[0], '...']) {
      const res = await authress(`/users?cursor=${encodeURIComponent(bad)}`);
      expect(res.status, bad).toBe(400);
      expect(await res.json()).toEqual({ errorCode: 'InvalidRequest', title: expect.stringContaining('cursor') });
    }
    for (const q of ['limit=0', 'limit=101', 'limit=abc', 'page=2', `filter=${'x'.repeat(65)}`, 'tenantId=no%20spaces']) {
      expect((await authress(`/users?${q}`)).status, q).toBe(400);
    }
    // `-` never occurs in a random base62 id, so only the three tie users match.
    const last = await json(await authress(`/users?limit=100&filter=tie-`));
    expect(last.users).toHaveLength(3);
    expect(last.pagination).toEqual({});
    expect(last.links.next).toBeUndefined();
  });

  it('filters case-insensitively over names, identifiers, username, id and external id', async () => {
    const u = await clerkUser({ email_address: ['grace.hopper@navy.example'], first_name: 'Grace', last_name: 'Hopper', username: 'amazing_grace', external_id: 'EXT-Cobol-59' });
    const match = async (filter: string) => (await json(await authress(`/users?filter=${encodeURIComponent(filter)}`))).users.map((x: any) => x.userId);
    for (const f of ['HOPPER', 'navy.EXAMPLE', 'Amazing_', 'cobol-5', 'ext-cobol-59', u.id, u.id.slice(8, 20).toLowerCase(), ' grace ']) {
      expect(await match(f), f).toEqual([u.id]);
    }
    expect(await match('nobody-like-this')).toEqual([]);
    expect((await match('')).length).toBeGreaterThan(1);
  });

  it('links a user to one tenant, moves the link, and filters by tenant', async () => {
    const u = await clerkUser({ email_address: ['tenant.user@example.com'] });
    const other = await clerkUser({ email_address: ['tenant.other@example.com'] });
    const a = await organization('Tenant A');
    const b = await organization('Tenant B');
    const link = (tenant: string, userId: string) => authress(`/tenants/${tenant}/users`, { method: 'PATCH', json: { userId } });
    const inTenant = async (tenant: string) => (await json(await authress(`/users?tenantId=${tenant}`))).users.map((x: any) => x.userId);
    const memberships = async (userId: string) =>
      (await json(await server.api(`/v1/users/${userId}/organization_memberships`))).data.map((m: any) => [m.organization.id, m.role]).sort();

    const linked = await link(a, u.id);
    expect(linked.status).toBe(204);
    expect(await linked.text()).toBe('');
    expect(await inTenant(a)).toEqual([u.id]);
    expect(await memberships(u.id)).toEqual([[a, 'basic_member']]);
    expect((await link(a, u.id)).status).toBe(204);
    expect(await memberships(u.id)).toEqual([[a, 'basic_member']]);

    // Moving: the old link's membership goes, the new one comes, in one step.
    expect((await link(b, u.id)).status).toBe(204);
    expect(await inTenant(a)).toEqual([]);
    expect(await inTenant(b)).toEqual([u.id]);
    expect(await memberships(u.id)).toEqual([[b, 'basic_member']]);

    // A Clerk membership that exists already becomes the link, keeping its role; others stay.
    const c = await organization('Tenant C', other.id);
    expect((await server.api(`/v1/organizations/${a}/memberships`, { method: 'POST', json: { user_id: other.id, role: 'basic_member' } })).status).toBe(200);
    expect((await link(c, other.id)).status).toBe(204);
    expect(await inTenant(c)).toEqual([other.id]);
    expect(await memberships(other.id)).toEqual([[a, 'basic_member'], [c, 'admin']].sort());
    // The last admin of its tenant cannot be moved away from it.
    const blocked = await link(b, other.id);
    expect(blocked.status).toBe(409);
    expect(await blocked.json()).toEqual({ errorCode: 'Conflict', title: expect.any(String) });
    expect(await inTenant(c)).toEqual([other.id]);
    expect(await inTenant(`org_${'0'.repeat(27)}`)).toEqual([]);
    // A tenant at its member limit takes no new link.
    const full = await json(await server.api('/v1/organizations', { method: 'POST', json: { name: 'Full Tenant', created_by: other.id, max_allowed_memberships: 1 } }));
    const refused = await link(full.id, u.id);
    expect(refused.status).toBe(409);
    expect((await refused.json()).errorCode).toBe('Conflict');
    expect(await inTenant(b)).toEqual([u.id]);

    const noTenant = await link('org_missing', u.id);
    expect(noTenant.status).toBe(404);
    expect(await noTenant.json()).toEqual({ errorCode: 'TenantNotFound', title: expect.any(String) });
    const noUser = await link(a, 'user_missing');
    expect(noUser.status).toBe(404);
    expect((await noUser.json()).errorCode).toBe('UserNotFound');
    for (const body of [{}, { userId: u.id, extra: 1 }, { userId: '' }, { userId: { id: u.id } }, { userId: 'has#hash' }]) {
      const res = await authress(`/tenants/${a}/users`, { method: 'PATCH', json: body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect((await res.json()).errorCode).toBe('InvalidRequest');
    }
  });

  it('deletes with 202: gone from every read at once, hard-deleted by the worker', async () => {
    const u = await clerkUser({ email_address: ['leaving@example.com'], username: 'leaving_user', password: 'a fine long password' });
    const org = await organization('Leaving Org', u.id);
    const del = await authress(`/users/${u.id}`, { method: 'DELETE' });
    expect(del.status).toBe(202);
    expect(await del.text()).toBe('');

    expect((await authress(`/users/${u.id}`)).status).toBe(404);
    expect((await server.api(`/v1/users/${u.id}`)).status).toBe(404);
    expect((await server.api(`/v1/users/${u.id}/verify_password`, { method: 'POST', json: { password: 'a fine long password' } })).status).toBe(404);
    expect(await json(await server.api('/v1/users?email_address=leaving@example.com'))).toEqual([]);
    expect((await json(await authress('/users?filter=leaving'))).users).toEqual([]);
    expect((await json(await server.api(`/v1/organizations/${org}?include_members_count=true`))).members_count).toBe(0);
    expect((await authress(`/users/${u.id}`, { method: 'DELETE' })).status).toBe(404);
    expect((await server.api(`/v1/users/${u.id}`, { method: 'DELETE' })).status).toBe(404);

    // The worker finishes within seconds; then the email address is free again.
    const deadline = Date.now() + 5_000;
    const db = server.app.database.db;
    while ((await db.selectFrom('users').select('id').where('id', '=', u.id).execute()).length > 0) {
      expect(Date.now()).toBeLessThan(deadline);
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(await db.selectFrom('identifiers').select('id').where('user_id', '=', u.id).execute()).toEqual([]);
    const types = (await db.selectFrom('events').select('type').where('subject_id', '=', u.id).orderBy('id').execute()).map((e) => e.type);
    expect(types.slice(-2)).toEqual(['user.deletion_requested', 'user.deleted']);
    expect((await clerkUser({ email_address: ['leaving@example.com'], username: 'leaving_user' })).id).not.toBe(u.id);
  });
});
