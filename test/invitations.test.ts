import { createClerkClient } from '@clerk/backend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, startServer, type TestServer } from './helpers/backends.ts';
import { assertMatchesSchema } from './helpers/clerk-spec.ts';
import { type SmtpReceiver, startSmtpReceiver } from './helpers/smtp-receiver.ts';
import { clerkCode } from './helpers/clerk-errors.ts';
import { specCall } from './helpers/spec-call.ts';

/** The link of the last email to `to`, and its token. */
function linkTo(smtp: SmtpReceiver, to: string, path: string, param: string): { url: URL; token: string } {
  const mail = smtp.messages.filter((m) => m.rcptTo.some((r) => r.toLowerCase() === to.toLowerCase())).at(-1);
  if (!mail) throw new Error(`no email to ${to}`);
  const href = new RegExp(`href="([^"]*${path}[^"]*)"`).exec(mail.html)?.[1];
  if (!href) throw new Error(`no ${path} link in ${mail.html}`);
  // Handlebars escapes `=` and `&` in attribute values.
  const url = new URL(href.replace(/&#x([0-9a-f]+);/gi, (_m, h: string) => String.fromCharCode(Number.parseInt(h, 16))).replace(/&amp;/g, '&'));
  return { url, token: url.searchParams.get(param) as string };
}

describe.each(BACKENDS)('invitations (%s)', (backend) => {
  let server: TestServer;
  let smtp: SmtpReceiver;
  let clerk: ReturnType<typeof createClerkClient>;

  const call = (method: string, template: string, path: string, json?: unknown) => specCall(server, method, template, path, json);
  const mailsTo = (to: string) => smtp.messages.filter((m) => m.rcptTo.some((r) => r.toLowerCase() === to.toLowerCase()));
  const tokenHashes = async (table: 'invitations' | 'organization_invitations') =>
    (await server.app.database.db.selectFrom(table).select('token_hash').execute()).map((r) => r.token_hash);

  beforeAll(async () => {
    smtp = await startSmtpReceiver();
    server = await startServer(backend, { SMTP_URL: smtp.url, EMAIL_FROM: 'Acme <no-reply@acme.test>', PUBLIC_URL: 'https://id.acme.test' }, { delivery: { autoStart: false } });
    clerk = createClerkClient({ secretKey: server.secretKey, apiUrl: server.url });
  });
  afterAll(async () => {
    await server?.close();
    await smtp?.close();
  });

  it('creates an instance invitation, emails a sign-up link and accepts it once at the core', async () => {
    const inv = await clerk.invitations.createInvitation({ emailAddress: 'Grace@Example.com', publicMetadata: { plan: 'pro' }, redirectUrl: '/welcome' });
    expect([inv.emailAddress, inv.status, inv.revoked, inv.publicMetadata]).toEqual(['Grace@Example.com', 'pending', false, { plan: 'pro' }]);
    expect(inv.url).toBeUndefined();
    expect(await server.app.delivery.drain()).toBe(1);
    const mail = mailsTo('Grace@Example.com')[0];
    expect(mail.subject).toBe("You're invited to id.acme.test");
    const { url, token } = linkTo(smtp, 'Grace@Example.com', '/sign-up', 'invitation_token');
    expect(`${url.origin}${url.pathname}`).toBe('https://id.acme.test/sign-up');
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // Stored as its SHA-256 only.
    const hashes = await tokenHashes('invitations');
    expect(hashes).toContain((await import('node:crypto')).createHash('sha256').update(token).digest('hex'));
    expect(hashes.join()).not.toContain(token);

    const { invitations } = server.app.services;
    expect((await invitations.lookup(token)).id).toBe(inv.id);
    const first = invitations.accept(token, { password: 'a long passphrase 42', firstName: 'Grace' });
    const second = invitations.accept(token, { password: 'a long passphrase 42' });
    const results = await Promise.allSettled([first, second]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const { user, invitation } = (results.find((r) => r.status === 'fulfilled') as PromiseFulfilledResult<Awaited<typeof first>>).value;
    expect([invitation.status, invitation.userId]).toEqual(['accepted', user.id]);
    expect(user.publicMetadata).toEqual({ plan: 'pro' });
    expect(user.identifiers.map((i) => [i.value, i.verified, i.verificationStrategy])).toEqual([['Grace@Example.com', true, 'ticket']]);
    expect(user.passwordEnabled).toBe(true);
    await expect(invitations.accept(token, {})).rejects.toMatchObject({ code: 'invitation_already_accepted' });
    await expect(invitations.lookup('x'.repeat(43))).rejects.toMatchObject({ code: 'verification_missing' });

    const accepted = await clerk.invitations.getInvitationList({ status: 'accepted' });
    expect(accepted.data.map((i) => i.id)).toEqual([inv.id]);
    expect(accepted.totalCount).toBe(1);
    // Address now has a user: a new invitation is refused unless told to ignore that.
    expect(await clerkCode(clerk.invitations.createInvitation({ emailAddress: 'grace@example.com' }))).toEqual({ status: 400, code: 'invitation_account_exists' });
  });

  it('refuses duplicates, revokes, lists by status, expires, and returns the link only without an email', async () => {
    const a = await call('POST', '/invitations', '/invitations', { email_address: 'ada@example.com' });
    expect(a.status).toBe(200);
    const dup = await call('POST', '/invitations', '/invitations', { email_address: 'ADA@example.com' });
    expect([dup.status, dup.body.errors[0].code]).toEqual([400, 'duplicate_record']);
    // ignore_existing supersedes the pending one (revoked) with a new one.
    const b = await clerk.invitations.createInvitation({ emailAddress: 'ada@example.com', ignoreExisting: true, notify: false, expiresInDays: 1 });
    expect(b.url).toMatch(/^https:\/\/id\.acme\.test\/sign-up\?invitation_token=[A-Za-z0-9_-]{43}$/);
    const { url: _url, ...shown } = b.raw as unknown as Record<string, unknown>;
    assertMatchesSchema('Invitation', shown);
    const listed = await call('GET', '/invitations', '/invitations?status=revoked');
    expect(listed.body.map((i: any) => [i.id, i.status, i.revoked])).toEqual([[a.body.id, 'revoked', true]]);
    expect((await call('GET', '/invitations', '/invitations?status=pending')).body.map((i: any) => i.id)).toEqual([b.id]);

    const revoked = await call('POST', '/invitations/{invitation_id}/revoke', `/invitations/${b.id}/revoke`);
    expect([revoked.body.status, revoked.body.revoked]).toEqual(['revoked', true]);
    const again = await call('POST', '/invitations/{invitation_id}/revoke', `/invitations/${b.id}/revoke`);
    expect([again.status, again.body.errors[0].code]).toEqual([400, 'invitation_already_revoked']);
    const missing = await call('POST', '/invitations/{invitation_id}/revoke', '/invitations/inv_missing/revoke');
    expect([missing.status, missing.body.errors[0].code]).toEqual([404, 'resource_not_found']);
    await expect(server.app.services.invitations.accept(new URL(b.url as string).searchParams.get('invitation_token') as string)).rejects.toMatchObject({ code: 'invitation_already_revoked' });

    // An expired link is refused; the list shows the invitation as expired.
    const c = await clerk.invitations.createInvitation({ emailAddress: 'late@example.com', notify: false, expiresInDays: 1 });
    await server.app.database.db.updateTable('invitations').set({ expires_at: new Date(Date.now() - 1000) }).where('id', '=', c.id).execute();
    await expect(server.app.services.invitations.accept(new URL(c.url as string).searchParams.get('invitation_token') as string)).rejects.toMatchObject({ code: 'verification_expired' });
    expect((await clerk.invitations.getInvitationList({ status: 'expired' })).data.map((i) => [i.id, i.status])).toEqual([[c.id, 'expired']]);

    const page = await clerk.invitations.getInvitationList({ limit: 1, orderBy: '+email_address', query: 'example.com' });
    expect(page.totalCount).toBeGreaterThanOrEqual(3);
    expect(page.data[0].emailAddress).toBe('ada@example.com');
    for (const i of page.data) assertMatchesSchema('Invitation', i.raw);
    const deleted = await clerk.invitations.deleteInvitation(c.id);
    expect([deleted.id, deleted.deleted]).toEqual([c.id, true]);
    expect(await clerkCode(clerk.invitations.revokeInvitation(c.id))).toEqual({ status: 404, code: 'resource_not_found' });
  });

  it('refuses bad input with 4xx and sends nothing', async () => {
    await server.app.delivery.drain();
    const before = smtp.messages.length;
    const cases: Array<[unknown, number, string, string]> = [
      [{}, 422, 'form_param_missing', 'email_address'],
      [{ email_address: 'not-an-email' }, 422, 'form_param_format_invalid', 'email_address'],
      [{ email_address: 'x@example.com', expires_in_days: 0 }, 422, 'form_param_format_invalid', 'expires_in_days'],
      [{ email_address: 'x@example.com', redirect_url: 'https://evil.example/cb' }, 422, 'invalid_redirect_url', 'redirect_url'],
      [{ email_address: 'x@example.com', redirect_url: '//evil.example' }, 422, 'invalid_redirect_url', 'redirect_url'],
      [{ email_address: 'x@example.com', public_metadata: { blob: 'x'.repeat(9000) } }, 422, 'form_param_format_invalid', 'public_metadata'],
      [{ email_address: 'x@example.com', nickname: 'y' }, 422, 'form_param_unknown', 'nickname'],
    ];
    for (const [json, status, code, param] of cases) {
      const res = await call('POST', '/invitations', '/invitations', json);
      expect([json, res.status, res.body.errors[0].code, res.body.errors[0].meta?.param_name]).toEqual([json, status, code, param]);
    }
    expect((await call('GET', '/invitations', '/invitations?status=maybe')).status).toBe(422);
    await server.app.delivery.drain();
    expect(smtp.messages.length).toBe(before);
  });

  it('invites to an organization by email and accepts with the matching verified address', async () => {
    const admin = await clerk.users.createUser({ emailAddress: ['owner@example.com'], firstName: 'Olive', lastName: 'Owner' });
    const member = await clerk.users.createUser({ emailAddress: ['member@example.com'] });
    const org = await clerk.organizations.createOrganization({ name: 'Analytical Engines', createdBy: admin.id });
    const sent = smtp.messages.length;

    const inv = await clerk.organizations.createOrganizationInvitation({
      organizationId: org.id,
      emailAddress: 'Newbie@Example.com',
      role: 'org:member',
      inviterUserId: admin.id,
      publicMetadata: { team: 'blue' },
      privateMetadata: { source: 'crm' },
    });
    expect([inv.emailAddress, inv.role, inv.roleName, inv.status, inv.organizationId, inv.url]).toEqual(['Newbie@Example.com', 'basic_member', 'Member', 'pending', org.id, null]);
    expect(inv.expiresAt - inv.createdAt).toBe(30 * 24 * 3600 * 1000);
    expect(await server.app.delivery.drain()).toBe(1);
    const mail = smtp.messages[sent];
    expect(mail.rcptTo.map((r) => r.toLowerCase())).toEqual(['newbie@example.com']);
    expect(mail.subject).toBe('Join Analytical Engines on id.acme.test');
    expect(mail.html).toContain('Olive Owner has invited you');
    const { url, token } = linkTo(smtp, 'Newbie@Example.com', '/accept-invitation', 'token');
    expect(`${url.origin}${url.pathname}`).toBe('https://id.acme.test/accept-invitation');
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await tokenHashes('organization_invitations')).join()).not.toContain(token);

    // Raw HTTP, checked against the spec.
    const pending = await call('GET', '/organizations/{organization_id}/invitations/pending', `/organizations/${org.id}/invitations/pending`);
    expect(pending.body).toMatchObject({ total_count: 1, data: [{ id: inv.id, status: 'pending' }] });
    const dup = await call('POST', '/organizations/{organization_id}/invitations', `/organizations/${org.id}/invitations`, { email_address: 'newbie@example.com', role: 'basic_member', inviter_user_id: admin.id });
    expect([dup.status, dup.body.errors[0].code]).toEqual([400, 'duplicate_record']);
    const already = await call('POST', '/organizations/{organization_id}/invitations', `/organizations/${org.id}/invitations`, { email_address: 'OWNER@example.com', role: 'basic_member', inviter_user_id: admin.id });
    expect([already.status, already.body.errors[0].code]).toEqual([400, 'already_a_member_in_organization']);
    await clerk.organizations.createOrganizationMembership({ organizationId: org.id, userId: member.id, role: 'org:member' });
    const notAdmin = await call('POST', '/organizations/{organization_id}/invitations', `/organizations/${org.id}/invitations`, { email_address: 'z@example.com', role: 'admin', inviter_user_id: member.id });
    expect([notAdmin.status, notAdmin.body.errors[0].code]).toEqual([403, 'not_an_admin_in_organization']);
    const badRole = await call('POST', '/organizations/{organization_id}/invitations', `/organizations/${org.id}/invitations`, { email_address: 'z@example.com', role: 'org:owner' });
    expect([badRole.status, badRole.body.errors[0].meta.param_name]).toEqual([404, 'role']);
    const noOrg = await call('POST', '/organizations/{organization_id}/invitations', '/organizations/org_missing/invitations', { email_address: 'z@example.com', role: 'admin' });
    expect(noOrg.status).toBe(404);

    // Core acceptance: the user must have the invited address, verified.
    const orgInvitations = server.app.services.organizationInvitations;
    expect((await orgInvitations.lookup(token)).organization.name).toBe('Analytical Engines');
    await expect(orgInvitations.accept(token, member.id)).rejects.toMatchObject({ code: 'invitation_email_mismatch' });
    const newbie = await clerk.users.createUser({ emailAddress: ['newbie@example.com'] });
    const [m1, m2] = await Promise.allSettled([orgInvitations.accept(token, newbie.id), orgInvitations.accept(token, newbie.id)]);
    const won = [m1, m2].filter((r) => r.status === 'fulfilled') as PromiseFulfilledResult<any>[];
    expect(won).toHaveLength(1);
    expect([won[0].value.role.key, won[0].value.publicMetadata]).toEqual(['org:member', { team: 'blue' }]);
    const membership = (await clerk.organizations.getOrganizationMembershipList({ organizationId: org.id, userId: [newbie.id] })).data[0];
    expect([membership.role, membership.publicMetadata]).toEqual(['basic_member', { team: 'blue' }]);

    const all = await clerk.organizations.getOrganizationInvitationList({ organizationId: org.id, status: ['accepted'] });
    expect(all.data.map((i) => [i.id, i.status])).toEqual([[inv.id, 'accepted']]);
    const mine = await clerk.users.getOrganizationInvitationList({ userId: newbie.id });
    expect(mine.data.map((i) => i.id)).toEqual([inv.id]);
    assertMatchesSchema('OrganizationInvitations', (await (await server.api(`/v1/users/${newbie.id}/organization_invitations`)).json()));
    expect((await call('GET', '/organizations/{organization_id}/invitations/pending', `/organizations/${org.id}/invitations/pending`)).body.total_count).toBe(0);
  });

  it('revokes organization invitations; a revoked link cannot be accepted', async () => {
    const owner = await clerk.users.createUser({ emailAddress: ['boss@example.com'] });
    const org = await clerk.organizations.createOrganization({ name: 'Revokers', createdBy: owner.id });
    const inv = await clerk.organizations.createOrganizationInvitation({ organizationId: org.id, emailAddress: 'gone@example.com', role: 'org:admin' });
    await server.app.delivery.drain();
    const { token } = linkTo(smtp, 'gone@example.com', '/accept-invitation', 'token');
    const byId = await clerk.organizations.getOrganizationInvitation({ organizationId: org.id, invitationId: inv.id });
    expect(byId.role).toBe('admin');
    const revoked = await call('POST', '/organizations/{organization_id}/invitations/{invitation_id}/revoke', `/organizations/${org.id}/invitations/${inv.id}/revoke`, { requesting_user_id: owner.id });
    expect([revoked.status, revoked.body.status]).toEqual([200, 'revoked']);
    expect(await clerkCode(clerk.organizations.revokeOrganizationInvitation({ organizationId: org.id, invitationId: inv.id }))).toEqual({ status: 400, code: 'invitation_already_revoked' });
    const gone = await clerk.users.createUser({ emailAddress: ['gone@example.com'] });
    await expect(server.app.services.organizationInvitations.accept(token, gone.id)).rejects.toMatchObject({ code: 'invitation_already_revoked' });
    const other = await clerk.organizations.createOrganization({ name: 'Other' });
    expect(await clerkCode(clerk.organizations.revokeOrganizationInvitation({ organizationId: other.id, invitationId: inv.id }))).toEqual({ status: 404, code: 'resource_not_found' });
  });
});
