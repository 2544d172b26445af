import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../src/core/clock.ts';
import { BACKENDS, startServer, type TestServer } from './helpers/backends.ts';
import { startSmtpReceiver, type SmtpReceiver } from './helpers/smtp-receiver.ts';

/** A browser-ish client: keeps cookies, reads the CSRF field, posts forms. */
function browser(base: string) {
  let cookies = '';
  return {
    async get(path: string) {
      const res = await fetch(base + path, { headers: { cookie: cookies }, redirect: 'manual' });
      const set = res.headers.get('set-cookie');
      if (set) cookies = set.split(';')[0];
      return { res, html: await res.text() };
    },
    async post(path: string, fields: Record<string, string>) {
      const res = await fetch(base + path, {
        method: 'POST',
        headers: { cookie: cookies, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(fields).toString(),
        redirect: 'manual',
      });
      return { res, html: await res.text() };
    },
  };
}
const csrfOf = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
const ticketOf = (html: string) => /name="ticket" value="([^"]+)"/.exec(html)?.[1] ?? '';
const codeOf = (text: string) => /\b(\d{6})\b/.exec(text)?.[1] ?? '';

describe.each(BACKENDS)('password reset (%s)', (backend) => {
  let server: TestServer;
  let smtp: SmtpReceiver;
  const clock = manualClock(new Date('2026-06-01T09:00:00Z'));
  let userId: string;

  beforeAll(async () => {
    smtp = await startSmtpReceiver();
    server = await startServer(backend, { SMTP_URL: smtp.url, EMAIL_FROM: 'Latchkey <no-reply@example.com>', LATCHKEY_LOCKOUT_THRESHOLD: '3' }, { clock });
    const res = await server.api('/v1/users', { method: 'POST', json: { email_address: ['reset.me@example.com'], password: 'the original secret' } });
    userId = ((await res.json()) as { id: string }).id;
  });
  afterAll(async () => {
    await server?.close();
    await smtp?.close();
  });

  async function requestAndReadCode(identifier: string): Promise<string> {
    // Past the per-identifier rate limit's window (3 per 15 minutes), which these tests would hit.
    clock.advance(16 * 60_000);
    const before = smtp.messages.length;
    await server.app.services.passwordReset.request(identifier, `10.0.0.${Math.floor(Math.random() * 200)}`);
    await server.app.services.passwordReset.settle();
    await server.app.delivery.drain();
    await smtp.waitFor(before + 1);
    const mail = smtp.messages[smtp.messages.length - 1];
    expect(mail.rcptTo).toEqual(['reset.me@example.com']);
    return codeOf(mail.text);
  }

  it('answers the same for known and unknown accounts: status, body and headers', async () => {
    const known = browser(server.url);
    const unknown = browser(server.url);
    const a = await known.get('/forgot-password');
    const b = await unknown.get('/forgot-password');
    expect(a.res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    const ra = await known.post('/forgot-password', { csrf: csrfOf(a.html), identifier: 'reset.me@example.com' });
    const rb = await unknown.post('/forgot-password', { csrf: csrfOf(b.html), identifier: 'nobody.here@example.com' });
    expect(ra.res.status).toBe(200);
    expect(rb.res.status).toBe(ra.res.status);
    const strip = (html: string) => html.replace(/name="csrf" value="[^"]+"/, '').replace(/value="[^"]*@example.com"/, '');
    expect(strip(rb.html)).toBe(strip(ra.html));
    const headers = (r: Response) => [...r.headers.entries()].filter(([k]) => k !== 'date').map(([k, v]) => (k === 'content-length' ? [k, 'n'] : [k, v]));
    expect(headers(rb.res)).toEqual(headers(ra.res));
    await server.app.services.passwordReset.settle();
    await server.app.delivery.drain();
    await smtp.waitFor(1);
    expect(smtp.messages.filter((m) => m.rcptTo.includes('nobody.here@example.com'))).toEqual([]);
  });

  it('refuses a form without its CSRF token', async () => {
    const c = browser(server.url);
    await c.get('/forgot-password');
    const r = await c.post('/forgot-password', { csrf: 'forged', identifier: 'reset.me@example.com' });
    expect(r.res.status).toBe(403);
  });

  it('resets through the pages with the emailed code, and sends a password-changed notice', async () => {
    const code = await requestAndReadCode('reset.me@example.com');
    const c = browser(server.url);
    const start = await c.get('/reset-password');
    const step = await c.post('/reset-password/code', { csrf: csrfOf(start.html), identifier: 'Reset.Me@example.com', code });
    expect(step.res.status).toBe(200);
    const ticket = ticketOf(step.html);
    expect(ticket.length).toBeGreaterThan(40);
    const weak = await c.post('/reset-password', { csrf: csrfOf(step.html), ticket, password: 'short' });
    expect(weak.res.status).toBe(422);
    const done = await c.post('/reset-password', { csrf: csrfOf(step.html), ticket, password: 'a brand new secret' });
    expect(done.res.status).toBe(200);
    expect((await server.api(`/v1/users/${userId}/verify_password`, { method: 'POST', json: { password: 'a brand new secret' } })).status).toBe(200);
    // The ticket and the code are single use.
    expect((await c.post('/reset-password', { csrf: csrfOf(step.html), ticket, password: 'another new secret' })).res.status).toBe(400);
    await expect(server.app.services.passwordReset.redeemCode('reset.me@example.com', code)).rejects.toMatchObject({ code: 'verification_missing' });
    await server.app.delivery.drain();
    await expect
      .poll(() => smtp.messages.some((m) => m.rcptTo.includes('reset.me@example.com') && /changed/i.test(m.subject) && !codeOf(m.text)), { timeout: 10_000 })
      .toBe(true);
  });

  it('lets exactly one of two simultaneous redemptions win', async () => {
    const code = await requestAndReadCode('reset.me@example.com');
    const reset = server.app.services.passwordReset;
    const results = await Promise.allSettled([reset.redeemCode('reset.me@example.com', code), reset.redeemCode('reset.me@example.com', code)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });

  it('expires codes after 10 minutes, voids older codes, and caps attempts at 5', async () => {
    const reset = server.app.services.passwordReset;
    const first = await requestAndReadCode('reset.me@example.com');
    const second = await requestAndReadCode('reset.me@example.com');
    if (first !== second) await expect(reset.redeemCode('reset.me@example.com', first)).rejects.toMatchObject({ code: 'verification_code_incorrect' });
    clock.advance(10 * 60_000 + 1000);
    await expect(reset.redeemCode('reset.me@example.com', second)).rejects.toMatchObject({ code: 'verification_expired' });
    clock.advance(60 * 60_000);
    const third = await requestAndReadCode('reset.me@example.com');
    const wrong = third === '000000' ? '111111' : '000000';
    for (let i = 0; i < 5; i++) await expect(reset.redeemCode('reset.me@example.com', wrong)).rejects.toMatchObject({ code: 'verification_code_incorrect' });
    await expect(reset.redeemCode('reset.me@example.com', third)).rejects.toMatchObject({ code: 'verification_failed' });
    const rows = await server.app.database.db.selectFrom('verifications').select(['code_hash', 'token_hash']).where('user_id', '=', userId).execute();
    expect(rows.every((r) => r.code_hash !== third && r.code_hash !== first)).toBe(true);
  });

  it('lets a locked user reset, which unlocks them', async () => {
    clock.advance(60 * 60_000);
    for (let i = 0; i < 3; i++) await server.api(`/v1/users/${userId}/verify_password`, { method: 'POST', json: { password: 'wrong password!!' } });
    expect((await server.api(`/v1/users/${userId}/verify_password`, { method: 'POST', json: { password: 'a brand new secret' } })).status).toBe(403);
    const code = await requestAndReadCode('reset.me@example.com');
    const { ticket } = await server.app.services.passwordReset.redeemCode('reset.me@example.com', code);
    await server.app.services.passwordReset.complete(ticket, 'unlocked and renewed');
    expect((await server.api(`/v1/users/${userId}/verify_password`, { method: 'POST', json: { password: 'unlocked and renewed' } })).status).toBe(200);
  });

  it('rate-limits requests per identifier with 429 and Retry-After', async () => {
    clock.advance(60 * 60_000);
    const c = browser(server.url);
    const first = await c.get('/forgot-password');
    let last: { res: Response; html: string } | undefined;
    for (let i = 0; i < 4; i++) last = await c.post('/forgot-password', { csrf: csrfOf(first.html), identifier: 'limited@example.com' });
    expect(last!.res.status).toBe(429);
    expect(Number(last!.res.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('sets an admin temporary password that must be changed, and changes need the current password', async () => {
    const created = (await (await server.api('/v1/users', { method: 'POST', json: { email_address: ['temp.pass@example.com'], password: 'first chosen secret' } })).json()) as { id: string };
    const weak = await server.api(`/v1/users/${created.id}/password/temporary`, { method: 'POST', json: { password: 'short' } });
    expect(weak.status).toBe(422);
    const set = await server.api(`/v1/users/${created.id}/password/temporary`, { method: 'POST', json: { password: 'handed out by an admin' } });
    expect(set.status).toBe(200);
    const flag = async () =>
      (await server.app.database.db.selectFrom('users').select('password_must_change').where('id', '=', created.id).executeTakeFirstOrThrow()).password_must_change;
    expect(await flag()).toBe(true);
    expect((await server.api(`/v1/users/${created.id}/verify_password`, { method: 'POST', json: { password: 'handed out by an admin' } })).status).toBe(200);
    const reset = server.app.services.passwordReset;
    await expect(reset.change(created.id, 'not the current one', 'my very own secret')).rejects.toMatchObject({ code: 'password_incorrect' });
    await expect(reset.change(created.id, 'handed out by an admin', 'password123')).rejects.toMatchObject({ code: 'password_pwned' });
    await reset.change(created.id, 'handed out by an admin', 'my very own secret');
    expect(await flag()).toBe(false);
    expect((await server.api(`/v1/users/${created.id}/verify_password`, { method: 'POST', json: { password: 'my very own secret' } })).status).toBe(200);
  });
});
