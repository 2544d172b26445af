/**
 * Server nodes are stateless: two Latchkey processes on one PostgreSQL database, behind one
 * issuer, serve one OpenID flow between them. The browser starts the authorization on node A,
 * signs in on node B, the code is redeemed at B, the refresh token is rotated at A, and B's
 * admin revocation ends it for A too.
 */
import { randomBytes } from 'node:crypto';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, startServer, type TestServer } from './helpers/backends.ts';
import { authorizationRequest, codeAt, csrfOf, oauthError, TestBrowser } from './helpers/oidc-browser.ts';

const CALLBACK = 'http://localhost:8123/callback';
const PASSWORD = 'a long passphrase 42';

describe.runIf(BACKENDS.includes('postgres'))('two server nodes on one PostgreSQL database', () => {
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    const shared = { LATCHKEY_ENCRYPTION_KEY: randomBytes(32).toString('hex') };
    a = await startServer('postgres', shared);
    // Node B: the same database, encryption key and issuer (node A's address, as behind a load balancer).
    b = await startServer('pglite', { ...shared, DATABASE_URL: a.config.databaseUrl as string, LATCHKEY_ISSUER: a.url });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('runs one authorization across both nodes', async () => {
    const user = await (await a.api('/v1/users', { method: 'POST', json: { email_address: ['nodes@example.com'], password: PASSWORD } })).json();
    const app = await (await b.api('/v1/oauth_applications', { method: 'POST', json: { name: 'Nodes', callback_url: CALLBACK, public: true, consent_screen_enabled: false } })).json();
    const config = await client.discovery(new URL(a.url), app.client_id, undefined, client.None(), { execute: [client.allowInsecureRequests] });

    const browser = new TestBrowser();
    const { url, verifier, state } = await authorizationRequest(config, CALLBACK, 'openid email offline_access');
    const toSignIn = await browser.follow(url.href, CALLBACK);
    expect(toSignIn.url.startsWith(`${a.url}/sign-in`)).toBe(true);
    const redirectUrl = new URL(toSignIn.url).searchParams.get('redirect_url') as string;

    // The sign-in, and the interaction it returns to, happen on node B.
    const form = await browser.fetch(`${b.url}/sign-in?redirect_url=${encodeURIComponent(redirectUrl)}`);
    const posted = await browser.postForm(`${b.url}/sign-in`, { csrf: csrfOf(await form.text()), identifier: 'nodes@example.com', password: PASSWORD, redirect_url: redirectUrl });
    expect(posted.status).toBe(303);
    const done = await browser.follow(new URL(posted.headers.get('location') as string, b.url).href, CALLBACK);
    const code = codeAt(done);
    expect(new URL(done.location as string).searchParams.get('state')).toBe(state);

    // The code is redeemed at node B's token endpoint.
    const res = await fetch(`${b.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: CALLBACK, client_id: app.client_id, code_verifier: verifier }).toString(),
    });
    expect(res.status).toBe(200);
    const tokens = await res.json();
    expect(tokens.refresh_token).toBeTruthy();

    // Node A rotates the refresh token node B issued; A's userinfo knows the user.
    const rotated = await client.refreshTokenGrant(config, tokens.refresh_token);
    expect((await client.fetchUserInfo(config, rotated.access_token, user.id)).email).toBe('nodes@example.com');

    // A ban through node B ends what node A would honour.
    expect((await b.api(`/v1/users/${user.id}/ban`, { method: 'POST' })).status).toBe(200);
    expect(await oauthError(client.refreshTokenGrant(config, rotated.refresh_token as string))).toBe('invalid_grant');
  });
});
