import { describe, expect, it } from 'vitest';
import { manualClock } from '../src/core/clock.ts';
import { BACKENDS } from './helpers/backends.ts';
import { mailingPagesServer } from './helpers/mailing-pages.ts';
import { codeIn, csrfOf, type PageClient, pageClient } from './helpers/page-client.ts';

describe.each(BACKENDS)('hosted sign-up (%s)', (backend) => {
  const clock = manualClock(new Date('2026-06-01T09:00:00Z'));
  const env = mailingPagesServer(backend, clock);
  const { deliver, signedInUserId } = env;
  let ip = 1;

  const mailsTo = (to: string) => env.smtp.messages.filter((m) => m.rcptTo.some((r) => r.toLowerCase() === to.toLowerCase()));
  async function lastCode(to: string): Promise<string> {
    const mails = await deliver(to);
    expect(mails.length).toBeGreaterThan(0);
    const code = codeIn(mails.at(-1)?.text ?? '');
    expect(code).toMatch(/^\d{6}$/);
    return code;
  }
  /** A fresh browser from its own address, so per-IP limits only bite where a test means them to. */
  const client = (): PageClient => pageClient(env.server.url, { 'x-forwarded-for': `10.1.${Math.floor(ip / 250)}.${ip++ % 250}` });
  async function start(c: PageClient, email: string, password: string, query = '') {
    const form = await c.get(`/sign-up${query}`);
    return c.post('/sign-up', { csrf: csrfOf(form.html), email_address: email, password, redirect_url: new URLSearchParams(query.slice(1)).get('redirect_url') ?? '' });
  }
  async function userByEmail(email: string) {
    const res = await env.server.api(`/v1/users?email_address=${encodeURIComponent(email)}`);
    return ((await res.json()) as Array<{ id: string; email_addresses: Array<{ email_address: string; verification: { status: string; strategy: string } }> }>)[0];
  }

  it('signs up with an emailed code, creates the user with the address verified and signs the browser in', async () => {
    const c = client();
    const form = await c.get('/sign-up?redirect_url=/welcome');
    expect(form.status).toBe(200);
    expect(form.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(form.html).toContain('name="email_address"');
    const started = await c.post('/sign-up', { csrf: csrfOf(form.html), email_address: 'New.Person@example.com', password: 'a fine long passphrase', redirect_url: '/welcome' });
    expect(started.status).toBe(303);
    expect(started.location).toBe('/sign-up/verify?redirect_url=%2Fwelcome');
    expect(c.cookie('__latchkey_sign_up')).toBeTruthy();
    const verify = await c.follow(started);
    expect(verify.status).toBe(200);
    expect(verify.html).toContain('New.Person@example.com');

    const code = await lastCode('new.person@example.com');
    const mail = mailsTo('new.person@example.com').at(-1);
    expect(mail?.subject).toMatch(/verification code/i);
    // No user exists until the code is in.
    expect(await userByEmail('new.person@example.com')).toBeUndefined();
    const done = await c.post('/sign-up/verify', { csrf: csrfOf(verify.html), code, redirect_url: '/welcome' });
    expect(done.status).toBe(303);
    expect(done.location).toBe('/welcome');
    expect(c.cookie('__latchkey_sign_up')).toBeUndefined();

    const user = await userByEmail('new.person@example.com');
    expect(user.email_addresses.map((e) => [e.email_address, e.verification.status, e.verification.strategy])).toEqual([['New.Person@example.com', 'verified', 'email_code']]);
    expect((await env.server.api(`/v1/users/${user.id}/verify_password`, { method: 'POST', json: { password: 'a fine long passphrase' } })).status).toBe(200);
    expect(await signedInUserId(c)).toBe(user.id);

    // The sign-up row is complete, readable through the admin API, and its password digest is not the password.
    const row = await env.server.app.database.db.selectFrom('sign_ups').selectAll().where('email_address', '=', 'New.Person@example.com').executeTakeFirstOrThrow();
    expect(row.password_digest).toMatch(/^\$argon2id\$/);
    const signUp = (await (await env.server.api(`/v1/sign_ups/${row.id}`)).json()) as { status: string; created_user_id: string; verifications: unknown };
    expect([signUp.status, signUp.created_user_id]).toEqual(['complete', user.id]);
    // The code is stored hashed and works once.
    const codes = await env.server.app.database.db.selectFrom('sign_up_codes').select(['code_hash', 'consumed_at']).where('sign_up_id', '=', row.id).execute();
    expect(codes.map((r) => r.code_hash).join()).not.toContain(code);
    expect(codes.every((r) => r.consumed_at !== null)).toBe(true);
    const again = await c.post('/sign-up/verify', { csrf: csrfOf(verify.html), code });
    expect(again.status).toBe(400);
  });

  it('ignores a redirect_url that is not allowed and lands on /account', async () => {
    const c = client();
    const started = await start(c, 'redirected@example.com', 'another fine passphrase', `?redirect_url=${encodeURIComponent('https://evil.example/steal')}`);
    expect(started.status).toBe(303);
    const verify = await c.follow(started);
    const done = await c.post('/sign-up/verify', { csrf: csrfOf(verify.html), code: await lastCode('redirected@example.com'), redirect_url: 'https://evil.example/steal' });
    expect([done.status, done.location]).toEqual([303, '/account']);
  });

  it('counts wrong codes: five attempts per code, then a new code is needed; a resend voids the old code', async () => {
    const c = client();
    const verify = await c.follow(await start(c, 'fumbles@example.com', 'fumbling passphrase 7'));
    const code = await lastCode('fumbles@example.com');
    const wrong = code === '000000' ? '111111' : '000000';
    for (let i = 0; i < 5; i++) {
      const r = await c.post('/sign-up/verify', { csrf: csrfOf(verify.html), code: wrong });
      expect(r.status).toBe(400);
      expect(r.html).toContain('That code is not correct');
    }
    const locked = await c.post('/sign-up/verify', { csrf: csrfOf(verify.html), code });
    expect(locked.status).toBe(400);
    expect(locked.html).toContain('Too many wrong codes');
    expect(await userByEmail('fumbles@example.com')).toBeUndefined();

    // A resend right away is refused with Retry-After; after 30 s it mails a fresh code.
    clock.advance(1000);
    const early = await c.post('/sign-up/resend', { csrf: csrfOf(verify.html) });
    expect(early.status).toBe(429);
    expect(Number(early.headers.get('retry-after'))).toBeGreaterThan(0);
    clock.advance(30_000);
    const resent = await c.post('/sign-up/resend', { csrf: csrfOf(verify.html) });
    expect(resent.status).toBe(200);
    expect(resent.html).toContain('A new code is on its way');
    const fresh = await lastCode('fumbles@example.com');
    expect(mailsTo('fumbles@example.com')).toHaveLength(2);
    if (fresh !== code) expect((await c.post('/sign-up/verify', { csrf: csrfOf(verify.html), code })).status).toBe(400);
    const done = await c.post('/sign-up/verify', { csrf: csrfOf(verify.html), code: fresh });
    expect(done.status).toBe(303);
    expect((await userByEmail('fumbles@example.com'))?.email_addresses.map((e) => [e.email_address, e.verification.status])).toEqual([['fumbles@example.com', 'verified']]);
  });

  it('creates exactly one user when the same code is verified twice at once', async () => {
    const c = client();
    await c.follow(await start(c, 'twice@example.com', 'double click passphrase'));
    const code = await lastCode('twice@example.com');
    const token = c.cookie('__latchkey_sign_up') as string;
    const flow = env.server.app.services.signUpFlow;
    const results = await Promise.allSettled([flow.verify(token, code), flow.verify(token, code)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const users = (await (await env.server.api('/v1/users?email_address=twice@example.com')).json()) as unknown[];
    expect(users).toHaveLength(1);
  });

  it('expires a code after 10 minutes (injected clock)', async () => {
    const c = client();
    const verify = await c.follow(await start(c, 'slowpoke@example.com', 'slow but long passphrase'));
    const code = await lastCode('slowpoke@example.com');
    clock.advance(10 * 60_000 + 1000);
    const late = await c.post('/sign-up/verify', { csrf: csrfOf(verify.html), code });
    expect(late.status).toBe(400);
    expect(late.html).toContain('This code has expired');
    expect(await userByEmail('slowpoke@example.com')).toBeUndefined();
  });

  it('refuses a breached or short password with a clear message, keeping the address', async () => {
    const c = client();
    const breached = await start(c, 'careless@example.com', 'password123');
    expect(breached.status).toBe(422);
    expect(breached.html).toContain('appeared in a data breach');
    expect(breached.html).toContain('value="careless@example.com"');
    expect(breached.html).not.toContain('password123');
    const short = await c.post('/sign-up', { csrf: csrfOf(breached.html), email_address: 'careless@example.com', password: 'short' });
    expect(short.status).toBe(422);
    expect(short.html).toContain('at least 8 characters');
    const badEmail = await c.post('/sign-up', { csrf: csrfOf(breached.html), email_address: 'not-an-email', password: 'a fine long passphrase' });
    expect(badEmail.status).toBe(400);
    expect(badEmail.html).toContain('valid email address');
    await deliver('careless@example.com');
    expect(mailsTo('careless@example.com')).toEqual([]);
  });

  it('refuses a form without its CSRF token', async () => {
    const c = client();
    await c.get('/sign-up');
    const r = await c.post('/sign-up', { csrf: 'forged', email_address: 'csrf@example.com', password: 'a fine long passphrase' });
    expect(r.status).toBe(403);
    expect(c.cookie('__latchkey_sign_up')).toBeUndefined();
  });

  it('does not reveal that an address has an account: same answer, and the owner gets a reset email instead of a code', async () => {
    const created = await env.server.api('/v1/users', { method: 'POST', json: { email_address: ['taken@example.com'], password: 'the owner passphrase' } });
    expect(created.status).toBe(200);
    const a = client();
    const b = client();
    const ra = await start(a, 'taken@example.com', 'an attacker passphrase');
    const rb = await start(b, 'untaken@example.com', 'an attacker passphrase');
    expect([ra.status, ra.location]).toEqual([rb.status, rb.location]);
    const headers = (r: { headers: Headers }) => [...r.headers.entries()].filter(([k]) => !['date', 'set-cookie'].includes(k)).map(([k, v]) => (k === 'content-length' ? [k, 'n'] : [k, v]));
    expect(headers(ra)).toEqual(headers(rb));
    const va = await a.follow(ra);
    const vb = await b.follow(rb);
    const strip = (html: string) => html.replace(/name="csrf" value="[^"]+"/g, '').replace(/(un)?taken@example\.com/g, 'X');
    expect(strip(va.html)).toBe(strip(vb.html));

    const ownerMail = await deliver('taken@example.com');
    expect(ownerMail).toHaveLength(1);
    expect(ownerMail[0].subject).toMatch(/password reset/i);
    // Whatever code the owner's email holds, it does not complete this sign-up.
    const guess = await a.post('/sign-up/verify', { csrf: csrfOf(va.html), code: codeIn(ownerMail[0].text) });
    expect(guess.status).toBe(400);
    const users = (await (await env.server.api('/v1/users?email_address=taken@example.com')).json()) as unknown[];
    expect(users).toHaveLength(1);
  });

  it('applies the instance restrictions: blocklist and allowlist', async () => {
    expect((await env.server.api('/v1/instance/restrictions', { method: 'PATCH', json: { blocklist: true } })).status).toBe(200);
    expect((await env.server.api('/v1/blocklist_identifiers', { method: 'POST', json: { identifier: '*@blocked.example' } })).status).toBe(200);
    const c = client();
    const blocked = await start(c, 'someone@blocked.example', 'a fine long passphrase');
    expect(blocked.status).toBe(403);
    expect(blocked.html).toContain('cannot be used to sign up');

    await env.server.api('/v1/instance/restrictions', { method: 'PATCH', json: { blocklist: false, allowlist: true } });
    await env.server.api('/v1/allowlist_identifiers', { method: 'POST', json: { identifier: '*@allowed.example', notify: false } });
    expect((await start(c, 'outsider@example.com', 'a fine long passphrase')).status).toBe(403);
    const allowed = await start(c, 'insider@allowed.example', 'a fine long passphrase');
    expect(allowed.status).toBe(303);
    await env.server.api('/v1/instance/restrictions', { method: 'PATCH', json: { allowlist: false } });
    await deliver('insider@allowed.example');
    expect(mailsTo('someone@blocked.example')).toEqual([]);
  });

  it('rate-limits starts per address with 429 and Retry-After', async () => {
    clock.advance(2 * 60 * 60_000);
    const statuses: number[] = [];
    let last: Headers | undefined;
    for (let i = 0; i < 6; i++) {
      const r = await start(client(), 'popular@example.com', 'a fine long passphrase');
      statuses.push(r.status);
      last = r.headers;
    }
    expect(statuses).toEqual([303, 303, 303, 303, 303, 429]);
    expect(Number(last?.get('retry-after'))).toBeGreaterThan(0);
  });

  it('sends a stale or missing sign-up back to the start', async () => {
    const c = client();
    const r = await c.get('/sign-up/verify');
    expect(r.status).toBe(400);
    expect(r.html).toContain('href="/sign-up"');
  });
});
