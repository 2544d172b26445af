import { beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../src/core/clock.ts';
import { BACKENDS } from './helpers/backends.ts';
import { mailingPagesServer } from './helpers/mailing-pages.ts';
import { codeIn, csrfOf, inputValue, linkIn, type PageClient, pageClient } from './helpers/page-client.ts';

describe.each(BACKENDS)('invitation acceptance pages (%s)', (backend) => {
  const clock = manualClock(new Date('2026-06-01T09:00:00Z'));
  const env = mailingPagesServer(backend, clock);
  const { deliver, signedInUserId } = env;
  let ip = 1;

  const client = (): PageClient => pageClient(env.server.url, { 'x-forwarded-for': `10.2.0.${ip++}` });
  const post = async (path: string, json: unknown) => {
    const res = await env.server.api(path, { method: 'POST', json });
    const body = (await res.json()) as any;
    expect(res.status, JSON.stringify(body)).toBe(200);
    return body;
  };
  /** Delivers the outbox and returns the path (with query) of the newest link to `to` containing `needle`. */
  async function emailedLink(to: string, needle: string): Promise<string> {
    const mail = (await deliver(to)).at(-1);
    const href = linkIn(mail?.html ?? '', needle);
    expect(href, `no ${needle} link to ${to}`).not.toBe('');
    const url = new URL(href);
    // Without PUBLIC_URL, links point at the address the server listens on.
    expect(url.origin).toBe(new URL(env.server.url).origin);
    return url.pathname + url.search;
  }
  async function lastCode(to: string): Promise<string> {
    return codeIn((await deliver(to)).at(-1)?.text ?? '');
  }
  async function userByEmail(email: string) {
    return ((await (await env.server.api(`/v1/users?email_address=${encodeURIComponent(email)}`)).json()) as any[])[0];
  }
  async function memberships(orgId: string): Promise<Array<[string, string]>> {
    const body = (await (await env.server.api(`/v1/organizations/${orgId}/memberships?limit=100`)).json()) as any;
    return body.data.map((m: any) => [m.public_user_data.identifier, m.role]).sort();
  }
  /** Signs up through the pages (code from SMTP); the browser ends signed in. */
  async function signUp(c: PageClient, email: string, password: string, redirectUrl = '') {
    const form = await c.get(`/sign-up?redirect_url=${encodeURIComponent(redirectUrl)}`);
    const started = await c.post('/sign-up', { csrf: csrfOf(form.html), email_address: email, password, redirect_url: redirectUrl });
    expect(started.status).toBe(303);
    const verify = await c.follow(started);
    return c.post('/sign-up/verify', { csrf: csrfOf(verify.html), code: await lastCode(email), redirect_url: inputValue(verify.html, 'redirect_url') });
  }

  describe('instance invitations', () => {
    it('follows the emailed link, sets a password, and ends signed in as the new user with the address verified', async () => {
      const inv = await post('/v1/invitations', { email_address: 'Invitee@Example.com', public_metadata: { plan: 'pro' }, redirect_url: '/welcome' });
      const link = await emailedLink('invitee@example.com', '/sign-up');
      expect(link).toMatch(/^\/sign-up\?invitation_token=[A-Za-z0-9_-]{43}$/);
      const c = client();
      const form = await c.get(link);
      expect(form.status).toBe(200);
      expect(form.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(form.html).toContain('Invitee@Example.com');
      // The address is fixed by the invitation: there is no field to change it.
      expect(form.html).not.toContain('name="email_address"');
      const token = inputValue(form.html, 'invitation_token');

      const forged = await c.post('/sign-up', { csrf: 'forged', invitation_token: token, password: 'a fine long passphrase' });
      expect(forged.status).toBe(403);
      const breached = await c.post('/sign-up', { csrf: csrfOf(form.html), invitation_token: token, password: 'password123' });
      expect(breached.status).toBe(422);
      expect(breached.html).toContain('appeared in a data breach');
      const done = await c.post('/sign-up', { csrf: csrfOf(form.html), invitation_token: token, password: 'a fine long passphrase' });
      expect([done.status, done.location]).toEqual([303, '/welcome']);

      const user = await userByEmail('invitee@example.com');
      expect(user.public_metadata).toEqual({ plan: 'pro' });
      expect(user.email_addresses.map((e: any) => [e.email_address, e.verification.status, e.verification.strategy])).toEqual([['Invitee@Example.com', 'verified', 'ticket']]);
      expect((await env.server.api(`/v1/users/${user.id}/verify_password`, { method: 'POST', json: { password: 'a fine long passphrase' } })).status).toBe(200);
      expect(await signedInUserId(c)).toBe(user.id);
      const listed = (await (await env.server.api(`/v1/invitations?status=accepted`)).json()) as any[];
      expect(listed.map((i) => i.id)).toContain(inv.id);

      // The link works once.
      const reused = await client().get(link);
      expect(reused.status).toBe(410);
      expect(reused.html).toContain('already accepted');
    });

    it('answers clear 4xx pages for unknown, revoked and expired links', async () => {
      expect((await client().get(`/sign-up?invitation_token=${'x'.repeat(43)}`)).status).toBe(404);

      const revoked = await post('/v1/invitations', { email_address: 'withdrawn@example.com' });
      const revokedLink = await emailedLink('withdrawn@example.com', '/sign-up');
      await post(`/v1/invitations/${revoked.id}/revoke`, {});
      const r = await client().get(revokedLink);
      expect(r.status).toBe(410);
      expect(r.html).toContain('withdrawn');

      await post('/v1/invitations', { email_address: 'late@example.com', expires_in_days: 1 });
      const lateLink = await emailedLink('late@example.com', '/sign-up');
      clock.advance(2 * 24 * 60 * 60_000);
      const c = client();
      const late = await c.get(lateLink);
      expect(late.status).toBe(410);
      expect(late.html).toContain('expired');
      // Posting the form of an expired invitation creates nothing.
      const tried = await c.post('/sign-up', { csrf: 'x', invitation_token: new URLSearchParams(lateLink.split('?')[1]).get('invitation_token') ?? '', password: 'a fine long passphrase' });
      expect(tried.status).toBe(410);
      expect(await userByEmail('late@example.com')).toBeUndefined();
    });
  });

  describe('organization invitations', () => {
    let orgId: string;

    beforeAll(async () => {
      const owner = await post('/v1/users', { email_address: ['owner@example.com'], password: 'the boss passphrase' });
      orgId = (await post('/v1/organizations', { name: 'Analytical Engines', created_by: owner.id })).id;
    });

    it('takes a new user through sign-up (address filled in) and back to the invitation, then makes them a member', async () => {
      await post(`/v1/organizations/${orgId}/invitations`, { email_address: 'newbie@example.com', role: 'basic_member' });
      const link = await emailedLink('newbie@example.com', '/accept-invitation');
      const c = client();
      const landing = await c.get(link);
      expect(landing.status).toBe(303);
      const toSignUp = new URL(landing.location ?? '', env.server.url);
      expect(toSignUp.pathname).toBe('/sign-up');
      expect(toSignUp.searchParams.get('email_address')).toBe('newbie@example.com');
      expect(toSignUp.searchParams.get('redirect_url')).toBe(link);
      const form = await c.follow(landing);
      expect(inputValue(form.html, 'email_address')).toBe('newbie@example.com');

      const done = await signUp(c, 'newbie@example.com', 'a fresh member passphrase', toSignUp.searchParams.get('redirect_url') ?? '');
      expect([done.status, done.location]).toEqual([303, link]);
      const confirm = await c.follow(done);
      expect(confirm.status).toBe(200);
      expect(confirm.html).toContain('Join Analytical Engines');
      // Opening the link joins nothing by itself: the confirm button does.
      expect(await memberships(orgId)).toEqual([['owner@example.com', 'admin']]);
      const joined = await c.post('/accept-invitation', { csrf: csrfOf(confirm.html), token: inputValue(confirm.html, 'token') });
      expect(joined.status).toBe(200);
      expect(joined.html).toContain('You are now a member of Analytical Engines');
      expect(await memberships(orgId)).toEqual([
        ['newbie@example.com', 'basic_member'],
        ['owner@example.com', 'admin'],
      ]);
      expect((await c.get(link)).status).toBe(410);
    });

    it('lets a signed-in user with the invited address join at once, and sends others to sign in', async () => {
      const c = client();
      expect((await signUp(c, 'veteran@example.com', 'an old hand passphrase')).status).toBe(303);
      const veteranId = (await userByEmail('veteran@example.com')).id;
      expect(await signedInUserId(c)).toBe(veteranId);
      await post(`/v1/organizations/${orgId}/invitations`, { email_address: 'Veteran@example.com', role: 'admin', redirect_url: '/dashboard' });
      const link = await emailedLink('veteran@example.com', '/accept-invitation');

      // Not signed in, with an account for the address: to the sign-in page, and back here afterwards.
      const other = client();
      const stranger = await other.get(link);
      expect(stranger.status).toBe(303);
      expect(stranger.location).toBe(`/sign-in?redirect_url=${encodeURIComponent(link)}`);
      const signInForm = await other.follow(stranger);
      const signedIn = await other.post('/sign-in', { csrf: csrfOf(signInForm.html), identifier: 'veteran@example.com', password: 'an old hand passphrase', redirect_url: inputValue(signInForm.html, 'redirect_url') });
      expect([signedIn.status, signedIn.location]).toEqual([303, link]);
      expect((await other.follow(signedIn)).html).toContain('Join Analytical Engines');

      const confirm = await c.get(link);
      expect(confirm.status).toBe(200);
      const forged = await c.post('/accept-invitation', { csrf: 'forged', token: inputValue(confirm.html, 'token') });
      expect(forged.status).toBe(403);
      const joined = await c.post('/accept-invitation', { csrf: csrfOf(confirm.html), token: inputValue(confirm.html, 'token') });
      expect([joined.status, joined.location]).toEqual([303, '/dashboard']);
      expect(await memberships(orgId)).toContainEqual(['veteran@example.com', 'admin']);

      // Signed in as someone the invitation is not for: refused, with a way to sign out.
      await post(`/v1/organizations/${orgId}/invitations`, { email_address: 'somebody.else@example.com', role: 'basic_member' });
      const otherLink = await emailedLink('somebody.else@example.com', '/accept-invitation');
      const wrong = await c.get(otherLink);
      expect(wrong.status).toBe(403);
      expect(wrong.html).toContain('/sign-out?redirect_url=');
      const wrongPost = await c.post('/accept-invitation', { csrf: csrfOf(confirm.html), token: new URLSearchParams(otherLink.split('?')[1]).get('token') ?? '' });
      expect(wrongPost.status).toBe(403);
      expect(await memberships(orgId)).not.toContainEqual(['somebody.else@example.com', 'basic_member']);
    });

    it('answers clear 4xx pages for unknown and revoked organization invitations', async () => {
      expect((await client().get(`/accept-invitation?token=${'y'.repeat(43)}`)).status).toBe(404);
      const inv = await post(`/v1/organizations/${orgId}/invitations`, { email_address: 'revoked.member@example.com', role: 'basic_member' });
      const link = await emailedLink('revoked.member@example.com', '/accept-invitation');
      await post(`/v1/organizations/${orgId}/invitations/${inv.id}/revoke`, {});
      const r = await client().get(link);
      expect(r.status).toBe(410);
      expect(r.html).toContain('withdrawn');
    });
  });
});
