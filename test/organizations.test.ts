import { createClerkClient } from '@clerk/backend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, startServer, type TestServer } from './helpers/backends.ts';
import { assertMatchesSchema, assertMatchesSpec } from './helpers/clerk-spec.ts';
import { clerkCode } from './helpers/clerk-errors.ts';

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
const GIF = Buffer.from('R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==', 'base64');
const SVG = '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>';

describe.each(BACKENDS)('organizations (%s)', (backend) => {
  let server: TestServer;
  let clerk: ReturnType<typeof createClerkClient>;
  let ann: { id: string };

  /** Sends a request and checks the answer against the spec's response for that operation. */
  async function call(method: string, template: string, path: string, init: { json?: unknown; body?: BodyInit } = {}) {
    const res = await server.api(`/v1${path}`, { method, ...init });
    expect(res.headers.get('content-type')).toBe('application/json');
    const body = (await res.json()) as any;
    assertMatchesSpec(method, template, res.status, body);
    return { status: res.status, body };
  }
  const imageCount = async () => Number((await server.app.database.db.selectFrom('images').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  const events = async (subject: string) =>
    (await server.app.database.db.selectFrom('events').select('type').where('subject_id', '=', subject).orderBy('id').execute()).map((e) => e.type);

  beforeAll(async () => {
    server = await startServer(backend);
    clerk = createClerkClient({ secretKey: server.secretKey, apiUrl: server.url });
    ann = await clerk.users.createUser({ emailAddress: ['ann@example.com'], firstName: 'Ann' });
  });
  afterAll(() => server?.close());

  it('creates, reads, updates and deletes an organization through the SDK', async () => {
    const org = await clerk.organizations.createOrganization({
      name: 'Acme Inc.',
      createdBy: ann.id,
      publicMetadata: { plan: 'pro' },
      privateMetadata: { stripe: 'cus_1' },
    });
    expect(org.id).toMatch(/^org_/);
    expect(org.slug).toBe('acme-inc');
    expect(org.createdBy).toBe(ann.id);
    expect(org.maxAllowedMemberships).toBe(0);
    expect(org.publicMetadata).toEqual({ plan: 'pro' });
    expect(org.privateMetadata).toEqual({ stripe: 'cus_1' });
    expect(org.imageUrl).toBe('');
    expect(org.hasImage).toBe(false);

    const byId = await clerk.organizations.getOrganization({ organizationId: org.id, includeMembersCount: true });
    expect(byId.membersCount).toBe(1);
    const bySlug = await clerk.organizations.getOrganization({ slug: 'acme-inc' });
    expect(bySlug.id).toBe(org.id);
    expect(bySlug.membersCount).toBeUndefined();

    const members = await clerk.organizations.getOrganizationMembershipList({ organizationId: org.id });
    expect(members.totalCount).toBe(1);
    expect(members.data[0].role).toBe('admin');
    expect(members.data[0].publicUserData?.userId).toBe(ann.id);

    const updated = await clerk.organizations.updateOrganization(org.id, { name: 'Acme Corp', slug: 'acme-corp', maxAllowedMemberships: 5, adminDeleteEnabled: false });
    expect([updated.name, updated.slug, updated.maxAllowedMemberships, updated.adminDeleteEnabled]).toEqual(['Acme Corp', 'acme-corp', 5, false]);
    expect(updated.updatedAt).toBeGreaterThanOrEqual(org.updatedAt);
    expect((await clerkCode(clerk.organizations.getOrganization({ slug: 'acme-inc' }))).status).toBe(404);

    await clerk.organizations.updateOrganizationMetadata(org.id, { publicMetadata: { a: { b: 1, c: 2 } }, privateMetadata: { x: 1 } });
    const merged = await clerk.organizations.updateOrganizationMetadata(org.id, { publicMetadata: { a: { c: null, d: 3 }, plan: null } });
    expect(merged.publicMetadata).toEqual({ a: { b: 1, d: 3 } });
    expect(merged.privateMetadata).toEqual({ stripe: 'cus_1', x: 1 });
    const replaced = await clerk.organizations.replaceOrganizationMetadata(org.id, { privateMetadata: { only: true } });
    expect(replaced.privateMetadata).toEqual({ only: true });
    expect(replaced.publicMetadata).toEqual({ a: { b: 1, d: 3 } });

    const deleted = (await clerk.organizations.deleteOrganization(org.id)) as unknown as { id: string; deleted: boolean };
    expect(deleted).toMatchObject({ id: org.id, deleted: true });
    expect(await clerkCode(clerk.organizations.getOrganization({ organizationId: org.id }))).toEqual({ status: 404, code: 'resource_not_found' });
    expect(await events(org.id)).toEqual([
      'organization.created',
      'organization.membership.created',
      'organization.updated',
      'organization.updated',
      'organization.updated',
      'organization.updated',
      'organization.deleted',
    ]);
  });

  it('answers in the shape of the spec', async () => {
    const created = await call('POST', '/organizations', '/organizations', { json: { name: 'Spec Shape', created_by: ann.id, slug: 'spec-shape' } });
    expect(created.status).toBe(200);
    const id = created.body.id;
    expect((await call('GET', '/organizations/{organization_id}', `/organizations/${id}?include_members_count=true`)).body.members_count).toBe(1);
    expect((await call('GET', '/organizations/{organization_id}', '/organizations/spec-shape')).body.id).toBe(id);
    expect((await call('PATCH', '/organizations/{organization_id}', `/organizations/${id}`, { json: { name: 'Spec Shape 2', slug: null } })).body.slug).toBe('spec-shape');
    expect((await call('PATCH', '/organizations/{organization_id}/metadata', `/organizations/${id}/metadata`, { json: { public_metadata: { k: 1 } } })).status).toBe(200);
    const list = await call('GET', '/organizations', '/organizations?include_members_count=true&limit=500');
    expect(list.body.data.find((o: any) => o.id === id)?.members_count).toBe(1);
    const replaced = await server.api(`/v1/organizations/${id}/metadata`, { method: 'PUT', json: { public_metadata: {} } });
    assertMatchesSchema('Organization', await replaced.json());
    const deleted = await call('DELETE', '/organizations/{organization_id}', `/organizations/${id}`);
    expect(deleted.body).toEqual({ object: 'organization', id, slug: 'spec-shape', deleted: true });
  });

  it('validates slugs, keeps them unique and derives them from the name', async () => {
    const a = await clerk.organizations.createOrganization({ name: '  Ünïcode & Co. ' });
    expect([a.name, a.slug]).toEqual(['Ünïcode & Co.', 'unicode-co']);
    expect(a.createdBy).toBeUndefined();
    // The derived slug is taken: a random suffix keeps it unique.
    const b = await clerk.organizations.createOrganization({ name: 'Unicode Co' });
    expect(b.slug).toMatch(/^unicode-co-[a-z0-9]{6}$/);
    expect((await clerk.organizations.createOrganization({ name: '🦄🦄' })).slug).toBe('org');

    const taken = await call('POST', '/organizations', '/organizations', { json: { name: 'Other', slug: 'unicode-co' } });
    expect(taken.status).toBe(422);
    expect(taken.body.errors[0]).toMatchObject({ code: 'form_identifier_exists', meta: { param_name: 'slug' } });
    for (const slug of ['Upper', 'has space', 'under_score', '', 'é', 'x'.repeat(65)]) {
      const bad = await call('POST', '/organizations', '/organizations', { json: { name: 'Bad', slug } });
      expect([slug, bad.status, bad.body.errors[0].code, bad.body.errors[0].meta?.param_name]).toEqual([slug, 422, 'form_param_format_invalid', 'slug']);
    }
    const renamed = await call('PATCH', '/organizations/{organization_id}', `/organizations/${b.id}`, { json: { slug: 'unicode-co' } });
    expect([renamed.status, renamed.body.errors[0].code]).toEqual([422, 'form_identifier_exists']);
    expect((await call('PATCH', '/organizations/{organization_id}', `/organizations/${b.id}`, { json: { slug: 'UPPER' } })).status).toBe(422);
    expect((await clerk.organizations.getOrganization({ slug: 'UNICODE-CO' })).id).toBe(a.id);
    expect((await clerk.organizations.updateOrganization(b.id, { slug: '-9-lives-' })).slug).toBe('-9-lives-');
    for (const o of [a, b]) await clerk.organizations.deleteOrganization(o.id);
  });

  it('lists with query, paging, ordering and member counts', async () => {
    const bob = await clerk.users.createUser({ emailAddress: ['bob@example.com'] });
    const names = ['Zeta Labs', 'alpha works', 'Beta Labs'];
    const orgs = [];
    for (const name of names) orgs.push(await clerk.organizations.createOrganization({ name, createdBy: ann.id }));
    await clerk.organizations.createOrganizationMembership({ organizationId: orgs[2].id, userId: bob.id, role: 'basic_member' });
    const ids = new Set(orgs.map((o) => o.id));
    const ours = async (params: Parameters<typeof clerk.organizations.getOrganizationList>[0]) => {
      const res = await clerk.organizations.getOrganizationList({ limit: 500, ...params });
      return res.data.filter((o) => ids.has(o.id));
    };

    expect((await ours({ orderBy: '+name' })).map((o) => o.name)).toEqual(['alpha works', 'Beta Labs', 'Zeta Labs']);
    expect((await ours({ orderBy: '-created_at' })).map((o) => o.name)).toEqual(['Beta Labs', 'alpha works', 'Zeta Labs']);
    expect((await ours({ orderBy: '+created_at' })).map((o) => o.name)).toEqual(names);
    const byCount = await ours({ orderBy: '-members_count', includeMembersCount: true });
    expect(byCount.map((o) => [o.name, o.membersCount])).toEqual([
      ['Beta Labs', 2],
      ['alpha works', 1],
      ['Zeta Labs', 1],
    ]);
    expect((await ours({})).every((o) => o.membersCount === undefined)).toBe(true);

    const labs = await clerk.organizations.getOrganizationList({ query: 'LABS', orderBy: '+name' });
    expect(labs.data.map((o) => o.name)).toEqual(['Beta Labs', 'Zeta Labs']);
    expect(labs.totalCount).toBe(2);
    expect((await clerk.organizations.getOrganizationList({ query: 'alpha-w' })).data.map((o) => o.id)).toEqual([orgs[1].id]);
    expect((await clerk.organizations.getOrganizationList({ query: orgs[0].id })).data.map((o) => o.id)).toEqual([orgs[0].id]);
    expect((await clerk.organizations.getOrganizationList({ query: '100%' })).totalCount).toBe(0);

    const page1 = await clerk.organizations.getOrganizationList({ query: 'labs', orderBy: '+name', limit: 1 });
    const page2 = await clerk.organizations.getOrganizationList({ query: 'labs', orderBy: '+name', limit: 1, offset: 1 });
    expect([page1.data.map((o) => o.name), page2.data.map((o) => o.name), page1.totalCount]).toEqual([['Beta Labs'], ['Zeta Labs'], 2]);
    const filtered = await clerk.organizations.getOrganizationList({ organizationId: [orgs[0].id, orgs[2].id], orderBy: '+created_at' });
    expect(filtered.data.map((o) => o.id)).toEqual([orgs[0].id, orgs[2].id]);

    for (const [query, param] of [['limit=0', 'limit'], ['limit=501', 'limit'], ['offset=-1', 'offset'], ['order_by=slug', 'order_by'], ['include_members_count=maybe', 'include_members_count']]) {
      const bad = await call('GET', '/organizations', `/organizations?${query}`);
      expect([query, bad.status, bad.body.errors[0].code, bad.body.errors[0].meta.param_name]).toEqual([query, 422, 'form_param_format_invalid', param]);
    }
    const unknown = await call('GET', '/organizations', '/organizations?nickname=x');
    expect([unknown.status, unknown.body.errors[0].code]).toEqual([422, 'form_param_unknown']);
    for (const o of orgs) await clerk.organizations.deleteOrganization(o.id);
    await clerk.users.deleteUser(bob.id);
  });

  it('refuses bad input with Clerk errors and writes nothing', async () => {
    const before = (await clerk.organizations.getOrganizationList()).totalCount;
    const cases: Array<[unknown, number, string, string]> = [
      [{}, 422, 'form_param_missing', 'name'],
      [{ name: '   ' }, 422, 'form_param_format_invalid', 'name'],
      [{ name: 'x'.repeat(257) }, 422, 'form_param_format_invalid', 'name'],
      [{ name: 'X', nickname: 'y' }, 422, 'form_param_unknown', 'nickname'],
      [{ name: 'X', created_by: 'user_missing' }, 400, 'organization_creator_not_found', 'created_by'],
      [{ name: 'X', max_allowed_memberships: -1 }, 422, 'form_param_format_invalid', 'max_allowed_memberships'],
      [{ name: 'X', public_metadata: { blob: 'x'.repeat(9000) } }, 422, 'form_param_format_invalid', 'public_metadata'],
      [{ name: 'X', private_metadata: [] }, 422, 'form_param_format_invalid', 'private_metadata'],
    ];
    for (const [json, status, code, param] of cases) {
      const res = await call('POST', '/organizations', '/organizations', { json });
      expect([json, res.status, res.body.errors[0].code, res.body.errors[0].meta?.param_name]).toEqual([json, status, code, param]);
    }
    expect((await clerk.organizations.getOrganizationList()).totalCount).toBe(before);
    for (const [method, template, path] of [
      ['GET', '/organizations/{organization_id}', '/organizations/org_missing'],
      ['PATCH', '/organizations/{organization_id}', '/organizations/org_missing'],
      ['DELETE', '/organizations/{organization_id}', '/organizations/org_missing'],
      ['PATCH', '/organizations/{organization_id}/metadata', '/organizations/org_missing/metadata'],
    ]) {
      const res = await call(method, template, path, method === 'PATCH' ? { json: { public_metadata: {} } } : {});
      expect([path, res.status, res.body.errors[0].code]).toEqual([path, 404, 'resource_not_found']);
    }
    const unauthenticated = await fetch(`${server.url}/v1/organizations`);
    expect(unauthenticated.status).toBe(401);
  });

  it('stores, serves, replaces and removes logos checked by content', async () => {
    const org = await clerk.organizations.createOrganization({ name: 'Logo Co', createdBy: ann.id });
    const images = await imageCount();
    // The declared type lies on purpose: only the bytes count.
    const withLogo = await clerk.organizations.updateOrganizationLogo(org.id, { file: new Blob([PNG], { type: 'text/plain' }) as any, uploaderUserId: ann.id });
    const path = new URL(withLogo.imageUrl).pathname;
    expect(path).toMatch(/^\/images\/img_/);
    expect(withLogo.hasImage).toBe(true);
    expect((withLogo.raw as any).logo_url).toBe(withLogo.imageUrl);
    const served = await fetch(server.url + path);
    expect([served.status, served.headers.get('content-type'), served.headers.get('cache-control')]).toEqual([200, 'image/png', 'public, max-age=31536000, immutable']);
    expect(Buffer.from(await served.arrayBuffer()).equals(PNG)).toBe(true);
    expect(await imageCount()).toBe(images + 1);

    const upload = (blob: Blob) => {
      const form = new FormData();
      form.append('file', blob);
      return call('PUT', '/organizations/{organization_id}/logo', `/organizations/${org.id}/logo`, { body: form });
    };
    const replaced = await upload(new Blob([GIF], { type: 'image/gif' }));
    expect(replaced.status).toBe(200);
    expect(replaced.body.image_url).not.toBe(withLogo.imageUrl);
    expect((await fetch(server.url + path)).status).toBe(404);
    expect((await fetch(replaced.body.image_url)).headers.get('content-type')).toBe('image/gif');
    expect(await imageCount()).toBe(images + 1);

    for (const [blob, status, code] of [
      [new Blob([SVG], { type: 'image/svg+xml' }), 422, 'image_type_invalid'],
      [new Blob([SVG], { type: 'image/png' }), 422, 'image_type_invalid'],
      [new Blob([Buffer.from('not an image at all')], { type: 'image/png' }), 422, 'image_type_invalid'],
      [new Blob([]), 422, 'image_type_invalid'],
      [new Blob([Buffer.concat([PNG, Buffer.alloc(1024 * 1024)])], { type: 'image/png' }), 413, 'request_body_too_large'],
    ] as const) {
      const res = await upload(blob);
      expect([res.status, res.body.errors[0].code]).toEqual([status, code]);
    }
    const noFile = new FormData();
    noFile.append('uploader_user_id', ann.id);
    const missing = await call('PUT', '/organizations/{organization_id}/logo', `/organizations/${org.id}/logo`, { body: noFile });
    expect([missing.status, missing.body.errors[0].code]).toEqual([422, 'form_param_missing']);
    const asJson = await server.api(`/v1/organizations/${org.id}/logo`, { method: 'PUT', json: { file: 'x' } });
    expect(asJson.status).toBe(422);
    expect(await imageCount()).toBe(images + 1);
    expect((await clerk.organizations.getOrganization({ organizationId: org.id })).imageUrl).toBe(replaced.body.image_url);

    const cleared = await clerk.organizations.deleteOrganizationLogo(org.id);
    expect([cleared.imageUrl, cleared.hasImage]).toEqual(['', false]);
    expect((await fetch(replaced.body.image_url)).status).toBe(404);
    expect(await imageCount()).toBe(images);

    // Deleting an organization deletes its logo too.
    await clerk.organizations.updateOrganizationLogo(org.id, { file: new Blob([PNG]) as any });
    expect(await imageCount()).toBe(images + 1);
    await clerk.organizations.deleteOrganization(org.id);
    expect(await imageCount()).toBe(images);
    const gone = await upload(new Blob([PNG]));
    expect([gone.status, gone.body.errors[0].code]).toEqual([404, 'resource_not_found']);
    expect(await imageCount()).toBe(images);
  });
});
