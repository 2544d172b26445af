import { Secret, TOTP } from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../src/core/clock.ts';
import { signInLookup } from '../src/core/sign-in/find-account.ts';
import { BACKENDS, startServer, type TestServer } from './helpers/backends.ts';
import { codeIn, csrfOf, inputValue, pageClient } from './helpers/page-client.ts';
import { type SmtpReceiver, startSmtpReceiver } from './helpers/smtp-receiver.ts';

const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
const PASSWORD = 'a sturdy passphrase';

describe.each(BACKENDS)('hosted sign-in pages (%s)', (backend) => {
  let server: TestServer;
  let smtp: SmtpReceiver;
  const clock = manualClock(new Date('2026-07-01T10:00:10Z'));
  let ipSeq = 0;
  // Each test signs in from its own address, so the per-IP limit of one test does not leak into another.
  const client = () => pageClient(server.url, { 'x-forwarded-for': `10.1.${backend === 'postgres' ? 2 : 1}.${++ipSeq}` });
  const totpNow = () => TOTP.generate({ secret: Secret.fromBase32(SECRET), timestamp: clock.now().getTime(), period: 30 });

  async function createUser(email: string, extra: Record<string, unknown> = {}): Promise<string> {
    const res = await server.api('/v1/users', { method: 'POST', json: { email_address: [email], password: PASSWORD, ...extra } });
    expect(res.status).toBe(200);
    return ((await res.json()) as { id: string }).id;
  }

  async function signIn(c: ReturnType<typeof pageClient>, identifier: string, password: string, redirectUrl = '') {
    const form = await c.get(`/sign-in${redirectUrl ? `?redirect_url=${encodeURIComponent(redirectUrl)}` : ''}`);
    expect(form.status).toBe(200);
    return c.post('/sign-in', { csrf: csrfOf(form.html), identifier, password, redirect_url: inputValue(form.html, 'redirect_url') });
  }

  async function sessionsOf(userId: string) {
    const res = await server.api(`/v1/sessions?user_id=${userId}`);
    expect(res.status).toBe(200);
    return (await res.json()) as Array<{ id: string; status: string; user_id: string; actor: unknown }>;
  }

  beforeAll(async () => {
    smtp = await startSmtpReceiver();
    server = await startServer(
      backend,
      { SMTP_URL: smtp.url, EMAIL_FROM: 'Latchkey <no-reply@example.com>', TRUST_PROXY: 'true', LATCHKEY_LOCKOUT_THRESHOLD: '3' },
      { clock, signInLimits: { perIp: 6, perIdentifier: 5 } },
    );
  });
  afterAll(async () => {
    await server?.close();
    await smtp?.close();
  });

  it('signs in with a password: cookie, redirect, /account, and the session in GET /v1/sessions', async () => {
    const userId = await createUser('ada@example.com', { first_name: 'Ada', last_name: 'Lovelace' });
    const c = client();
    const form = await c.get('/sign-in?redirect_url=%2Fdashboard%3Ftab%3D1');
    expect(form.html).toContain('autocomplete="username"');
    expect(form.html).toContain('autocomplete="current-password"');
    expect(form.html).toMatch(/<label for="f-identifier">/);
    expect(form.headers.get('x-frame-options')).toBe('DENY');
    expect(form.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    const done = await c.post('/sign-in', { csrf: csrfOf(form.html), identifier: 'ADA@example.com', password: PASSWORD, redirect_url: inputValue(form.html, 'redirect_url') });
    expect(done.status).toBe(303);
    expect(done.location).toBe('/dashboard?tab=1');
    const cookie = done.headers.getSetCookie().find((l) => l.startsWith('__latchkey_client='));
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).not.toMatch(/Secure/i); // plain http here
    const account = await c.get('/account');
    expect(account.status).toBe(200);
    expect(account.html).toContain('Ada Lovelace');
    expect(account.html).toContain('ada@example.com');
    expect(account.html).toContain(userId);
    const listed = await sessionsOf(userId);
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ user_id: userId, status: 'active', actor: null });
  });

  it('signs in by username and by phone number', async () => {
    await createUser('grace@example.com', { username: 'grace_h', phone_number: ['+14155552671'] });
    expect((await signIn(client(), 'Grace_H', PASSWORD)).location).toBe('/account');
    expect((await signIn(client(), '+1 (415) 555-2671', PASSWORD)).location).toBe('/account');
  });

  it('answers an unknown identifier exactly as a wrong password, a banned user too', async () => {
    const bannedId = await createUser('banned@example.com');
    await createUser('known@example.com');
    expect((await server.api(`/v1/users/${bannedId}/ban`, { method: 'POST' })).status).toBe(200);
    const wrong = await signIn(client(), 'known@example.com', 'not the password');
    const unknown = await signIn(client(), 'nobody@example.com', 'not the password');
    const banned = await signIn(client(), 'banned@example.com', PASSWORD);
    const strip = (html: string) => html.replace(/name="csrf" value="[^"]+"/, '').replace(/value="[^"]*@example.com"/, '');
    const headers = (h: Headers) => [...h.entries()].filter(([k]) => k !== 'date' && k !== 'set-cookie').map(([k, v]) => (k === 'content-length' ? [k, 'n'] : [k, v]));
    expect(wrong.status).toBe(401);
    expect(wrong.html).toContain('role="alert"');
    for (const other of [unknown, banned]) {
      expect(other.status).toBe(wrong.status);
      expect(strip(other.html)).toBe(strip(wrong.html));
      expect(headers(other.headers)).toEqual(headers(wrong.headers));
      expect(other.headers.getSetCookie().some((l) => l.startsWith('__latchkey_client='))).toBe(false);
    }
  });

  it('locks known and unknown identifiers alike after the threshold (429, Retry-After)', async () => {
    await createUser('locky@example.com');
    const answers = async (identifier: string) => {
      const c = client();
      const out: number[] = [];
      for (let i = 0; i < 4; i++) out.push((await signIn(c, identifier, 'wrong guess')).status);
      const last = await signIn(client(), identifier, PASSWORD);
      return { out, last };
    };
    const known = await answers('locky@example.com');
    const ghost = await answers('ghost@example.com');
    expect(known.out).toEqual([401, 401, 401, 429]);
    expect(ghost.out).toEqual(known.out);
    // Even the right password is refused while locked, with the time left.
    expect(known.last.status).toBe(429);
    expect(Number(known.last.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(known.last.html).toContain('locked');
    const norm = (html: string) => html.replace(/name="csrf" value="[^"]+"/, '').replace(/value="[^"]*@example.com"/, '').replace(/\d+ minutes/, 'N minutes');
    expect(ghost.last.status).toBe(429);
    expect(norm(ghost.last.html)).toBe(norm(known.last.html));
  });

  // The right password's reset rides on the statement that opens the session (threshold 3 here).
  it('a sign-in with the right password clears the failure count: two more wrong ones do not lock', async () => {
    const userId = await createUser('counted@example.com', { username: 'counted_user' });
    const c = client();
    const wrong = async () => (await signIn(c, 'counted@example.com', 'wrong guess')).status;
    expect([await wrong(), await wrong()]).toEqual([401, 401]);
    expect((await signIn(c, 'counted_user', PASSWORD)).status).toBe(303);
    expect([await wrong(), await wrong()]).toEqual([401, 401]);
    const again = await signIn(client(), 'counted_user', PASSWORD);
    expect(again.status).toBe(303);
    expect((await sessionsOf(userId)).filter((s) => s.status === 'active')).toHaveLength(2);
  });

  it('rate-limits per client address and per identifier with 429 and Retry-After', async () => {
    const c = client();
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await signIn(c, `user${i}@example.com`, 'whatever')).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 401, 429]);
    const limited = await signIn(c, 'user0@example.com', 'whatever');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.html).toContain('Too many attempts');
    // Per identifier, from fresh addresses: past 5 tries in the window (the ghost lock answers 429 from the 4th).
    const perId: number[] = [];
    for (let i = 0; i < 6; i++) perId.push((await signIn(client(), 'target@example.com', 'whatever')).status);
    expect(perId.slice(0, 3)).toEqual([401, 401, 401]);
    const sixth = await signIn(client(), 'target@example.com', 'whatever');
    expect(sixth.status).toBe(429);
    expect(sixth.html).toContain('Too many attempts');
  });

  it('refuses a form without its CSRF token (403) and signs nobody in', async () => {
    await createUser('csrf@example.com');
    const c = client();
    await c.get('/sign-in');
    const forged = await c.post('/sign-in', { csrf: 'forged', identifier: 'csrf@example.com', password: PASSWORD });
    expect(forged.status).toBe(403);
    const missing = await c.post('/sign-in', { identifier: 'csrf@example.com', password: PASSWORD });
    expect(missing.status).toBe(403);
    expect(c.cookie('__latchkey_client')).toBeUndefined();
  });

  it('ignores open redirects and keeps allowed ones', async () => {
    await createUser('redirect@example.com');
    for (const evil of ['https://evil.example/steal', '//evil.example/x', '/\\evil.example', 'javascript:alert(1)', `${server.url.replace('127.0.0.1', 'localhost')}.evil/x`]) {
      expect((await signIn(client(), 'redirect@example.com', PASSWORD, evil)).location).toBe('/account');
    }
    clock.advance(16 * 60_000); // past the per-identifier window (5 tries)
    expect((await signIn(client(), 'redirect@example.com', PASSWORD, `${server.url}/welcome`)).location).toBe(`${server.url}/welcome`);
    expect((await server.api('/v1/redirect_urls', { method: 'POST', json: { url: 'https://app.example.com/after' } })).status).toBe(200);
    expect((await signIn(client(), 'redirect@example.com', PASSWORD, 'https://app.example.com/after/x?y=1')).location).toBe('https://app.example.com/after/x?y=1');
    expect((await signIn(client(), 'redirect@example.com', PASSWORD, '/caf\u00e9 \u65e5')).location).toBe('/caf%C3%A9%20%E6%97%A5');
  });

  it('asks for a TOTP code as a second factor; the pending state is single use', async () => {
    const userId = await createUser('totp@example.com', { totp_secret: SECRET });
    clock.advance(30_000);
    const c = client();
    const first = await signIn(c, 'totp@example.com', PASSWORD, '/after-mfa');
    expect(first.status).toBe(303);
    expect(first.location).toBe('/sign-in/factor-two');
    expect(c.cookie('__latchkey_client')).toBeUndefined();
    const pendingCookie = first.headers.getSetCookie().find((l) => l.startsWith('__latchkey_sign_in='));
    expect(pendingCookie).toMatch(/HttpOnly/i);
    const step = await c.get('/sign-in/factor-two');
    expect(step.status).toBe(200);
    expect(inputValue(step.html, 'strategy')).toBe('totp');
    expect(step.html).toContain('autocomplete="one-time-code"');
    const bad = await c.post('/sign-in/factor-two', { csrf: csrfOf(step.html), strategy: 'totp', code: '000000' === totpNow() ? '111111' : '000000' });
    expect(bad.status).toBe(400);
    expect(bad.html).toContain('role="alert"');
    const noCsrf = await c.post('/sign-in/factor-two', { strategy: 'totp', code: totpNow() });
    expect(noCsrf.status).toBe(403);
    const saved = c.cookie('__latchkey_sign_in') as string;
    const ok = await c.post('/sign-in/factor-two', { csrf: csrfOf(step.html), strategy: 'totp', code: totpNow() });
    expect(ok.status).toBe(303);
    expect(ok.location).toBe('/after-mfa');
    expect(c.cookie('__latchkey_sign_in')).toBeUndefined();
    expect((await sessionsOf(userId)).filter((s) => s.status === 'active')).toHaveLength(1);
    // Replaying the pending token (a stolen cookie) after success starts over.
    clock.advance(30_000);
    const replay = pageClient(server.url, { 'x-forwarded-for': '10.9.9.9', cookie: `__latchkey_sign_in=${saved}` });
    const again = await replay.get('/sign-in');
    const r = await fetch(`${server.url}/sign-in/factor-two`, {
      method: 'POST',
      headers: { cookie: `__latchkey_sign_in=${saved}; lk_csrf=${replay.cookie('lk_csrf')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf: csrfOf(again.html), strategy: 'totp', code: totpNow() }).toString(),
      redirect: 'manual',
    });
    expect(r.status).toBe(400);
    expect(await r.text()).toContain('Please sign in again');
    // A made-up pending token gets the same.
    const forged = pageClient(server.url);
    const f = await forged.get('/sign-in');
    forged.cookies.set('__latchkey_sign_in', 'A'.repeat(43));
    expect((await forged.get('/sign-in/factor-two')).status).toBe(400);
    expect((await forged.post('/sign-in/factor-two', { csrf: csrfOf(f.html), strategy: 'totp', code: totpNow() })).status).toBe(400);
  });

  it('accepts a backup code once', async () => {
    const userId = await createUser('backup@example.com', { backup_codes: ['alpha-bravo-1', 'charlie-delta-2'] });
    const c = client();
    expect((await signIn(c, 'backup@example.com', PASSWORD)).location).toBe('/sign-in/factor-two');
    const step = await c.get('/sign-in/factor-two');
    expect(inputValue(step.html, 'strategy')).toBe('backup_code');
    const ok = await c.post('/sign-in/factor-two', { csrf: csrfOf(step.html), strategy: 'backup_code', code: 'alpha-bravo-1' });
    expect(ok.status).toBe(303);
    expect(ok.location).toBe('/account');
    const c2 = client();
    await signIn(c2, 'backup@example.com', PASSWORD);
    const step2 = await c2.get('/sign-in/factor-two?strategy=backup_code');
    expect((await c2.post('/sign-in/factor-two', { csrf: csrfOf(step2.html), strategy: 'backup_code', code: 'alpha-bravo-1' })).status).toBe(400);
    expect((await sessionsOf(userId)).filter((s) => s.status === 'active')).toHaveLength(1);
  });

  it('sends an email code through the outbox and accepts it as the second factor', async () => {
    const userId = await createUser('mailcode@example.com', { totp_secret: SECRET });
    const c = client();
    await signIn(c, 'mailcode@example.com', PASSWORD, '/mail-done');
    const step = await c.get('/sign-in/factor-two?strategy=email_code');
    expect(step.status).toBe(200);
    expect(step.html).toContain('m•••@example.com');
    expect(step.html).toContain('action="/sign-in/factor-two/email"');
    const before = smtp.messages.length;
    const sent = await c.post('/sign-in/factor-two/email', { csrf: csrfOf(step.html) });
    expect(sent.status).toBe(200);
    expect(inputValue(sent.html, 'strategy')).toBe('email_code');
    await server.app.delivery.drain();
    await smtp.waitFor(before + 1);
    const mail = smtp.messages[smtp.messages.length - 1];
    expect(mail.rcptTo).toEqual(['mailcode@example.com']);
    const code = codeIn(mail.text);
    expect(code).toMatch(/^\d{6}$/);
    const wrong = await c.post('/sign-in/factor-two', { csrf: csrfOf(sent.html), strategy: 'email_code', code: code === '123456' ? '654321' : '123456' });
    expect(wrong.status).toBe(400);
    const ok = await c.post('/sign-in/factor-two', { csrf: csrfOf(sent.html), strategy: 'email_code', code });
    expect(ok.status).toBe(303);
    expect(ok.location).toBe('/mail-done');
    expect((await sessionsOf(userId)).filter((s) => s.status === 'active')).toHaveLength(1);
  });

  it('signs out: the session ends, the cookie goes, /account sends to sign-in', async () => {
    const userId = await createUser('bye@example.com');
    const c = client();
    await signIn(c, 'bye@example.com', PASSWORD);
    expect(c.cookie('__latchkey_client')).toMatch(/^[A-Za-z0-9_.-]{20,}$/);
    expect((await sessionsOf(userId)).map((s) => s.status)).toEqual(['active']);
    const confirm = await c.get('/sign-out?redirect_url=%2Fgoodbye');
    expect(confirm.status).toBe(200);
    expect((await c.post('/sign-out', { redirect_url: '/goodbye' })).status).toBe(403);
    const out = await c.post('/sign-out', { csrf: csrfOf(confirm.html), redirect_url: inputValue(confirm.html, 'redirect_url') });
    expect(out.status).toBe(303);
    expect(out.location).toBe('/goodbye');
    expect(c.cookie('__latchkey_client')).toBeUndefined();
    expect((await sessionsOf(userId)).map((s) => s.status)).toEqual(['ended']);
    const account = await c.get('/account');
    expect(account.status).toBe(303);
    expect(account.location).toBe('/sign-in?redirect_url=%2Faccount');
    const plain = await c.get('/sign-out');
    expect(plain.html).toContain('You are signed out');
  });
});

// What the sign-in's one-statement path looks up; anything else takes the slower path.
describe('signInLookup', () => {
  it('maps an email to its lookup form, anything without @ to a lower-cased username, and nonsense to null', () => {
    expect(signInLookup('  Ada.L@Example.COM ')).toEqual({ type: 'email_address', normalized: 'ada.l@example.com' });
    expect(signInLookup('Grace_H')).toEqual({ type: 'username', lowered: 'grace_h' });
    expect(signInLookup('+1 (415) 555-2671')).toEqual({ type: 'username', lowered: '+1 (415) 555-2671' });
    expect(signInLookup('not an @ address')).toBeNull();
    expect(signInLookup('   ')).toBeNull();
    expect(signInLookup(`${'a'.repeat(321)}@example.com`)).toBeNull();
  });
});
