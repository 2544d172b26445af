import { createClerkClient } from '@clerk/backend';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../src/core/clock.ts';
import { BACKENDS, startServer, type TestServer } from './helpers/backends.ts';
import { csrfOf, inputValue, pageClient } from './helpers/page-client.ts';
import { specCall } from './helpers/spec-call.ts';

describe.each(BACKENDS)('sign-in tokens and actor tokens (%s)', (backend) => {
  let server: TestServer;
  const clock = manualClock(new Date('2026-08-01T08:00:00Z'));

  async function createUser(email: string): Promise<string> {
    const res = await server.api('/v1/users', { method: 'POST', json: { email_address: [email], password: 'a sturdy passphrase' } });
    expect(res.status).toBe(200);
    return ((await res.json()) as { id: string }).id;
  }

  /** Opens the landing, presses its button; returns the answer to the POST. */
  async function land(url: string) {
    const c = pageClient(server.url);
    const confirm = await c.get(url);
    if (confirm.status !== 200) return { confirm, done: confirm, client: c };
    const done = await c.post(new URL(url).pathname, { csrf: csrfOf(confirm.html), token: inputValue(confirm.html, 'token'), redirect_url: inputValue(confirm.html, 'redirect_url') });
    return { confirm, done, client: c };
  }

  async function sessionsOf(userId: string) {
    const res = await server.api(`/v1/sessions?user_id=${userId}`);
    return (await res.json()) as Array<{ id: string; status: string; actor: Record<string, unknown> | null; expire_at: number; created_at: number }>;
  }

  beforeAll(async () => {
    server = await startServer(backend, {}, { clock });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('creates a sign-in token shown once, whose link signs the browser in once', async () => {
    const userId = await createUser('ticket@example.com');
    const { status, body } = await specCall(server, 'POST', '/sign_in_tokens', '/sign_in_tokens', { user_id: userId });
    expect(status).toBe(200);
    expect(body).toMatchObject({ object: 'sign_in_token', user_id: userId, status: 'pending' });
    expect(body.id).toMatch(/^sit_/);
    expect(body.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(body.url).toBe(`${server.url}/sign-in/ticket?token=${body.token}`);
    // Stored hashed: the token itself is nowhere in the table.
    const row = await server.app.database.db.selectFrom('sign_in_tokens' as any).selectAll().where('id', '=', body.id).executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain(body.token);

    // A prefetch (GET) only shows the button and does not use the token up.
    const c = pageClient(server.url);
    expect((await c.get(body.url)).status).toBe(200);
    const { confirm, done, client } = await land(`${body.url}&redirect_url=${encodeURIComponent('/welcome')}`);
    expect(confirm.html).toContain('ticket@example.com');
    expect(confirm.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(done.status).toBe(303);
    expect(done.location).toBe('/welcome');
    expect((await client.get('/account')).html).toContain('ticket@example.com');
    const listed = await sessionsOf(userId);
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ status: 'active', actor: null });

    // Single use.
    const again = await land(body.url);
    expect(again.confirm.status).toBe(400);
    const direct = await c.post('/sign-in/ticket', { csrf: csrfOf((await c.get('/sign-in')).html), token: body.token });
    expect(direct.status).toBe(400);
    expect(direct.html).toContain('not valid');
    expect(await sessionsOf(userId)).toHaveLength(1);
    // Used tokens cannot be revoked.
    const late = await specCall(server, 'POST', '/sign_in_tokens/{sign_in_token_id}/revoke', `/sign_in_tokens/${body.id}/revoke`);
    expect(late.status).toBe(400);
    expect(late.body.errors[0].code).toBe('sign_in_token_cannot_be_revoked');
  });

  it('refuses the landing POST without its CSRF token', async () => {
    const userId = await createUser('csrf-ticket@example.com');
    const { body } = await specCall(server, 'POST', '/sign_in_tokens', '/sign_in_tokens', { user_id: userId });
    const c = pageClient(server.url);
    await c.get(body.url);
    expect((await c.post('/sign-in/ticket', { token: body.token })).status).toBe(403);
    expect(await sessionsOf(userId)).toHaveLength(0);
    expect((await land(body.url)).done.status).toBe(303);
  });

  it('revokes a pending token, after which the link does nothing', async () => {
    const userId = await createUser('revoked@example.com');
    const { body } = await specCall(server, 'POST', '/sign_in_tokens', '/sign_in_tokens', { user_id: userId, expires_in_seconds: 600 });
    const revoked = await specCall(server, 'POST', '/sign_in_tokens/{sign_in_token_id}/revoke', `/sign_in_tokens/${body.id}/revoke`);
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ id: body.id, status: 'revoked' });
    expect(revoked.body.token).toBeUndefined();
    expect((await land(body.url)).confirm.status).toBe(400);
    const c = pageClient(server.url);
    const form = await c.get('/sign-in');
    expect((await c.post('/sign-in/ticket', { csrf: csrfOf(form.html), token: body.token })).status).toBe(400);
    expect(await sessionsOf(userId)).toHaveLength(0);
    const twice = await specCall(server, 'POST', '/sign_in_tokens/{sign_in_token_id}/revoke', `/sign_in_tokens/${body.id}/revoke`);
    expect(twice.status).toBe(400);
    const unknown = await specCall(server, 'POST', '/sign_in_tokens/{sign_in_token_id}/revoke', '/sign_in_tokens/sit_nope/revoke');
    expect(unknown.status).toBe(404);
  });

  it('expires tokens after expires_in_seconds', async () => {
    const userId = await createUser('expiring@example.com');
    const { body } = await specCall(server, 'POST', '/sign_in_tokens', '/sign_in_tokens', { user_id: userId, expires_in_seconds: 60 });
    clock.advance(61_000);
    expect((await land(body.url)).confirm.status).toBe(400);
  });

  it('lets exactly one of concurrent redemptions win', async () => {
    const userId = await createUser('race@example.com');
    const { body } = await specCall(server, 'POST', '/sign_in_tokens', '/sign_in_tokens', { user_id: userId });
    const browsers = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const c = pageClient(server.url);
        const confirm = await c.get(body.url);
        return { c, csrf: csrfOf(confirm.html) };
      }),
    );
    const answers = await Promise.all(browsers.map(({ c, csrf }) => c.post('/sign-in/ticket', { csrf, token: body.token })));
    expect(answers.filter((a) => a.status === 303)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 400)).toHaveLength(5);
    expect(await sessionsOf(userId)).toHaveLength(1);
  });

  it('does not sign in a banned user with a token', async () => {
    const userId = await createUser('banned-ticket@example.com');
    const { body } = await specCall(server, 'POST', '/sign_in_tokens', '/sign_in_tokens', { user_id: userId });
    expect((await server.api(`/v1/users/${userId}/ban`, { method: 'POST' })).status).toBe(200);
    expect((await land(body.url)).confirm.status).toBe(400);
    expect(await sessionsOf(userId)).toHaveLength(0);
  });

  it('validates the create: unknown user, bad expiry, unknown field', async () => {
    expect((await specCall(server, 'POST', '/sign_in_tokens', '/sign_in_tokens', { user_id: 'user_missing' })).status).toBe(404);
    const zero = await specCall(server, 'POST', '/sign_in_tokens', '/sign_in_tokens', { user_id: 'user_missing', expires_in_seconds: 0 });
    expect(zero.status).toBe(422);
    expect(zero.body.errors[0].meta.param_name).toBe('expires_in_seconds');
    const noSub = await specCall(server, 'POST', '/actor_tokens', '/actor_tokens', { user_id: 'user_missing', actor: { name: 'x' } });
    expect(noSub.status).toBe(422);
    const userId = await createUser('actor-validate@example.com');
    const emptySub = await specCall(server, 'POST', '/actor_tokens', '/actor_tokens', { user_id: userId, actor: { sub: '' } });
    expect(emptySub.status).toBe(422);
  });

  it('opens an impersonation session from an actor token, limited in time, whose tokens carry act', async () => {
    const userId = await createUser('impersonated@example.com');
    const { status, body } = await specCall(server, 'POST', '/actor_tokens', '/actor_tokens', {
      user_id: userId,
      actor: { sub: 'user_admin_1', reason: 'support' },
      session_max_duration_in_seconds: 600,
    });
    expect(status).toBe(200);
    expect(body).toMatchObject({ object: 'actor_token', user_id: userId, status: 'pending', actor: { sub: 'user_admin_1', reason: 'support' } });
    expect(body.url).toBe(`${server.url}/impersonate?token=${body.token}`);
    const { confirm, done, client } = await land(body.url);
    expect(confirm.html).toContain('user_admin_1');
    expect(done.status).toBe(303);
    expect(done.location).toBe('/account');
    expect((await client.get('/account')).html).toContain('on behalf of user_admin_1');
    const [session] = await sessionsOf(userId);
    expect(session.actor).toEqual({ sub: 'user_admin_1', reason: 'support' });
    expect(session.expire_at - session.created_at).toBe(600_000);
    // Single use, like sign-in tokens.
    expect((await land(body.url)).confirm.status).toBe(400);

    const tokenRes = await server.api(`/v1/sessions/${session.id}/tokens`, { method: 'POST', json: {} });
    expect(tokenRes.status).toBe(200);
    const claims = decodeJwt(((await tokenRes.json()) as { jwt: string }).jwt);
    expect(claims.sub).toBe(userId);
    expect(claims.act).toMatchObject({ sub: 'user_admin_1' });
  });

  it('revokes actor tokens', async () => {
    const userId = await createUser('actor-revoke@example.com');
    const { body } = await specCall(server, 'POST', '/actor_tokens', '/actor_tokens', { user_id: userId, actor: { sub: 'user_admin_2' } });
    const revoked = await specCall(server, 'POST', '/actor_tokens/{actor_token_id}/revoke', `/actor_tokens/${body.id}/revoke`);
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ status: 'revoked', token: null, url: null });
    expect((await land(body.url)).confirm.status).toBe(400);
    expect((await specCall(server, 'POST', '/actor_tokens/{actor_token_id}/revoke', `/actor_tokens/${body.id}/revoke`)).body.errors[0].code).toBe('actor_token_cannot_be_revoked');
    expect((await specCall(server, 'POST', '/actor_tokens/{actor_token_id}/revoke', '/actor_tokens/act_nope/revoke')).status).toBe(404);
  });

  it('works through the official SDK', async () => {
    const userId = await createUser('sdk-ticket@example.com');
    const clerk = createClerkClient({ secretKey: server.secretKey, apiUrl: server.url });
    const sit = await clerk.signInTokens.createSignInToken({ userId, expiresInSeconds: 3600 });
    expect(sit.status).toBe('pending');
    expect(sit.url).toContain('/sign-in/ticket?token=');
    expect((await clerk.signInTokens.revokeSignInToken(sit.id)).status).toBe('revoked');
    const act = await clerk.actorTokens.create({ userId, actor: { sub: 'user_admin_3' } });
    expect(act.actor).toMatchObject({ sub: 'user_admin_3' });
    expect((await clerk.actorTokens.revoke(act.id)).status).toBe('revoked');
  });
});
