import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { createRemoteJWKSet, importJWK, jwtVerify, SignJWT, decodeProtectedHeader } from 'jose';
import { BACKENDS, startServer, type TestServer } from './helpers/backends.ts';
import { specCall } from './helpers/spec-call.ts';
import { oauthError } from './helpers/oidc-browser.ts';

const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

async function discover(server: TestServer, clientId: string, secret?: string) {
  return client.discovery(new URL(server.url), clientId, undefined, secret ? client.ClientSecretBasic(secret) : client.None(), { execute: [client.allowInsecureRequests] });
}

for (const backend of BACKENDS) {
  describe(`OAuth applications and client credentials (${backend})`, () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startServer(backend);
    });
    afterAll(async () => server?.close());

    const bearer = (token: string) => fetch(`${server.url}/v1/users`, { headers: { authorization: `Bearer ${token}` } });

    it('manages applications per the spec, showing the secret only on create and rotate', async () => {
      const created = await specCall(server, 'POST', '/oauth_applications', '/oauth_applications', { name: 'Backoffice', callback_url: 'https://app.example.com/callback' });
      expect(created.status).toBe(200);
      const a = created.body;
      expect(a.id).toMatch(/^oa_/);
      expect(a.client_secret.length).toBeGreaterThanOrEqual(43);
      expect(a.public).toBe(false);
      expect(a.scopes).toBe('openid profile email offline_access');
      expect(a.authorize_url).toBe(`${server.url}/oauth/authorize`);
      expect(a.token_fetch_url).toBe(`${server.url}/oauth/token`);
      expect(a.user_info_url).toBe(`${server.url}/oauth/userinfo`);

      const got = await specCall(server, 'GET', '/oauth_applications/{id}', `/oauth_applications/${a.id}`);
      expect(got.status).toBe(200);
      expect(got.body.client_secret).toBeUndefined();
      expect(JSON.stringify(got.body)).not.toContain(a.client_secret);

      const list = await specCall(server, 'GET', '/oauth_applications', '/oauth_applications?limit=10');
      expect(list.body.total_count).toBeGreaterThanOrEqual(1);
      expect(JSON.stringify(list.body)).not.toContain(a.client_secret);

      const updated = await specCall(server, 'PATCH', '/oauth_applications/{id}', `/oauth_applications/${a.id}`, { name: 'Back office', callback_url: 'https://app.example.com/cb2' });
      expect(updated.status).toBe(200);
      expect(updated.body.name).toBe('Back office');
      expect(updated.body.callback_url).toBe('https://app.example.com/cb2');

      const unknown = await specCall(server, 'POST', '/oauth_applications', '/oauth_applications', { name: 'X', callback_url: 'https://x.example.com/cb', colour: 'red' });
      expect(unknown.status).toBe(422);
      const badScope = await specCall(server, 'POST', '/oauth_applications', '/oauth_applications', { name: 'X', callback_url: 'https://x.example.com/cb', scopes: 'openid wizardry' });
      expect(badScope.status).toBe(422);
      expect(badScope.body.errors[0].meta.param_name).toBe('scopes');
      expect((await specCall(server, 'POST', '/oauth_applications', '/oauth_applications', { name: 'X', callback_url: 'https://x.example.com/cb', scopes: ' ' })).status).toBe(422);
      const badUrl = await specCall(server, 'POST', '/oauth_applications', '/oauth_applications', { name: 'X', callback_url: 'http://evil.example.com/cb' });
      expect(badUrl.status).toBe(422);
      const publicCc = await specCall(server, 'POST', '/oauth_applications', '/oauth_applications', { name: 'X', callback_url: 'https://x.example.com/cb', public: true, client_credentials_enabled: true });
      expect(publicCc.status).toBe(422);

      const rotated = await specCall(server, 'POST', '/oauth_applications/{id}/rotate_secret', `/oauth_applications/${a.id}/rotate_secret`);
      expect(rotated.status).toBe(200);
      expect(rotated.body.client_secret).not.toBe(a.client_secret);

      const deleted = await specCall(server, 'DELETE', '/oauth_applications/{id}', `/oauth_applications/${a.id}`);
      expect(deleted.body).toEqual({ object: 'oauth_application', id: a.id, deleted: true });
      expect((await specCall(server, 'GET', '/oauth_applications/{id}', `/oauth_applications/${a.id}`)).status).toBe(404);
    });

    it('stores only the SHA-256 of a secret', async () => {
      const { body } = await specCall(server, 'POST', '/oauth_applications', '/oauth_applications', { name: 'Digest', callback_url: 'https://d.example.com/cb' });
      const stored = await server.app.services.oauthApplications.get(body.id);
      expect(stored.secretSha256).toMatch(/^[0-9a-f]{64}$/);
      expect(stored.secretSha256).not.toContain(body.client_secret);
    });

    it('publishes discovery and the same keys as /v1/jwks', async () => {
      const res = await fetch(`${server.url}/.well-known/openid-configuration`);
      expect(res.status).toBe(200);
      const meta = await res.json();
      expect(meta.issuer).toBe(server.url);
      for (const k of ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'jwks_uri', 'revocation_endpoint', 'introspection_endpoint', 'end_session_endpoint']) expect(meta[k]).toMatch(/^http:/);
      expect(meta.code_challenge_methods_supported).toEqual(['S256']);
      const published = await (await fetch(meta.jwks_uri)).json();
      const v1 = await (await server.api('/v1/jwks')).json();
      expect(published.keys.map((k: any) => k.kid)).toEqual(v1.keys.map((k: any) => k.kid));
      expect(JSON.stringify(published)).not.toMatch(/"d":/);
    });

    it('issues client-credentials JWTs that the admin API accepts only with the admin scope', async () => {
      const { body: admin } = await specCall(server, 'POST', '/oauth_applications', '/oauth_applications', {
        name: 'Provisioner',
        callback_url: 'https://m2m.example.com/unused',
        scopes: 'latchkey:admin',
        client_credentials_enabled: true,
      });
      const config = await discover(server, admin.client_id, admin.client_secret);
      const tokens = await client.clientCredentialsGrant(config, { scope: 'latchkey:admin' });
      expect(tokens.token_type.toLowerCase()).toBe('bearer');
      expect(decodeProtectedHeader(tokens.access_token)).toMatchObject({ alg: 'RS256', typ: 'at+jwt' });
      const jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
      const { payload } = await jwtVerify(tokens.access_token, jwks, { issuer: server.url, audience: `${server.url}/v1` });
      expect(payload).toMatchObject({ sub: admin.client_id, client_id: admin.client_id, scope: 'latchkey:admin' });

      const users = await bearer(tokens.access_token);
      expect(users.status).toBe(200);
      expect(Array.isArray(await users.json())).toBe(true);

      // Without the admin scope the same kind of token is refused.
      const { body: plain } = await specCall(server, 'POST', '/oauth_applications', '/oauth_applications', { name: 'Reporter', callback_url: 'https://m2m.example.com/x', scopes: 'profile', client_credentials_enabled: true });
      const plainConfig = await discover(server, plain.client_id, plain.client_secret);
      const plainTokens = await client.clientCredentialsGrant(plainConfig);
      expect((await bearer(plainTokens.access_token)).status).toBe(401);
      expect(await oauthError(client.clientCredentialsGrant(plainConfig, { scope: 'latchkey:admin' }))).toBe('invalid_scope');

      // A wrong secret, and a client not allowed the grant, get nothing.
      expect(await oauthError(client.clientCredentialsGrant(await discover(server, admin.client_id, 'not-the-secret')))).toBe('invalid_client');
      const { body: web } = await specCall(server, 'POST', '/oauth_applications', '/oauth_applications', { name: 'Web', callback_url: 'https://web.example.com/cb' });
      // oidc-provider answers invalid_request ("requested grant type is not allowed for this client").
      expect(['unauthorized_client', 'invalid_request']).toContain(await oauthError(client.clientCredentialsGrant(await discover(server, web.client_id, web.client_secret))));

      // A rotated secret replaces the old one at once; a deleted application's tokens stop working.
      const rotated = (await specCall(server, 'POST', '/oauth_applications/{id}/rotate_secret', `/oauth_applications/${admin.id}/rotate_secret`)).body;
      expect(await oauthError(client.clientCredentialsGrant(config, { scope: 'latchkey:admin' }))).toBe('invalid_client');
      const fresh = await client.clientCredentialsGrant(await discover(server, admin.client_id, rotated.client_secret), { scope: 'latchkey:admin' });
      expect((await bearer(fresh.access_token)).status).toBe(200);
      await specCall(server, 'DELETE', '/oauth_applications/{id}', `/oauth_applications/${admin.id}`);
      expect((await bearer(fresh.access_token)).status).toBe(401);
    });

    it('follows signing-key rotation: jwks_uri and new tokens use the new key', async () => {
      const { body: admin } = await specCall(server, 'POST', '/oauth_applications', '/oauth_applications', { name: 'Rotator', callback_url: 'https://m2m.example.com/r', scopes: 'latchkey:admin', client_credentials_enabled: true });
      const config = await discover(server, admin.client_id, admin.client_secret);
      const before = await client.clientCredentialsGrant(config, { scope: 'latchkey:admin' });
      const { kid } = await server.app.services.signingKeys.rotate();
      await new Promise((r) => setTimeout(r, 1100));
      const published = await (await fetch(`${server.url}/.well-known/jwks.json`)).json();
      const v1 = await (await server.api('/v1/jwks')).json();
      expect(published.keys.map((k: any) => k.kid)).toEqual(v1.keys.map((k: any) => k.kid));
      expect(published.keys.map((k: any) => k.kid)).toContain(kid);
      const after = await client.clientCredentialsGrant(config, { scope: 'latchkey:admin' });
      expect(decodeProtectedHeader(after.access_token).kid).toBe(kid);
      // A token signed before the rotation stays valid while its key is published.
      expect((await bearer(before.access_token)).status).toBe(200);
      expect((await bearer(after.access_token)).status).toBe(200);
    });

    it('stores provider state in the database and purges expired rows', async () => {
      const storage = server.app.services.oidc.storage;
      const adapter = storage.adapter('Interaction');
      await adapter.upsert('live-one', { uid: 'u-live', accountId: 'user_x' }, 60);
      await adapter.upsert('gone-one', { uid: 'u-gone' }, -1);
      expect(await adapter.find('live-one')).toMatchObject({ uid: 'u-live' });
      expect(await adapter.findByUid('u-live')).toMatchObject({ accountId: 'user_x' });
      expect(await adapter.find('gone-one')).toBeUndefined();
      expect(await storage.purgeExpired()).toBeGreaterThanOrEqual(1);
      const rt = storage.adapter('RefreshToken');
      await rt.upsert('rt-1', { grantId: 'g-1', accountId: 'user_x' }, 60);
      await rt.consume('rt-1');
      expect((await rt.find('rt-1'))?.consumed).toEqual(expect.any(Number));
      await rt.revokeByGrantId('g-1');
      expect(await rt.find('rt-1')).toBeUndefined();
      expect(await storage.destroyAccount('user_x')).toBe(1);
      expect(await adapter.find('live-one')).toBeUndefined();
    });

    it('refuses forged admin tokens', async () => {
      const { body: admin } = await specCall(server, 'POST', '/oauth_applications', '/oauth_applications', {
        name: 'Forgery target',
        callback_url: 'https://m2m.example.com/f',
        scopes: 'latchkey:admin',
        client_credentials_enabled: true,
      });
      const { keys } = await server.app.services.signingKeys.privateJwks();
      const jwk = keys[0] as any;
      const key = await importJWK(jwk, 'RS256');
      const now = Math.floor(Date.now() / 1000);
      const claims = { sub: admin.client_id, client_id: admin.client_id, scope: 'latchkey:admin', jti: 'x' };
      const sign = (c: Record<string, unknown>, header: Record<string, unknown> = {}) =>
        new SignJWT(c).setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: jwk.kid, ...header }).sign(key);
      const good = await sign({ ...claims, iss: server.url, aud: `${server.url}/v1`, iat: now, exp: now + 300 });
      expect((await bearer(good)).status).toBe(200);

      const [h, p] = good.split('.');
      const forged = {
        none: `${b64({ alg: 'none', typ: 'at+jwt' })}.${p}.`,
        hs256: (() => {
          const header = b64({ alg: 'HS256', typ: 'at+jwt', kid: jwk.kid });
          const mac = createHmac('sha256', JSON.stringify({ kty: 'RSA', n: jwk.n, e: jwk.e })).update(`${header}.${p}`).digest('base64url');
          return `${header}.${p}.${mac}`;
        })(),
        unknownKid: await sign({ ...claims, iss: server.url, aud: `${server.url}/v1`, iat: now, exp: now + 300 }, { kid: 'not-a-key' }),
        badSignature: `${h}.${p}.${good.split('.')[2].slice(0, -4)}AAAA`,
        tamperedPayload: `${h}.${b64({ ...claims, scope: 'latchkey:admin', iss: server.url, aud: `${server.url}/v1`, iat: now, exp: now + 9999 })}.${good.split('.')[2]}`,
        expired: await sign({ ...claims, iss: server.url, aud: `${server.url}/v1`, iat: now - 1000, exp: now - 600 }),
        wrongIssuer: await sign({ ...claims, iss: 'https://evil.example.com', aud: `${server.url}/v1`, iat: now, exp: now + 300 }),
        wrongAudience: await sign({ ...claims, iss: server.url, aud: server.url, iat: now, exp: now + 300 }),
        noAdminScope: await sign({ ...claims, scope: 'openid', iss: server.url, aud: `${server.url}/v1`, iat: now, exp: now + 300 }),
        userSubject: await sign({ ...claims, sub: 'user_123', iss: server.url, aud: `${server.url}/v1`, iat: now, exp: now + 300 }),
      };
      for (const [name, token] of Object.entries(forged)) {
        expect((await bearer(token)).status, name).toBe(401);
      }
    });
  });
}
