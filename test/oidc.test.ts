import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { BACKENDS, startServer, type TestServer } from './helpers/backends.ts';
import { authorizationRequest, codeAt, csrfOf, oauthError, TestBrowser } from './helpers/oidc-browser.ts';

const CALLBACK = 'http://localhost:8123/callback';
const PASSWORD = 'a long passphrase 42';

for (const backend of BACKENDS) {
  describe(`OpenID provider: authorization code, refresh, revocation (${backend})`, () => {
    let server: TestServer;
    let userId: string;
    let n = 0;
    beforeAll(async () => {
      server = await startServer(backend);
    });
    afterAll(async () => server?.close());

    async function makeUser() {
      const email = `ada${++n}@example.com`;
      const res = await server.api('/v1/users', { method: 'POST', json: { email_address: [email], password: PASSWORD, first_name: 'Ada', last_name: 'Lovelace', username: `ada${n}` } });
      expect(res.status).toBe(200);
      userId = (await res.json()).id;
      return email;
    }

    async function makeApp(extra: Record<string, unknown> = {}) {
      const res = await server.api('/v1/oauth_applications', { method: 'POST', json: { name: 'Notes', callback_url: CALLBACK, ...extra } });
      expect(res.status).toBe(200);
      return res.json();
    }

    const discover = (app: any) =>
      client.discovery(new URL(server.url), app.client_id, undefined, app.public ? client.None() : client.ClientSecretBasic(app.client_secret), { execute: [client.allowInsecureRequests] });

    /** The whole browser journey: authorize, hosted sign-in form, consent when asked, back to the callback. */
    async function signInThroughBrowser(config: client.Configuration, email: string, opts: { consent?: boolean; browser?: TestBrowser } = {}) {
      const browser = opts.browser ?? new TestBrowser();
      const { url, verifier, state, nonce } = await authorizationRequest(config, CALLBACK, 'openid profile email offline_access');
      let step = await browser.follow(url.href, CALLBACK);
      if (!step.location && step.url.includes('/sign-in')) {
        const html = await step.res.text();
        expect(step.res.status).toBe(200);
        const redirectUrl = new URL(step.url).searchParams.get('redirect_url') as string;
        expect(redirectUrl).toMatch(/^\/interaction\//);
        const posted = await browser.postForm(`${server.url}/sign-in`, { csrf: csrfOf(html), identifier: email, password: PASSWORD, redirect_url: redirectUrl });
        expect(posted.status).toBe(303);
        step = await browser.follow(new URL(posted.headers.get('location') as string, server.url).href, CALLBACK);
      }
      if (!step.location && opts.consent) {
        const html = await step.res.text();
        expect(step.res.status).toBe(200);
        expect(html).toContain('Notes');
        const action = /action="(\/interaction\/[^"]+\/consent)"/.exec(html)?.[1] as string;
        const posted = await browser.postForm(`${server.url}${action}`, { csrf: csrfOf(html), decision: 'allow' });
        expect(posted.status).toBe(303);
        step = await browser.follow(new URL(posted.headers.get('location') as string, server.url).href, CALLBACK);
      }
      expect(step.location, `stopped at ${step.url} with ${step.res.status}`).toBeDefined();
      const tokens = await client.authorizationCodeGrant(config, new URL(step.location as string), { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true });
      return { tokens, browser };
    }

    it('runs authorization code with PKCE through the hosted sign-in form (public, first-party client)', async () => {
      const email = await makeUser();
      const app = await makeApp({ public: true, consent_screen_enabled: false });
      expect(app.client_secret).toBe('');
      const config = await discover(app);
      const { tokens, browser } = await signInThroughBrowser(config, email);
      const claims = tokens.claims();
      expect(claims?.sub).toBe(userId);
      // The ID token's sid is the browser's Latchkey session, active and checkable through /v1.
      expect(String(claims?.sid)).toMatch(/^sess_/);
      expect((await server.app.services.sessions.get(String(claims?.sid))).status).toBe('active');
      expect(claims?.iss).toBe(server.url);
      const info = await client.fetchUserInfo(config, tokens.access_token, userId);
      expect(info).toMatchObject({ sub: userId, email, email_verified: true, given_name: 'Ada', family_name: 'Lovelace', name: 'Ada Lovelace', preferred_username: `ada${n}` });
      expect(tokens.refresh_token).toBeTruthy();

      // The browser now holds a Latchkey session: a second authorization goes straight through.
      const again = await signInThroughBrowser(config, email, { browser });
      expect(again.tokens.claims()?.sub).toBe(userId);
      const sessions = await (await server.api(`/v1/sessions?user_id=${userId}`)).json();
      expect(sessions.length ?? sessions.data.length).toBeGreaterThanOrEqual(1);
    });

    it('requires PKCE from public clients and an exact callback URL', async () => {
      const app = await makeApp({ public: true });
      const config = await discover(app);
      const noPkce = client.buildAuthorizationUrl(config, { redirect_uri: CALLBACK, scope: 'openid', state: 's' });
      const res = await fetch(noPkce, { redirect: 'manual' });
      expect(res.headers.get('location') ?? '').toMatch(/error=invalid_request/);
      const elsewhere = client.buildAuthorizationUrl(config, { redirect_uri: `${CALLBACK}/other`, scope: 'openid', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' });
      const bad = await fetch(elsewhere, { redirect: 'manual' });
      expect(bad.status).toBe(400);
      expect(bad.headers.get('location')).toBeNull();
    });

    it('asks third-party users to consent, and a denial returns access_denied', async () => {
      const email = await makeUser();
      const app = await makeApp();
      const config = await discover(app);
      const { tokens } = await signInThroughBrowser(config, email, { consent: true });
      expect(tokens.claims()?.sub).toBe(userId);

      const browser = new TestBrowser();
      const url = client.buildAuthorizationUrl(config, { redirect_uri: CALLBACK, scope: 'openid', state: 'st', prompt: 'consent' });
      let step = await browser.follow(url.href, CALLBACK);
      const html = await step.res.text();
      const redirectUrl = new URL(step.url).searchParams.get('redirect_url') as string;
      const posted = await browser.postForm(`${server.url}/sign-in`, { csrf: csrfOf(html), identifier: email, password: PASSWORD, redirect_url: redirectUrl });
      step = await browser.follow(new URL(posted.headers.get('location') as string, server.url).href, CALLBACK);
      const consent = await step.res.text();
      const action = /action="(\/interaction\/[^"]+\/consent)"/.exec(consent)?.[1] as string;
      expect((await browser.postForm(`${server.url}${action}`, { csrf: 'forged', decision: 'allow' })).status).toBe(403);
      const denied = await browser.postForm(`${server.url}${action}`, { csrf: csrfOf(consent), decision: 'deny' });
      const end = await browser.follow(new URL(denied.headers.get('location') as string, server.url).href, CALLBACK);
      expect(new URL(end.location as string).searchParams.get('error')).toBe('access_denied');
    });

    it('rotates refresh tokens and revokes the whole grant when a used one comes back', async () => {
      const email = await makeUser();
      const config = await discover(await makeApp({ consent_screen_enabled: false }));
      const { tokens } = await signInThroughBrowser(config, email);
      const first = tokens.refresh_token as string;
      const second = await client.refreshTokenGrant(config, first);
      expect(second.refresh_token).toBeTruthy();
      expect(second.refresh_token).not.toBe(first);
      // Reuse of the rotated token: refused, and the family it belongs to is gone.
      expect(await oauthError(client.refreshTokenGrant(config, first))).toBe('invalid_grant');
      expect(await oauthError(client.refreshTokenGrant(config, second.refresh_token as string))).toBe('invalid_grant');
      expect((await client.tokenIntrospection(config, second.access_token)).active).toBe(false);
    });

    it('lets at most one of two racing refreshes win, and then revokes the family', async () => {
      const email = await makeUser();
      const config = await discover(await makeApp({ consent_screen_enabled: false }));
      const { tokens } = await signInThroughBrowser(config, email);
      const results = await Promise.allSettled([0, 1, 2].map(() => client.refreshTokenGrant(config, tokens.refresh_token as string)));
      const won = results.filter((r) => r.status === 'fulfilled');
      expect(won.length).toBeLessThanOrEqual(1);
      for (const w of won) expect(await oauthError(client.refreshTokenGrant(config, (w as PromiseFulfilledResult<any>).value.refresh_token))).toBe('invalid_grant');
    });

    it('introspects and revokes tokens', async () => {
      const email = await makeUser();
      const config = await discover(await makeApp({ consent_screen_enabled: false }));
      const { tokens } = await signInThroughBrowser(config, email);
      const live = await client.tokenIntrospection(config, tokens.access_token);
      expect(live).toMatchObject({ active: true, sub: userId, client_id: config.clientMetadata().client_id });
      expect(typeof live.sid).toBe('string');
      expect(String(live.sid)).toMatch(/^sess_/);
      await client.tokenRevocation(config, tokens.access_token);
      expect((await client.tokenIntrospection(config, tokens.access_token)).active).toBe(false);
      await client.tokenRevocation(config, tokens.refresh_token as string);
      expect(await oauthError(client.refreshTokenGrant(config, tokens.refresh_token as string))).toBe('invalid_grant');
    });

    it('drops what the provider holds for a banned user, for good', async () => {
      const email = await makeUser();
      const config = await discover(await makeApp({ consent_screen_enabled: false }));
      const { tokens } = await signInThroughBrowser(config, email);
      expect((await server.api(`/v1/users/${userId}/ban`, { method: 'POST' })).status).toBe(200);
      expect(await oauthError(client.refreshTokenGrant(config, tokens.refresh_token as string))).toBe('invalid_grant');
      // Unbanning does not bring the tokens back: they were deleted, not only refused.
      expect((await server.api(`/v1/users/${userId}/unban`, { method: 'POST' })).status).toBe(200);
      expect(await oauthError(client.refreshTokenGrant(config, tokens.refresh_token as string))).toBe('invalid_grant');
      expect((await client.tokenIntrospection(config, tokens.access_token)).active).toBe(false);
    });

    it('drops the tokens issued under a session when the browser signs out on the hosted page, or an admin revokes it', async () => {
      const email = await makeUser();
      const config = await discover(await makeApp({ consent_screen_enabled: false }));
      const { tokens, browser } = await signInThroughBrowser(config, email);
      const other = await signInThroughBrowser(config, email);
      const page = await browser.fetch(`${server.url}/sign-out`);
      const posted = await browser.postForm(`${server.url}/sign-out`, { csrf: csrfOf(await page.text()) });
      expect(posted.status).toBe(303);
      expect(await oauthError(client.refreshTokenGrant(config, tokens.refresh_token as string))).toBe('invalid_grant');
      expect((await client.tokenIntrospection(config, tokens.access_token)).active).toBe(false);
      // The other browser's session, and its tokens, are untouched by this sign-out.
      const refreshed = await client.refreshTokenGrant(config, other.tokens.refresh_token as string);
      const sid = (await client.tokenIntrospection(config, refreshed.access_token)).sid as string;
      expect(sid).toMatch(/^sess_/);
      expect((await server.api(`/v1/sessions/${sid}/revoke`, { method: 'POST' })).status).toBe(200);
      expect(await oauthError(client.refreshTokenGrant(config, refreshed.refresh_token as string))).toBe('invalid_grant');
    });

    it('asks for the sign-in again when the authorization says prompt=login or max_age=0', async () => {
      const email = await makeUser();
      const config = await discover(await makeApp({ consent_screen_enabled: false }));
      const { browser } = await signInThroughBrowser(config, email);
      const authorize = (extra: Record<string, string>) =>
        client.buildAuthorizationUrl(config, { redirect_uri: CALLBACK, scope: 'openid', code_challenge: 'y'.repeat(43), code_challenge_method: 'S256', ...extra }).href;
      // The browser's session suffices for a plain authorization...
      codeAt(await browser.follow(authorize({}), CALLBACK));
      // ...but not for these, which end at the sign-in form; signing in there completes them.
      for (const extra of [{ prompt: 'login' }, { max_age: '0' }] as Record<string, string>[]) {
        const step = await browser.follow(authorize(extra), CALLBACK);
        expect(step.location).toBeUndefined();
        expect(step.url).toContain('/sign-in');
        const redirectUrl = new URL(step.url).searchParams.get('redirect_url') as string;
        // A sign-in counts as newer than the authorization from the next whole second on.
        await new Promise((r) => setTimeout(r, 1100));
        const posted = await browser.postForm(`${server.url}/sign-in`, { csrf: csrfOf(await step.res.text()), identifier: email, password: PASSWORD, redirect_url: redirectUrl });
        expect(posted.status).toBe(303);
        const done = await browser.follow(new URL(posted.headers.get('location') as string, server.url).href, CALLBACK);
        codeAt(done);
      }
    });

    it('signs the browser out of Latchkey at the end-session endpoint', async () => {
      const email = await makeUser();
      const app = await makeApp({ consent_screen_enabled: false });
      const config = await discover(app);
      const { tokens, browser } = await signInThroughBrowser(config, email);
      const endUrl = client.buildEndSessionUrl(config, { id_token_hint: tokens.id_token as string, post_logout_redirect_uri: CALLBACK, state: 'bye' });
      const page = await browser.fetch(endUrl.href);
      expect(page.status).toBe(200);
      const html = await page.text();
      const action = /<form id="op.logoutForm" method="post" action="([^"]+)"/.exec(html)?.[1] as string;
      const xsrf = /name="xsrf" value="([^"]+)"/.exec(html)?.[1] as string;
      const done = await browser.postForm(action, { xsrf, logout: 'yes' });
      expect(done.status).toBe(303);
      expect(done.headers.get('location')).toBe(`${CALLBACK}?state=bye`);
      expect(browser.cookies.has('__latchkey_client')).toBe(false);
      const list = await (await server.api(`/v1/sessions?user_id=${userId}&status=active`)).json();
      expect(list.length ?? list.data.length).toBe(0);
      // A new authorization asks for the sign-in again.
      const url = client.buildAuthorizationUrl(config, { redirect_uri: CALLBACK, scope: 'openid', code_challenge: 'y'.repeat(43), code_challenge_method: 'S256' });
      const step = await browser.follow(url.href, CALLBACK);
      expect(step.url).toContain('/sign-in');
    });

    it('lets the hosted pages redirect to an OAuth callback URL', async () => {
      await makeApp({ callback_url: 'https://notes.example.com/oauth/callback' });
      const redirects = server.app.services.redirects;
      expect(await redirects.isAllowedRedirect('https://notes.example.com/oauth/callback?x=1')).toBe(true);
      expect(await redirects.isAllowedRedirect('https://notes.example.com/elsewhere')).toBe(false);
    });
  });
}
