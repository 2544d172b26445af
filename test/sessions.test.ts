import { createClerkClient } from '@clerk/backend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../src/core/clock.ts';
import type { RevocationReason } from '../src/core/sessions/types.ts';
import { BACKENDS, startServer, type TestServer } from './helpers/backends.ts';
import { clerkCode } from './helpers/clerk-errors.ts';
import { assertMatchesSpec } from './helpers/clerk-spec.ts';
import { startSmtpReceiver, type SmtpReceiver } from './helpers/smtp-receiver.ts';
import { specCall } from './helpers/spec-call.ts';

const MAX_S = 3600;
const IDLE_S = 600;

describe.each(BACKENDS)('sessions and clients (%s)', (backend) => {
  let server: TestServer;
  let smtp: SmtpReceiver;
  let clerk: ReturnType<typeof createClerkClient>;
  const clock = manualClock(new Date('2026-03-01T08:00:00Z'));
  const revoked: Array<[string, RevocationReason]> = [];
  let n = 0;

  beforeAll(async () => {
    smtp = await startSmtpReceiver();
    server = await startServer(
      backend,
      { LATCHKEY_SESSION_LIFETIME: String(MAX_S), LATCHKEY_SESSION_IDLE_TIMEOUT: String(IDLE_S), SMTP_URL: smtp.url, EMAIL_FROM: 'Latchkey <no-reply@example.com>' },
      { clock, deletions: { autoStart: false } },
    );
    clerk = createClerkClient({ secretKey: server.secretKey, apiUrl: server.url });
    server.app.services.sessions.onUserRevoked(async (userId, reason) => {
      revoked.push([userId, reason]);
    });
  });
  afterAll(async () => {
    await server?.close();
    await smtp?.close();
  });

  const sessions = () => server.app.services.sessions;
  async function newUser(): Promise<string> {
    const res = await server.api('/v1/users', { method: 'POST', json: { email_address: [`user${++n}@example.com`], password: 'a long enough passphrase' } });
    expect(res.status).toBe(200);
    return ((await res.json()) as { id: string }).id;
  }
  const statusOf = async (id: string) => (await specCall(server, 'GET', '/sessions/{session_id}', `/sessions/${id}`)).body.status as string;

  it('creates, reads, lists and revokes sessions through the official SDK', async () => {
    const userId = await newUser();
    const created = await clerk.sessions.createSession({ userId });
    expect(created.id).toMatch(/^sess_/);
    expect(created.clientId).toMatch(/^client_/);
    expect(created.userId).toBe(userId);
    expect(created.status).toBe('active');
    expect(created.expireAt - created.createdAt).toBe(MAX_S * 1000);
    expect(created.abandonAt - created.createdAt).toBe(IDLE_S * 1000);

    const fetched = await clerk.sessions.getSession(created.id);
    expect(fetched).toEqual(created);
    // A session is a sign-in: the user's last_sign_in_at follows it.
    expect((await clerk.users.getUser(userId)).lastSignInAt).toBe(created.createdAt);
    const second = await clerk.sessions.createSession({ userId });
    expect(second.clientId).not.toBe(created.clientId);

    const list = await clerk.sessions.getSessionList({ userId });
    expect(list.totalCount).toBe(2);
    expect(list.data.map((s) => s.id).sort()).toEqual([created.id, second.id].sort());
    const page = await clerk.sessions.getSessionList({ userId, limit: 1, offset: 1 });
    expect(page.data).toHaveLength(1);
    expect(page.totalCount).toBe(2);
    expect((await clerk.sessions.getSessionList({ clientId: second.clientId })).data.map((s) => s.id)).toEqual([second.id]);

    const gone = await clerk.sessions.revokeSession(created.id);
    expect(gone.status).toBe('revoked');
    expect((await clerk.sessions.getSession(created.id)).status).toBe('revoked');
    expect(await clerk.sessions.getSessionList({ userId, status: 'active' })).toMatchObject({ totalCount: 1 });
    expect(await clerkCode(clerk.sessions.revokeSession(created.id))).toEqual({ status: 400, code: 'session_not_active' });
    expect(await clerkCode(clerk.sessions.createSession({ userId: 'user_missing' }))).toEqual({ status: 404, code: 'resource_not_found' });
  });

  it('answers in the shapes of the Clerk spec', async () => {
    const userId = await newUser();
    const res = await server.api('/v1/sessions', { method: 'POST', json: { user_id: userId } });
    expect(res.status).toBe(200);
    const session = await res.json();
    assertMatchesSpec('get', '/sessions/{session_id}', 200, session);
    const list = await specCall(server, 'GET', '/sessions', `/sessions?user_id=${userId}`);
    expect(list.body.map((s: { id: string }) => s.id)).toEqual([session.id]);
    const client = await specCall(server, 'GET', '/clients/{client_id}', `/clients/${session.client_id}`);
    expect(client.body).toMatchObject({ object: 'client', id: session.client_id, session_ids: [session.id], last_active_session_id: session.id });
    expect((await specCall(server, 'GET', '/clients', '/clients?limit=5')).status).toBe(200);
    expect((await specCall(server, 'GET', '/clients/{client_id}/last_active_session', `/clients/${session.client_id}/last_active_session`)).body.id).toBe(session.id);
    const revokedNow = await specCall(server, 'POST', '/sessions/{session_id}/revoke', `/sessions/${session.id}/revoke`);
    expect(revokedNow.body.status).toBe('revoked');
    // A revoked session leaves its client: no live session, so no last active one.
    expect((await specCall(server, 'GET', '/clients/{client_id}', `/clients/${session.client_id}`)).body.sessions).toEqual([]);
    expect((await specCall(server, 'GET', '/clients/{client_id}/last_active_session', `/clients/${session.client_id}/last_active_session`)).status).toBe(404);
  });

  it('refuses unknown ids and bad input with 404 and 422', async () => {
    expect((await specCall(server, 'GET', '/sessions/{session_id}', '/sessions/sess_nope')).body.errors[0].code).toBe('resource_not_found');
    expect((await specCall(server, 'POST', '/sessions/{session_id}/revoke', '/sessions/sess_nope/revoke')).status).toBe(404);
    expect((await specCall(server, 'GET', '/clients/{client_id}', '/clients/client_nope')).status).toBe(404);
    expect((await specCall(server, 'GET', '/clients/{client_id}/last_active_session', '/clients/client_nope/last_active_session')).status).toBe(404);
    expect((await specCall(server, 'POST', '/clients/verify', '/clients/verify', { token: 'not-a-client-token-at-all' })).status).toBe(404);
    for (const q of ['limit=0', 'limit=501', 'offset=-1', 'status=bogus', 'color=red']) {
      const r = await specCall(server, 'GET', '/sessions', `/sessions?${q}`);
      expect(r.status, q).toBe(422);
    }
    expect((await specCall(server, 'GET', '/clients', '/clients?limit=abc')).status).toBe(422);
    const bad = await server.api('/v1/sessions', { method: 'POST', json: {} });
    expect(bad.status).toBe(422);
    expect((await bad.json()).errors[0].meta.param_name).toBe('user_id');
    expect((await server.api('/v1/sessions', { method: 'POST', json: { user_id: 'user_x', extra: 1 } })).status).toBe(422);
  });

  it('moves activity forward at most every few seconds and reports abandoned and expired sessions', async () => {
    const userId = await newUser();
    const t0 = clock.now().getTime();
    const { session } = await sessions().create({ userId });
    clock.advance(300_000);
    const touched = await sessions().requireActive(session.id);
    expect(touched.lastActiveAt.getTime()).toBe(t0 + 300_000);
    expect(touched.abandonAt.getTime()).toBe(t0 + 300_000 + IDLE_S * 1000);
    expect((await sessions().get(session.id)).abandonAt.getTime()).toBe(t0 + 300_000 + IDLE_S * 1000);
    clock.advance(2_000);
    await sessions().requireActive(session.id);
    // Throttled: two seconds later nothing was written.
    expect((await sessions().get(session.id)).lastActiveAt.getTime()).toBe(t0 + 300_000);

    clock.advance(IDLE_S * 1000);
    expect(await statusOf(session.id)).toBe('abandoned');
    await expect(sessions().requireActive(session.id)).rejects.toMatchObject({ code: 'session_not_active' });

    // Kept busy, a session still ends at its absolute lifetime; abandon_at never passes expire_at.
    const t1 = clock.now().getTime();
    const busy = (await sessions().create({ userId })).session;
    for (let i = 0; i < 7; i++) {
      clock.advance(500_000);
      await sessions().requireActive(busy.id);
    }
    const last = await sessions().get(busy.id);
    expect(last.abandonAt.getTime()).toBe(t1 + MAX_S * 1000);
    expect(last.expireAt.getTime()).toBe(t1 + MAX_S * 1000);
    clock.advance(100_001);
    expect(await statusOf(busy.id)).toBe('expired');

    // An actor token's shorter lifetime shortens the session, never lengthens it.
    const short = (await sessions().create({ userId, actor: { sub: 'user_admin' }, maxSeconds: 120 })).session;
    expect(short.expireAt.getTime() - short.createdAt.getTime()).toBe(120_000);
    expect(short.actor).toEqual({ sub: 'user_admin' });
    expect((await sessions().create({ userId, maxSeconds: MAX_S * 10 })).session.expireAt.getTime() - clock.now().getTime()).toBe(MAX_S * 1000);
  });

  it('filters lists by the status each session has now', async () => {
    const userId = await newUser();
    const make = async () => (await sessions().create({ userId })).session.id;
    const abandoned = await make();
    clock.advance((IDLE_S - 60) * 1000);
    const active = await make();
    const ended = await make();
    const removed = await make();
    const revokedId = await make();
    await sessions().end(ended);
    await sessions().remove(removed);
    await sessions().revoke(revokedId);
    clock.advance(120_000);
    const expected: Record<string, string[]> = { active: [active], abandoned: [abandoned], ended: [ended], removed: [removed], revoked: [revokedId], expired: [], replaced: [] };
    for (const [status, ids] of Object.entries(expected)) {
      const { body } = await specCall(server, 'GET', '/sessions', `/sessions?user_id=${userId}&status=${status}`);
      expect(body.map((s: { id: string }) => s.id), status).toEqual(ids);
      expect(body.every((s: { status: string }) => s.status === status)).toBe(true);
    }
    const page = await (await server.api(`/v1/sessions?user_id=${userId}&paginated=true&limit=2`)).json();
    expect(page.total_count).toBe(5);
    expect(page.data).toHaveLength(2);
    // Signing out twice is not an error; revoking what is not active is.
    expect((await sessions().end(ended)).status).toBe('ended');
    await expect(sessions().revoke(ended)).rejects.toMatchObject({ code: 'session_not_active' });
  });

  it('finds a browser client by its token and keeps its last active session', async () => {
    const userId = await newUser();
    const other = await newUser();
    const first = await sessions().create({ userId });
    expect(first.clientToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const second = await sessions().create({ userId: other, clientId: first.client.id });
    expect(second.clientToken).toBeUndefined();
    expect(second.client.sessionIds).toEqual([second.session.id, first.session.id]);

    const verified = await specCall(server, 'POST', '/clients/verify', '/clients/verify', { token: first.clientToken });
    expect(verified.status).toBe(200);
    expect(verified.body).toMatchObject({ id: first.client.id, last_active_session_id: second.session.id });
    expect(verified.body.sessions.map((s: { id: string }) => s.id)).toEqual([second.session.id, first.session.id]);
    expect((await clerk.clients.verifyClient(first.clientToken as string)).id).toBe(first.client.id);
    expect((await clerk.clients.getClient(first.client.id)).sessionIds).toHaveLength(2);
    expect((await clerk.clients.getClientList({ limit: 500 })).data.map((c) => c.id)).toContain(first.client.id);

    clock.advance(10_000);
    await sessions().requireActive(first.session.id);
    expect((await sessions().getClient(first.client.id)).lastActiveSessionId).toBe(first.session.id);
    await sessions().end(first.session.id);
    // The last active one signed out: the newest live session of the browser takes over.
    expect((await sessions().lastActiveSession(first.client.id))?.id).toBe(second.session.id);
    await expect(sessions().clientFromToken(`${first.clientToken}x`)).rejects.toMatchObject({ code: 'client_not_found' });
    await expect(sessions().create({ userId, clientId: 'client_missing' })).rejects.toMatchObject({ code: 'client_not_found' });
  });

  async function twoSessions(userId: string) {
    revoked.length = 0;
    return [(await sessions().create({ userId })).session.id, (await sessions().create({ userId })).session.id];
  }
  async function expectRevoked(userId: string, ids: string[], reason: RevocationReason) {
    for (const id of ids) expect((await sessions().get(id)).status).toBe('revoked');
    expect(revoked).toEqual([[userId, reason]]);
    const events = await server.app.database.db.selectFrom('events').select(['type', 'payload']).where('subject_id', '=', ids[0]).orderBy('id').execute();
    expect(events.map((e) => [e.type, (e.payload as { reason?: string }).reason])).toEqual([
      ['session.created', undefined],
      ['session.revoked', reason],
    ]);
  }

  it('revokes every session of a user who is banned, locked or given a new password by an administrator', async () => {
    for (const [path, method, json, reason] of [
      ['ban', 'POST', undefined, 'ban'],
      ['lock', 'POST', undefined, 'lock'],
      ['', 'PATCH', { password: 'a brand new passphrase' }, 'password_reset'],
      ['password/temporary', 'POST', { password: 'a temporary passphrase' }, 'password_reset'],
    ] as const) {
      const userId = await newUser();
      const ids = await twoSessions(userId);
      const res = await server.api(`/v1/users/${userId}${path ? `/${path}` : ''}`, { method, ...(json ? { json } : {}) });
      expect(res.status, path).toBe(200);
      await expectRevoked(userId, ids, reason);
    }
    // A banned or locked user gets no new session either.
    const banned = await newUser();
    await server.api(`/v1/users/${banned}/ban`, { method: 'POST' });
    expect(await clerkCode(clerk.sessions.createSession({ userId: banned }))).toEqual({ status: 403, code: 'user_banned' });
    const locked = await newUser();
    await server.api(`/v1/users/${locked}/lock`, { method: 'POST' });
    expect(await clerkCode(clerk.sessions.createSession({ userId: locked }))).toEqual({ status: 403, code: 'user_locked' });
    // An edit that does not touch the password leaves sessions alone.
    const kept = await newUser();
    const [keep] = await twoSessions(kept);
    await server.api(`/v1/users/${kept}`, { method: 'PATCH', json: { first_name: 'Kept' } });
    expect((await sessions().get(keep)).status).toBe('active');
    expect(revoked).toEqual([]);
  });

  it('revokes sessions when a user is deleted, at once or asynchronously', async () => {
    const now = await newUser();
    const [a] = await twoSessions(now);
    expect((await server.api(`/v1/users/${now}`, { method: 'DELETE' })).status).toBe(200);
    await expect(sessions().get(a)).rejects.toMatchObject({ code: 'session_not_found' });
    expect(revoked).toEqual([[now, 'delete']]);

    const later = await newUser();
    const ids = await twoSessions(later);
    expect((await server.api(`/compat/authress/v1/users/${later}`, { method: 'DELETE' })).status).toBe(202);
    // Revoked as soon as the deletion is requested, before the worker removes the user.
    await expectRevoked(later, ids, 'delete');
    expect(await clerkCode(clerk.sessions.createSession({ userId: later }))).toEqual({ status: 404, code: 'resource_not_found' });
    await server.app.deletions.drain();
    expect((await clerk.sessions.getSessionList({ userId: later })).totalCount).toBe(0);
  });

  it('revokes sessions when a password reset completes', async () => {
    const userId = await newUser();
    const email = `user${n}@example.com`;
    const ids = await twoSessions(userId);
    const before = smtp.messages.length;
    await server.app.services.passwordReset.request(email, '10.1.2.3');
    await server.app.services.passwordReset.settle();
    await server.app.delivery.drain();
    await smtp.waitFor(before + 1);
    const code = /\b(\d{6})\b/.exec(smtp.messages[smtp.messages.length - 1].text)?.[1] ?? '';
    const { ticket } = await server.app.services.passwordReset.redeemCode(email, code);
    expect((await sessions().get(ids[0])).status).toBe('active');
    await server.app.services.passwordReset.complete(ticket, 'the replacement passphrase');
    await expectRevoked(userId, ids, 'password_reset');
  });

  it('verifies a session token only for its own active session', async () => {
    const userId = await newUser();
    const { session } = await sessions().create({ userId });
    const other = (await sessions().create({ userId })).session;
    const tokenRes = await server.api(`/v1/sessions/${session.id}/tokens`, { method: 'POST', json: {} });
    expect(tokenRes.status).toBe(200);
    const { jwt } = (await tokenRes.json()) as { jwt: string };
    const ok = await specCall(server, 'POST', '/sessions/{session_id}/verify', `/sessions/${session.id}/verify`, { token: jwt });
    expect(ok.status).toBe(200);
    expect(ok.body.id).toBe(session.id);
    expect((await clerk.sessions.verifySession(session.id, jwt)).status).toBe('active');
    const wrong = await specCall(server, 'POST', '/sessions/{session_id}/verify', `/sessions/${other.id}/verify`, { token: jwt });
    expect(wrong.status).toBeGreaterThanOrEqual(400);
    expect(wrong.status).toBeLessThan(500);
    const forged = await specCall(server, 'POST', '/sessions/{session_id}/verify', `/sessions/${session.id}/verify`, { token: `${jwt.slice(0, -4)}AAAA` });
    expect([400, 401]).toContain(forged.status);
    // Revoked: refused at once, though the token itself has not expired.
    await sessions().revoke(session.id);
    const refused = await specCall(server, 'POST', '/sessions/{session_id}/verify', `/sessions/${session.id}/verify`, { token: jwt });
    expect(refused.status).toBe(400);
    expect(refused.body.errors[0].code).toBe('session_not_active');
  });
});
