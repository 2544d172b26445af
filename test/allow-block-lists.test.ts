import { createClerkClient } from '@clerk/backend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, startServer, type TestServer } from './helpers/backends.ts';
import { assertMatchesSchema } from './helpers/clerk-spec.ts';
import { specCall } from './helpers/spec-call.ts';

async function clerkCode(p: Promise<unknown>): Promise<{ status: number; code: string; param?: string }> {
  try {
    await p;
  } catch (e: any) {
    return { status: e.status, code: e.errors?.[0]?.code, ...(e.errors?.[0]?.meta?.paramName ? { param: e.errors[0].meta.paramName } : {}) };
  }
  throw new Error('expected the SDK call to fail');
}

describe.each(BACKENDS)('allow- and block-lists (%s)', (backend) => {
  let server: TestServer;
  let clerk: ReturnType<typeof createClerkClient>;

  const call = (method: string, template: string, path: string, json?: unknown) => specCall(server, method, template, path, json);
  const restrict = (allowlist: boolean, blocklist: boolean, extra: Record<string, boolean> = {}) =>
    call('PATCH', '/instance/restrictions', '/instance/restrictions', { allowlist, blocklist, ...extra });
  const pterodactylCreate = (email: string) =>
    server.api('/compat/pterodactyl/api/application/users', { method: 'POST', json: { email, username: email.split('@')[0].replace(/[^a-z0-9]/g, ''), first_name: 'P', last_name: 'T' } });

  beforeAll(async () => {
    server = await startServer(backend);
    clerk = createClerkClient({ secretKey: server.secretKey, apiUrl: server.url });
  });
  afterAll(() => server?.close());

  it('creates, lists and deletes entries of both lists in the shape of the spec', async () => {
    const a = await clerk.allowlistIdentifiers.createAllowlistIdentifier({ identifier: 'Ada@Example.com', notify: false });
    expect([a.identifier, a.identifierType, a.invitationId]).toEqual(['Ada@Example.com', 'email_address', undefined]);
    const domain = await call('POST', '/allowlist_identifiers', '/allowlist_identifiers', { identifier: '*@Corp.Example' });
    expect([domain.status, domain.body.identifier, domain.body.identifier_type]).toEqual([200, '*@corp.example', 'email_address']);
    const phone = await call('POST', '/allowlist_identifiers', '/allowlist_identifiers', { identifier: '+1 (415) 555-2671' });
    expect(phone.body.identifier).toBe('+14155552671');
    const wallet = await call('POST', '/allowlist_identifiers', '/allowlist_identifiers', { identifier: `0x${'AB'.repeat(20)}` });
    expect(wallet.body.identifier_type).toBe('web3_wallet');
    const dup = await call('POST', '/allowlist_identifiers', '/allowlist_identifiers', { identifier: 'ada@EXAMPLE.com' });
    expect([dup.status, dup.body.errors[0].code]).toEqual([400, 'duplicate_record']);
    for (const identifier of ['not an identifier', '*@', '*@nodot', '', '12']) {
      const bad = await call('POST', '/allowlist_identifiers', '/allowlist_identifiers', { identifier });
      expect([identifier, bad.status, bad.body.errors[0].meta?.param_name]).toEqual([identifier, 422, 'identifier']);
    }

    const list = await call('GET', '/allowlist_identifiers', '/allowlist_identifiers');
    expect(list.body.map((e: any) => e.identifier)).toEqual([`0x${'AB'.repeat(20)}`, '+14155552671', '*@corp.example', 'Ada@Example.com']);
    const paged = await clerk.allowlistIdentifiers.getAllowlistIdentifierList({ limit: 2 });
    expect([paged.totalCount, paged.data.length]).toEqual([4, 2]);
    for (const e of (await (await server.api('/v1/allowlist_identifiers?paginated=true')).json() as any).data) assertMatchesSchema('AllowlistIdentifier', e);

    const b = await clerk.blocklistIdentifiers.createBlocklistIdentifier({ identifier: '*@spam.example' });
    expect(b.identifier).toBe('*@spam.example');
    const blocks = await call('GET', '/blocklist_identifiers', '/blocklist_identifiers');
    expect([blocks.body.total_count, blocks.body.data[0].object]).toEqual([1, 'blocklist_identifier']);

    const deleted = await call('DELETE', '/allowlist_identifiers/{identifier_id}', `/allowlist_identifiers/${a.id}`);
    expect(deleted.body).toEqual({ object: 'allowlist_identifier', id: a.id, deleted: true });
    // An allowlist id is not a blocklist one.
    const wrongList = await call('DELETE', '/blocklist_identifiers/{identifier_id}', `/blocklist_identifiers/${domain.body.id}`);
    expect([wrongList.status, wrongList.body.errors[0].code]).toEqual([404, 'resource_not_found']);
    expect((await clerk.blocklistIdentifiers.deleteBlocklistIdentifier(b.id)).deleted).toBe(true);
    for (const id of [phone.body.id, wallet.body.id, domain.body.id]) await clerk.allowlistIdentifiers.deleteAllowlistIdentifier(id);
    expect((await clerk.allowlistIdentifiers.getAllowlistIdentifierList()).totalCount).toBe(0);
  });

  it('enforces the lists on user creation only while the restrictions turn them on', async () => {
    await clerk.blocklistIdentifiers.createBlocklistIdentifier({ identifier: '*@blocked.example' });
    await clerk.blocklistIdentifiers.createBlocklistIdentifier({ identifier: 'eve@example.com' });
    // Off: the lists are only data.
    expect((await clerk.users.createUser({ emailAddress: ['one@blocked.example'] })).id).toMatch(/^user_/);

    const on = await restrict(false, true);
    expect(on.body).toMatchObject({ object: 'instance_restrictions', allowlist: false, blocklist: true });
    expect(await clerkCode(clerk.users.createUser({ emailAddress: ['two@blocked.example'] }))).toEqual({ status: 403, code: 'not_allowed_access', param: 'email_address' });
    // Blocking an address blocks its subaddresses too.
    expect((await clerkCode(clerk.users.createUser({ emailAddress: ['Eve+work@example.com'] }))).code).toBe('not_allowed_access');
    expect((await clerk.users.createUser({ emailAddress: ['adam@example.com'] })).id).toMatch(/^user_/);
    const raw = await call('POST', '/users', '/users', { email_address: ['three@blocked.example'] });
    expect([raw.status, raw.body.errors[0].code, raw.body.errors[0].meta.param_name]).toEqual([403, 'not_allowed_access', 'email_address']);
    // The administrator's explicit bypass, a Latchkey extension.
    const bypassed = await server.api('/v1/users', { method: 'POST', json: { email_address: ['four@blocked.example'], bypass_restrictions: true } });
    expect([bypassed.status, ((await bypassed.json()) as any).email_addresses[0].email_address]).toEqual([200, 'four@blocked.example']);
    // The other dialects go through the same core check.
    const panel = await pterodactylCreate('five@blocked.example');
    expect(panel.status).toBe(422);
    expect(((await panel.json()) as any).errors[0].meta).toEqual({ source_field: 'email', rule: 'blocklist' });

    await restrict(true, true);
    await clerk.allowlistIdentifiers.createAllowlistIdentifier({ identifier: '*@corp.example', notify: false });
    await clerk.allowlistIdentifiers.createAllowlistIdentifier({ identifier: 'eve@example.com', notify: false });
    expect((await clerk.users.createUser({ emailAddress: ['Staff@Corp.Example'] })).id).toMatch(/^user_/);
    // Every identifier must be allowed: here the phone number is not.
    expect(await clerkCode(clerk.users.createUser({ emailAddress: ['x@corp.example'], phoneNumber: ['+14155550000'] }))).toEqual({ status: 403, code: 'not_allowed_access', param: 'phone_number' });
    expect((await clerkCode(clerk.users.createUser({ emailAddress: ['someone@elsewhere.example'] }))).code).toBe('not_allowed_access');
    // On both lists: the allowlist wins, as in Clerk.
    expect((await clerk.users.createUser({ emailAddress: ['eve@example.com'] })).id).toMatch(/^user_/);

    await restrict(false, false, { block_email_subaddresses: true });
    expect((await clerkCode(clerk.users.createUser({ emailAddress: ['plus+tag@example.org'] }))).code).toBe('not_allowed_access');
    expect((await clerk.users.createUser({ emailAddress: ['plain@example.org'] })).id).toMatch(/^user_/);
    const off = await clerk.instance.updateRestrictions({ blockEmailSubaddresses: false });
    expect([off.allowlist, off.blocklist, off.blockEmailSubaddresses]).toEqual([false, false, false]);
    expect((await clerk.users.createUser({ emailAddress: ['two@blocked.example'] })).id).toMatch(/^user_/);
  });

  it('applies at invitation creation and acceptance, and the allowlist can invite', async () => {
    await restrict(true, false);
    const refused = await call('POST', '/invitations', '/invitations', { email_address: 'outsider@nowhere.example' });
    expect([refused.status, refused.body.errors[0].code]).toEqual([403, 'not_allowed_access']);
    // notify: true on an allowlisted address sends an invitation, linked to the entry.
    const entry = await clerk.allowlistIdentifiers.createAllowlistIdentifier({ identifier: 'invitee@nowhere.example', notify: true });
    expect(entry.invitationId).toMatch(/^inv_/);
    const pending = await clerk.invitations.getInvitationList({ status: 'pending', query: 'invitee@' });
    expect(pending.data.map((i) => i.id)).toEqual([entry.invitationId]);
    const messages = await server.app.database.db.selectFrom('outbox_messages').select(['to_address', 'template']).where('to_address', '=', 'invitee@nowhere.example').execute();
    expect(messages).toEqual([{ to_address: 'invitee@nowhere.example', template: 'invitation' }]);

    // Restrictions checked again at acceptance: taken off the allowlist meanwhile, refused.
    const { invitations } = server.app.services;
    const { url } = await invitations.create({ emailAddress: 'later@nowhere.example', notify: false, ignoreExisting: false }).catch(async () => {
      await clerk.allowlistIdentifiers.createAllowlistIdentifier({ identifier: 'later@nowhere.example', notify: false });
      return invitations.create({ emailAddress: 'later@nowhere.example', notify: false });
    });
    const token = new URL(url).searchParams.get('invitation_token') as string;
    const later = (await clerk.allowlistIdentifiers.getAllowlistIdentifierList()).data.find((e) => e.identifier === 'later@nowhere.example');
    await clerk.allowlistIdentifiers.deleteAllowlistIdentifier(later!.id);
    await expect(invitations.accept(token, {})).rejects.toMatchObject({ code: 'identifier_not_allowed' });
    expect((await invitations.lookup(token)).status).toBe('pending');
    await restrict(false, false);
    expect((await invitations.accept(token, {})).user.identifiers[0].value).toBe('later@nowhere.example');
  });

  it('exposes the check for sign-up and sign-in to come', async () => {
    const { restrictions } = server.app.services;
    await restrict(false, true);
    await clerk.blocklistIdentifiers.createBlocklistIdentifier({ identifier: '+14155559999' });
    const phone = { type: 'phone_number' as const, value: '+14155559999', normalized: '+14155559999' };
    await expect(restrictions.check([phone])).rejects.toMatchObject({ code: 'identifier_blocked', meta: { param: 'phone_number' } });
    await restrict(false, false);
    await expect(restrictions.check([phone])).resolves.toBeUndefined();
  });
});
