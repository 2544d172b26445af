import { createClerkClient } from '@clerk/backend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, startServer, type TestServer } from './helpers/backends.ts';
import { clerkCode } from './helpers/clerk-errors.ts';

describe.each(BACKENDS)('official @clerk/backend SDK against Latchkey (%s)', (backend) => {
  let server: TestServer;
  let clerk: ReturnType<typeof createClerkClient>;

  beforeAll(async () => {
    server = await startServer(backend);
    clerk = createClerkClient({ secretKey: server.secretKey, apiUrl: server.url });
  });
  afterAll(() => server?.close());

  it('creates, reads, lists, counts and deletes users', async () => {
    const ann = await clerk.users.createUser({
      emailAddress: ['Ann.Lee@Example.com'],
      phoneNumber: ['+14155552671'],
      username: 'annlee',
      firstName: 'Ann',
      lastName: 'Lee',
      password: 'a perfectly fine passphrase',
      externalId: 'ext-ann',
      publicMetadata: { plan: 'pro' },
      privateMetadata: { stripe: 'cus_1' },
      unsafeMetadata: { theme: 'dark' },
    });
    expect(ann.id).toMatch(/^user_/);
    expect(ann.primaryEmailAddress?.emailAddress).toBe('Ann.Lee@Example.com');
    expect(ann.primaryEmailAddress?.verification?.status).toBe('verified');
    expect(ann.primaryPhoneNumber?.phoneNumber).toBe('+14155552671');
    expect(ann.passwordEnabled).toBe(true);
    expect(ann.publicMetadata).toEqual({ plan: 'pro' });
    expect(ann.privateMetadata).toEqual({ stripe: 'cus_1' });
    expect(ann.externalId).toBe('ext-ann');

    const bob = await clerk.users.createUser({ emailAddress: ['bob@example.org'], firstName: 'Bob', skipPasswordRequirement: true });
    expect(bob.passwordEnabled).toBe(false);

    const fetched = await clerk.users.getUser(ann.id);
    expect(fetched.username).toBe('annlee');
    expect(fetched.createdAt).toBe(ann.createdAt);

    const byEmail = await clerk.users.getUserList({ emailAddress: ['ann.lee@example.com'] });
    expect(byEmail.data.map((u) => u.id)).toEqual([ann.id]);
    expect(byEmail.totalCount).toBe(1);

    const byQuery = await clerk.users.getUserList({ query: 'LEE' });
    expect(byQuery.data.map((u) => u.id)).toEqual([ann.id]);

    const oldestFirst = await clerk.users.getUserList({ orderBy: '+created_at', limit: 1 });
    expect(oldestFirst.data.map((u) => u.id)).toEqual([ann.id]);
    expect(oldestFirst.totalCount).toBe(2);
    const newestFirst = await clerk.users.getUserList({ orderBy: '-created_at', limit: 1, offset: 0 });
    expect(newestFirst.data.map((u) => u.id)).toEqual([bob.id]);

    expect(await clerk.users.getCount()).toBe(2);
    expect(await clerk.users.getCount({ query: 'example.org' })).toBe(1);

    const deleted = await clerk.users.deleteUser(bob.id);
    expect((deleted as unknown as { deleted: boolean }).deleted).toBe(true);
    expect(await clerkCode(clerk.users.getUser(bob.id))).toEqual({ status: 404, code: 'resource_not_found' });
    expect(await clerk.users.getCount()).toBe(1);
  });

  it('updates users, merges and replaces metadata, bans and verifies passwords', async () => {
    const u = await clerk.users.createUser({ emailAddress: ['carol@example.com'], password: 'a long secret of hers' });
    const updated = await clerk.users.updateUser(u.id, { firstName: 'Carol', username: 'carol_c' });
    expect(updated.firstName).toBe('Carol');
    expect(updated.username).toBe('carol_c');

    await clerk.users.updateUserMetadata(u.id, { publicMetadata: { a: { b: 1, c: 2 }, keep: true } });
    const merged = await clerk.users.updateUserMetadata(u.id, { publicMetadata: { a: { c: null, d: 3 } } });
    expect(merged.publicMetadata).toEqual({ a: { b: 1, d: 3 }, keep: true });
    const replaced = await clerk.users.replaceUserMetadata(u.id, { publicMetadata: { only: 1 } });
    expect(replaced.publicMetadata).toEqual({ only: 1 });

    expect((await clerk.users.banUser(u.id)).banned).toBe(true);
    expect((await clerk.users.unbanUser(u.id)).banned).toBe(false);

    expect(await clerk.users.verifyPassword({ userId: u.id, password: 'a long secret of hers' })).toEqual({ verified: true });
    expect(await clerkCode(clerk.users.verifyPassword({ userId: u.id, password: 'wrong password!' }))).toEqual({ status: 422, code: 'form_password_incorrect' });

    const noPassword = await clerk.users.removePassword(u.id);
    expect(noPassword.passwordEnabled).toBe(false);
    expect(await clerkCode(clerk.users.verifyPassword({ userId: u.id, password: 'a long secret of hers' }))).toEqual({ status: 422, code: 'form_password_not_set' });

    expect(await clerkCode(clerk.users.createUser({ emailAddress: ['carol@example.com'] }))).toEqual({ status: 422, code: 'form_identifier_exists' });
    expect(await clerkCode(clerk.users.createUser({ emailAddress: ['dave@example.com'], password: 'short' }))).toEqual({ status: 422, code: 'form_password_length_too_short' });
    expect(await clerkCode(clerk.users.createUser({ emailAddress: ['dave@example.com'], password: 'password123' }))).toEqual({ status: 422, code: 'form_password_pwned' });
  });

  it('manages email addresses and phone numbers', async () => {
    const u = await clerk.users.createUser({ emailAddress: ['erin@example.com'] });
    const second = await clerk.emailAddresses.createEmailAddress({ userId: u.id, emailAddress: 'erin@work.example', verified: true });
    expect(second.emailAddress).toBe('erin@work.example');
    expect((await clerk.emailAddresses.getEmailAddress(second.id)).id).toBe(second.id);

    await clerk.emailAddresses.updateEmailAddress(second.id, { primary: true });
    expect((await clerk.users.getUser(u.id)).primaryEmailAddressId).toBe(second.id);

    const unverified = await clerk.emailAddresses.createEmailAddress({ userId: u.id, emailAddress: 'erin@else.example', verified: false });
    expect(unverified.verification).toBeNull();
    expect(await clerkCode(clerk.emailAddresses.updateEmailAddress(unverified.id, { primary: true }))).toEqual({ status: 422, code: 'form_identification_not_verified' });

    const phone = await clerk.phoneNumbers.createPhoneNumber({ userId: u.id, phoneNumber: '+44 20 7946 0958', verified: true });
    expect(phone.phoneNumber).toBe('+442079460958');
    expect((await clerk.users.getUser(u.id)).primaryPhoneNumberId).toBe(phone.id);
    expect((await clerk.phoneNumbers.getPhoneNumber(phone.id)).phoneNumber).toBe('+442079460958');
    expect((await clerk.phoneNumbers.updatePhoneNumber(phone.id, { verified: false })).verification).toBeNull();
    expect((await clerk.phoneNumbers.deletePhoneNumber(phone.id)).deleted).toBe(true);
    expect(await clerkCode(clerk.phoneNumbers.createPhoneNumber({ userId: u.id, phoneNumber: '+1 555' }))).toEqual({ status: 422, code: 'form_param_format_invalid' });

    expect((await clerk.emailAddresses.deleteEmailAddress(second.id)).deleted).toBe(true);
    const after = await clerk.users.getUser(u.id);
    expect(after.emailAddresses.map((e) => e.emailAddress).sort()).toEqual(['erin@else.example', 'erin@example.com']);
    expect(after.primaryEmailAddress?.emailAddress).toBe('erin@example.com');
  });

  it('answers the user sub-resources that have no data yet', async () => {
    const u = await clerk.users.createUser({ emailAddress: ['frank@example.com'] });
    const memberships = await clerk.users.getOrganizationMembershipList({ userId: u.id });
    expect(memberships.data).toEqual([]);
    expect(memberships.totalCount).toBe(0);
    const tokens = await clerk.users.getUserOauthAccessToken(u.id, 'google');
    expect(tokens.data).toEqual([]);
  });

  it('drives the SDK methods beyond the published spec', async () => {
    const u = await clerk.users.createUser({
      emailAddress: ['gina@example.com', 'gina@old.example'],
      emailAddressIdentificationStatus: ['verified', 'reserved'],
      web3Wallet: ['0x52908400098527886E0F7030069857D2E4169EE7'],
      locale: 'fr-FR',
      banned: true,
    } as any);
    expect(u.banned).toBe(true);
    const reserved = u.emailAddresses.find((e) => e.emailAddress === 'gina@old.example');
    expect(reserved?.verification).toBeNull();
    expect(await clerkCode(clerk.users.createUser({ emailAddress: ['GINA@old.example'] }))).toEqual({ status: 422, code: 'form_identifier_exists' });

    const replaced = await clerk.users.replaceUserEmailAddress(u.id, { emailAddress: 'gina@new.example' });
    const after = await clerk.users.getUser(u.id);
    expect(after.emailAddresses.map((e) => e.emailAddress)).toEqual(['gina@new.example']);
    expect(after.primaryEmailAddressId).toBe(replaced.id);
    const phone = await clerk.users.replaceUserPhoneNumber(u.id, { phoneNumber: '+14155552672' });
    expect((await clerk.users.getUser(u.id)).primaryPhoneNumberId).toBe(phone.id);

    const wallet = after.web3Wallets[0];
    await clerk.users.deleteUserWeb3Wallet({ userId: u.id, web3WalletIdentificationId: wallet.id });
    expect((await clerk.users.getUser(u.id)).web3Wallets).toEqual([]);
    expect((await clerkCode(clerk.users.deleteUserPasskey({ userId: u.id, passkeyIdentificationId: 'idn_missing' }))).status).toBe(404);

    expect((await clerk.users.setPasswordCompromised(u.id)).id).toBe(u.id);
    expect((await clerk.users.unsetPasswordCompromised(u.id)).id).toBe(u.id);
    const invitations = await clerk.users.getOrganizationInvitationList({ userId: u.id });
    expect(invitations.totalCount).toBe(0);

    // A 1x1 PNG, sent as multipart by the SDK; the file name lies about the type on purpose.
    const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
    const withImage = await clerk.users.updateUserProfileImage(u.id, { file: new Blob([png], { type: 'text/plain' }) as any });
    const path = new URL(withImage.imageUrl).pathname;
    expect(path).toMatch(/^\/images\/img_/);
    const served = await fetch(server.url + path);
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toBe('image/png');
    expect(served.headers.get('cache-control')).toContain('public');
    expect(Buffer.from(await served.arrayBuffer()).equals(png)).toBe(true);

    const svg = new Blob(['<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'], { type: 'image/png' });
    expect((await clerkCode(clerk.users.updateUserProfileImage(u.id, { file: svg as any }))).status).toBe(422);
    expect((await clerk.users.getUser(u.id)).imageUrl).toBe(withImage.imageUrl);

    const cleared = await clerk.users.deleteUserProfileImage(u.id);
    expect(cleared.imageUrl).toBe('');
    expect((await fetch(server.url + path)).status).toBe(404);
  });
});
