import { createClerkClient } from '@clerk/backend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.ts';
import { BACKENDS, FAST_HASHING, startServer, TEST_BREACHED, type TestServer } from './helpers/backends.ts';
import { assertMatchesSpec } from './helpers/clerk-spec.ts';
import { clerkCode } from './helpers/clerk-errors.ts';
import { specCall } from './helpers/spec-call.ts';

describe.each(BACKENDS)('instance settings, sign-ups and public endpoints (%s)', (backend) => {
  let server: TestServer;
  let clerk: ReturnType<typeof createClerkClient>;

  const call = (method: string, template: string, path: string, json?: unknown) => specCall(server, method, template, path, json);

  beforeAll(async () => {
    server = await startServer(backend);
    clerk = createClerkClient({ secretKey: server.secretKey, apiUrl: server.url });
  });
  afterAll(() => server?.close());

  it('stores instance settings, answering 204, and reads them back through the SDK', async () => {
    expect(await clerk.instance.get()).toMatchObject({ id: 'ins_latchkey', environmentType: 'production', allowedOrigins: [] });
    const res = await call('PATCH', '/instance', '/instance', {
      test_mode: true,
      hibp: false,
      support_email: 'help@example.com',
      allowed_origins: ['https://App.Example.com/', 'chrome-extension://abcdef'],
      url_based_session_syncing: true,
    });
    expect([res.status, res.body]).toEqual([204, undefined]);
    await clerk.instance.update({ clerkJsVersion: '5', developmentOrigin: 'http://localhost:5173' });
    expect((await clerk.instance.get()).allowedOrigins).toEqual(['https://app.example.com', 'chrome-extension://abcdef']);
    expect(await server.app.services.settings.instance()).toMatchObject({ testMode: true, hibp: false, supportEmail: 'help@example.com', clerkJsVersion: '5', developmentOrigin: 'http://localhost:5173' });
    for (const [json, param] of [
      [{ support_email: 'nope' }, 'support_email'],
      [{ allowed_origins: ['https://x.example/path'] }, 'allowed_origins'],
      [{ development_origin: 'ftp://x' }, 'development_origin'],
      [{ test_mode: 'yes' }, 'test_mode'],
      [{ unknown: 1 }, 'unknown'],
    ] as const) {
      const bad = await call('PATCH', '/instance', '/instance', json);
      expect([json, bad.status, bad.body.errors[0].meta.param_name]).toEqual([json, 422, param]);
    }
  });

  it('organization settings: defaults for new organizations, and enabled', async () => {
    const defaults = await clerk.instance.getOrganizationSettings();
    expect([defaults.enabled, defaults.maxAllowedMemberships, defaults.creatorRole, defaults.adminDeleteEnabled]).toEqual([true, 0, 'org:admin', true]);
    const updated = await call('PATCH', '/instance/organization_settings', '/instance/organization_settings', { max_allowed_memberships: 3, admin_delete_enabled: false, creator_role_id: 'role_member' });
    expect(updated.body).toMatchObject({ object: 'organization_settings', enabled: true, max_allowed_memberships: 3, admin_delete_enabled: false, creator_role: 'org:member' });
    const ann = await clerk.users.createUser({ emailAddress: ['ann@example.com'] });
    const org = await clerk.organizations.createOrganization({ name: 'Defaults', createdBy: ann.id });
    expect([org.maxAllowedMemberships, org.adminDeleteEnabled]).toEqual([3, false]);
    expect((await clerk.organizations.getOrganizationMembershipList({ organizationId: org.id })).data[0].role).toBe('basic_member');
    expect((await clerk.organizations.createOrganization({ name: 'Explicit', maxAllowedMemberships: 9 })).maxAllowedMemberships).toBe(9);

    await clerk.instance.updateOrganizationSettings({ enabled: false, creatorRoleId: 'org:admin' });
    expect(await clerkCode(clerk.organizations.createOrganization({ name: 'Refused' }))).toEqual({ status: 403, code: 'organization_not_enabled_in_instance' });
    const bob = await clerk.users.createUser({ emailAddress: ['bob@example.com'] });
    expect((await clerkCode(clerk.organizations.createOrganizationMembership({ organizationId: org.id, userId: bob.id, role: 'org:member' }))).code).toBe('organization_not_enabled_in_instance');
    expect((await clerkCode(clerk.organizations.createOrganizationInvitation({ organizationId: org.id, emailAddress: 'c@example.com', role: 'org:member' }))).code).toBe('organization_not_enabled_in_instance');
    // Existing organizations stay readable and deletable.
    expect((await clerk.organizations.getOrganization({ organizationId: org.id })).name).toBe('Defaults');
    await clerk.organizations.deleteOrganization(org.id);
    const back = await clerk.instance.updateOrganizationSettings({ enabled: true, maxAllowedMemberships: 0, adminDeleteEnabled: true });
    expect([back.enabled, back.maxAllowedMemberships, back.creatorRole]).toEqual([true, 0, 'org:admin']);
    for (const json of [{ max_allowed_memberships: -1 }, { creator_role_id: 'role_nope' }, { domains_enrollment_modes: ['manual'] }]) {
      expect((await call('PATCH', '/instance/organization_settings', '/instance/organization_settings', json)).status).toBeGreaterThanOrEqual(400);
    }
  });

  // PGlite is one process's own database: only PostgreSQL can be shared.
  it.skipIf(backend !== 'postgres')('takes effect at once on another server process sharing the database', async () => {
    const other = await createApp({ ...server.config }, { breached: TEST_BREACHED, hashing: FAST_HASHING, delivery: { autoStart: false } });
    try {
      await clerk.instance.updateRestrictions({ blocklist: true });
      await clerk.blocklistIdentifiers.createBlocklistIdentifier({ identifier: '*@elsewhere.example' });
      await expect(other.services.users.create({ emailAddresses: ['x@elsewhere.example'] })).rejects.toMatchObject({ code: 'identifier_blocked' });
      await clerk.instance.updateRestrictions({ blocklist: false });
      expect((await other.services.users.create({ emailAddresses: ['x@elsewhere.example'] })).id).toMatch(/^user_/);
    } finally {
      await other.close();
    }
  });

  it('beta features: instance settings share the allowlist switch; the domain is stored', async () => {
    const res = await call('PATCH', '/beta_features/instance_settings', '/beta_features/instance_settings', { restricted_to_allowlist: true, from_email_address: 'accounts', progressive_sign_up: false });
    expect(res.body).toEqual({ object: 'instance_settings', id: 'ins_latchkey', restricted_to_allowlist: true, from_email_address: 'accounts', progressive_sign_up: false, enhanced_email_deliverability: false });
    expect((await clerk.instance.updateRestrictions({})).allowlist).toBe(true);
    expect((await call('PATCH', '/beta_features/instance_settings', '/beta_features/instance_settings', { from_email_address: 'bad address' })).status).toBe(422);
    await clerk.instance.updateRestrictions({ allowlist: false });

    const domain = await call('PUT', '/beta_features/domain', '/beta_features/domain', { home_url: 'https://www.example.com' });
    expect([domain.status, domain.body]).toEqual([202, undefined]);
    await clerk.betaFeatures.changeDomain({ homeUrl: 'https://id.example.com' });
    expect((await server.app.services.settings.instance()).homeUrl).toBe('https://id.example.com/');
    expect((await call('PUT', '/beta_features/domain', '/beta_features/domain', { home_url: 'not a url' })).status).toBe(422);
  });

  it('updates a pending sign-up; unknown, complete or abandoned ones are refused', async () => {
    const { signUps } = server.app.services;
    const pending = await signUps.create({ emailAddress: 'Sig@Example.com', firstName: 'Sig', unsafeMetadata: { src: 'ad' } });
    const updated = await call('PATCH', '/sign_ups/{id}', `/sign_ups/${pending.id}`, { external_id: 'crm-42', custom_action: true });
    expect(updated.body).toMatchObject({ object: 'sign_up_attempt', id: pending.id, status: 'missing_requirements', external_id: 'crm-42', custom_action: true, email_address: 'Sig@Example.com', unverified_fields: ['email_address'], unsafe_metadata: { src: 'ad' } });
    const viaSdk = await clerk.signUps.update({ signUpAttemptId: pending.id, externalId: null });
    expect([viaSdk.externalId, viaSdk.customAction]).toEqual([null, true]);
    expect((await clerk.signUps.get(pending.id)).emailAddress).toBe('Sig@Example.com');

    const missing = await call('PATCH', '/sign_ups/{id}', '/sign_ups/sua_missing', { custom_action: true });
    expect([missing.status, missing.body.errors[0].code]).toEqual([404, 'resource_not_found']);
    const taken = await clerk.users.createUser({ emailAddress: ['taken@example.com'], externalId: 'crm-taken' });
    const clash = await call('PATCH', '/sign_ups/{id}', `/sign_ups/${pending.id}`, { external_id: 'crm-taken' });
    expect([clash.status, clash.body.errors[0].code]).toEqual([422, 'form_identifier_exists']);
    expect(taken.externalId).toBe('crm-taken');
    expect((await call('PATCH', '/sign_ups/{id}', `/sign_ups/${pending.id}`, { external_id: 'x'.repeat(257) })).status).toBe(422);

    await server.app.database.db.updateTable('sign_ups').set({ abandon_at: new Date(Date.now() - 1000) }).where('id', '=', pending.id).execute();
    expect((await clerk.signUps.get(pending.id)).status).toBe('abandoned');
    const late = await call('PATCH', '/sign_ups/{id}', `/sign_ups/${pending.id}`, { custom_action: false });
    expect([late.status, late.body.errors[0].code]).toEqual([403, 'sign_up_cannot_be_updated']);
  });

  it('public endpoints answer a documented 400 without a key', async () => {
    for (const [method, path] of [['POST', '/v1/public/demo_instance'], ['GET', '/v1/public/interstitial?publishable_key=pk_test_x']]) {
      const res = await fetch(`${server.url}${path}`, { method });
      expect([path, res.status, res.headers.get('content-type')]).toEqual([path, 400, 'application/json']);
      const body = (await res.json()) as any;
      expect(body.errors[0].code).toBe('feature_not_enabled');
      assertMatchesSpec(method, path.replace(/\?.*/, ''), 400, body);
    }
  });
});
