import { createClerkClient } from '@clerk/backend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, startServer, type TestServer } from './helpers/backends.ts';
import { assertMatchesSchema } from './helpers/clerk-spec.ts';
import { clerkCode } from './helpers/clerk-errors.ts';
import { specCall } from './helpers/spec-call.ts';

describe.each(BACKENDS)('organization memberships (%s)', (backend) => {
  let server: TestServer;
  let clerk: ReturnType<typeof createClerkClient>;
  let n = 0;

  const newUser = (first = 'Member') => clerk.users.createUser({ emailAddress: [`${first.toLowerCase()}${++n}@example.com`], firstName: first });
  const newOrg = (createdBy?: string, maxAllowedMemberships?: number) => clerk.organizations.createOrganization({ name: `Org ${++n}`, createdBy, maxAllowedMemberships });
  const membersCount = async (id: string) => (await clerk.organizations.getOrganization({ organizationId: id, includeMembersCount: true })).membersCount;
  const memberIds = async (organizationId: string, extra: Record<string, unknown> = {}) =>
    (await clerk.organizations.getOrganizationMembershipList({ organizationId, limit: 100, ...extra })).data.map((m) => m.publicUserData?.userId);
  const add = (organizationId: string, userId: string, role = 'basic_member') => clerk.organizations.createOrganizationMembership({ organizationId, userId, role });

  async function call(method: string, template: string, path: string, json?: unknown) {
    const { status, body } = await specCall(server, method, template, path, json);
    return { status, body, code: body.errors?.[0]?.code as string | undefined, param: body.errors?.[0]?.meta?.param_name as string | undefined };
  }

  beforeAll(async () => {
    server = await startServer(backend);
    clerk = createClerkClient({ secretKey: server.secretKey, apiUrl: server.url });
  });
  afterAll(() => server?.close());

  it('adds, lists, changes and removes members through the SDK', async () => {
    const [ann, bob, cat] = [await newUser('Ann'), await newUser('Bob'), await newUser('Cat')];
    const org = await newOrg(ann.id);
    const bobs = await add(org.id, bob.id, 'basic_member');
    expect(bobs.id).toMatch(/^orgmem_/);
    expect([bobs.role, (bobs.raw as any).role_name, bobs.permissions]).toEqual(['basic_member', 'Member', ['org:sys_memberships:read']]);
    expect(bobs.organization.id).toBe(org.id);
    expect(bobs.publicUserData).toMatchObject({ userId: bob.id, firstName: 'Bob', identifier: bob.emailAddresses[0].emailAddress, imageUrl: '' });
    expect((await add(org.id, cat.id, 'org:member')).role).toBe('basic_member');

    expect(await memberIds(org.id)).toEqual([cat.id, bob.id, ann.id]);
    expect(await memberIds(org.id, { orderBy: '+created_at' })).toEqual([ann.id, bob.id, cat.id]);
    expect(await memberIds(org.id, { orderBy: '+first_name' })).toEqual([ann.id, bob.id, cat.id]);
    expect(await memberIds(org.id, { role: ['admin'] })).toEqual([ann.id]);
    expect(await memberIds(org.id, { role: ['org:member'], orderBy: '+created_at' })).toEqual([bob.id, cat.id]);
    expect(await memberIds(org.id, { userId: [cat.id, ann.id], orderBy: '+created_at' })).toEqual([ann.id, cat.id]);
    expect(await memberIds(org.id, { query: 'CAT' })).toEqual([cat.id]);
    const page = await clerk.organizations.getOrganizationMembershipList({ organizationId: org.id, orderBy: '+created_at', limit: 1, offset: 1 });
    expect([page.data.map((m) => m.publicUserData?.userId), page.totalCount]).toEqual([[bob.id], 3]);

    const promoted = await clerk.organizations.updateOrganizationMembership({ organizationId: org.id, userId: bob.id, role: 'admin' });
    expect([promoted.role, promoted.permissions.includes('org:sys_memberships:manage')]).toEqual(['admin', true]);

    await clerk.organizations.updateOrganizationMembershipMetadata({ organizationId: org.id, userId: bob.id, publicMetadata: { a: { b: 1 } }, privateMetadata: { x: 1 } });
    const merged = await clerk.organizations.updateOrganizationMembershipMetadata({ organizationId: org.id, userId: bob.id, publicMetadata: { a: { b: null, c: 2 } } });
    expect([merged.publicMetadata, merged.privateMetadata]).toEqual([{ a: { c: 2 } }, { x: 1 }]);

    const removed = await clerk.organizations.deleteOrganizationMembership({ organizationId: org.id, userId: cat.id });
    expect([removed.publicUserData?.userId, removed.role]).toEqual([cat.id, 'basic_member']);
    expect(await memberIds(org.id)).toEqual([bob.id, ann.id]);
    expect(await membersCount(org.id)).toBe(2);

    const events = await server.app.database.db.selectFrom('events').select('type').where('subject_id', '=', org.id).orderBy('id').execute();
    expect(events.map((e) => e.type)).toEqual([
      'organization.created',
      'organization.membership.created',
      'organization.membership.created',
      'organization.membership.created',
      'organization.membership.updated',
      'organization.membership.updated',
      'organization.membership.updated',
      'organization.membership.deleted',
    ]);
  });

  it('answers in the shape of the spec', async () => {
    const [ann, bob] = [await newUser(), await newUser()];
    const org = await newOrg(ann.id);
    const base = `/organizations/${org.id}/memberships`;
    expect((await call('POST', '/organizations/{id}/memberships', base, { user_id: bob.id, role: 'basic_member' })).status).toBe(200);
    expect((await call('GET', '/organizations/{id}/memberships', `${base}?limit=1`)).body.total_count).toBe(2);
    expect((await call('PATCH', '/organizations/{id}/memberships/{user_id}', `${base}/${bob.id}`, { role: 'admin' })).body.role).toBe('admin');
    expect((await call('PATCH', '/organizations/{id}/memberships/{user_id}/metadata', `${base}/${bob.id}/metadata`, { public_metadata: { k: 1 } })).status).toBe(200);
    expect((await call('GET', '/users/{user_id}/organization_memberships', `/users/${bob.id}/organization_memberships`)).body.total_count).toBe(1);
    expect((await call('DELETE', '/organizations/{id}/memberships/{user_id}', `${base}/${bob.id}`)).status).toBe(200);
    const all = await server.api('/v1/organization_memberships?limit=500');
    assertMatchesSchema('OrganizationMemberships', await all.json());
  });

  it('refuses bad memberships with Clerk errors', async () => {
    const [ann, bob] = [await newUser(), await newUser()];
    const org = await newOrg(ann.id);
    const base = `/organizations/${org.id}/memberships`;
    const post = (json: unknown, path = base) => call('POST', '/organizations/{id}/memberships', path, json);
    expect(await post({ user_id: ann.id, role: 'basic_member' })).toMatchObject({ status: 400, code: 'already_a_member_in_organization' });
    expect(await post({ user_id: 'user_missing', role: 'basic_member' })).toMatchObject({ status: 404, code: 'resource_not_found', param: 'user_id' });
    expect(await post({ user_id: bob.id, role: 'owner' })).toMatchObject({ status: 404, code: 'resource_not_found', param: 'role' });
    expect(await post({ user_id: bob.id })).toMatchObject({ status: 422, code: 'form_param_missing', param: 'role' });
    expect(await post({ user_id: bob.id, role: 'admin', extra: 1 })).toMatchObject({ status: 422, code: 'form_param_unknown' });
    expect(await post({ user_id: bob.id, role: 'admin' }, '/organizations/org_missing/memberships')).toMatchObject({ status: 404, code: 'resource_not_found' });
    expect(await call('GET', '/organizations/{id}/memberships', '/organizations/org_missing/memberships')).toMatchObject({ status: 404 });
    expect(await call('GET', '/organizations/{id}/memberships', `${base}?order_by=email`)).toMatchObject({ status: 422, code: 'form_param_format_invalid' });
    expect(await call('PATCH', '/organizations/{id}/memberships/{user_id}', `${base}/${bob.id}`, { role: 'admin' })).toMatchObject({ status: 404, code: 'resource_not_found' });
    expect(await call('DELETE', '/organizations/{id}/memberships/{user_id}', `${base}/${bob.id}`)).toMatchObject({ status: 404, code: 'resource_not_found' });
    const big = { public_metadata: { blob: 'x'.repeat(9000) } };
    expect(await call('PATCH', '/organizations/{id}/memberships/{user_id}/metadata', `${base}/${ann.id}/metadata`, big)).toMatchObject({ status: 422, param: 'public_metadata' });
    expect(await memberIds(org.id)).toEqual([ann.id]);
  });

  it('enforces max_allowed_memberships, also under concurrent requests', async () => {
    const [ann, bob, cat] = [await newUser(), await newUser(), await newUser()];
    const org = await newOrg(ann.id, 2);
    await add(org.id, bob.id);
    expect(await clerkCode(add(org.id, cat.id))).toEqual({ status: 403, code: 'organization_membership_quota_exceeded' });
    expect(await membersCount(org.id)).toBe(2);
    await clerk.organizations.updateOrganization(org.id, { maxAllowedMemberships: 0 });
    await add(org.id, cat.id);
    expect(await membersCount(org.id)).toBe(3);

    const limited = await newOrg(ann.id, 3);
    const racers = await Promise.all([1, 2, 3, 4, 5].map(() => newUser()));
    const results = await Promise.allSettled(racers.map((u) => add(limited.id, u.id)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
    expect(results.filter((r) => r.status === 'rejected').map((r: any) => r.reason.errors[0].code)).toEqual(Array(3).fill('organization_membership_quota_exceeded'));
    expect(await membersCount(limited.id)).toBe(3);
  });

  it('never lets an organization lose its last admin', async () => {
    const [ann, bob] = [await newUser(), await newUser()];
    const org = await newOrg(ann.id);
    await add(org.id, bob.id);
    const lastAdmin = { status: 400, code: 'organization_minimum_permissions_needed' };
    expect(await clerkCode(clerk.organizations.updateOrganizationMembership({ organizationId: org.id, userId: ann.id, role: 'basic_member' }))).toEqual(lastAdmin);
    expect(await clerkCode(clerk.organizations.deleteOrganizationMembership({ organizationId: org.id, userId: ann.id }))).toEqual(lastAdmin);
    // An admin may be set to admin again; a member may leave.
    expect((await clerk.organizations.updateOrganizationMembership({ organizationId: org.id, userId: ann.id, role: 'org:admin' })).role).toBe('admin');

    await clerk.organizations.updateOrganizationMembership({ organizationId: org.id, userId: bob.id, role: 'admin' });
    // Two admins demoting each other at once: one must stay.
    const demotions = await Promise.allSettled([ann, bob].map((u) => clerk.organizations.updateOrganizationMembership({ organizationId: org.id, userId: u.id, role: 'basic_member' })));
    expect(demotions.map((d) => d.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(await memberIds(org.id, { role: ['admin'] })).toHaveLength(1);

    const orphan = await newOrg();
    await add(orphan.id, bob.id, 'basic_member');
    await clerk.organizations.deleteOrganizationMembership({ organizationId: orphan.id, userId: bob.id });
    expect(await membersCount(orphan.id)).toBe(0);
  });

  it("lists a user's memberships with the organization embedded, paged", async () => {
    const ann = await newUser();
    const orgs = [await newOrg(ann.id), await newOrg(ann.id), await newOrg(ann.id)];
    const first = await clerk.users.getOrganizationMembershipList({ userId: ann.id, limit: 2 });
    expect([first.totalCount, first.data.map((m) => m.organization.id)]).toEqual([3, [orgs[2].id, orgs[1].id]]);
    expect(first.data[0].organization.name).toBe(orgs[2].name);
    const rest = await clerk.users.getOrganizationMembershipList({ userId: ann.id, limit: 2, offset: 2 });
    expect(rest.data.map((m) => m.organization.id)).toEqual([orgs[0].id]);
    expect(await clerkCode(clerk.users.getOrganizationMembershipList({ userId: 'user_missing' }))).toEqual({ status: 404, code: 'resource_not_found' });

    const bob = await newUser();
    await add(orgs[0].id, bob.id);
    const inOrg = await clerk.users.getUserList({ organizationId: [orgs[0].id], orderBy: '+created_at' });
    expect(inOrg.data.map((u) => u.id)).toEqual([ann.id, bob.id]);
    const notIn = await clerk.users.getUserList({ organizationId: [`-${orgs[1].id}`], userId: [ann.id, bob.id] });
    expect(notIn.data.map((u) => u.id)).toEqual([bob.id]);
  });

  it('removes memberships with a deleted user or organization, keeping counts right', async () => {
    const [ann, bob] = [await newUser(), await newUser()];
    const one = await newOrg(ann.id);
    const two = await newOrg(ann.id);
    await add(one.id, bob.id);
    await add(two.id, bob.id);
    expect([await membersCount(one.id), await membersCount(two.id)]).toEqual([2, 2]);

    await clerk.users.deleteUser(bob.id);
    expect([await membersCount(one.id), await membersCount(two.id)]).toEqual([1, 1]);
    expect(await memberIds(one.id)).toEqual([ann.id]);
    const listed = await clerk.organizations.getOrganizationList({ organizationId: [one.id, two.id], includeMembersCount: true });
    expect(listed.data.map((o) => o.membersCount)).toEqual([1, 1]);

    await clerk.organizations.deleteOrganization(one.id);
    const annsOrgs = await clerk.users.getOrganizationMembershipList({ userId: ann.id });
    expect(annsOrgs.data.map((m) => m.organization.id)).toEqual([two.id]);
    expect((await clerk.users.getUserList({ organizationId: [one.id] })).data).toEqual([]);
    const rows = await server.app.database.db.selectFrom('organization_memberships').select('id').where('organization_id', '=', one.id).execute();
    expect(rows).toEqual([]);
    // The organization's record of its creator outlives the creator.
    await clerk.users.deleteUser(ann.id);
    expect((await clerk.organizations.getOrganization({ organizationId: two.id, includeMembersCount: true })).membersCount).toBe(0);
    expect((await clerk.organizations.getOrganization({ organizationId: two.id })).createdBy).toBe(ann.id);
  });
});
