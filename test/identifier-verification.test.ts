import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../src/core/clock.ts';
import { BACKENDS, startServer, type TestServer } from './helpers/backends.ts';
import { startSmtpReceiver, type SmtpReceiver } from './helpers/smtp-receiver.ts';

describe.each(BACKENDS)('email verification codes and links (%s)', (backend) => {
  let server: TestServer;
  let smtp: SmtpReceiver;
  const clock = manualClock(new Date('2026-07-01T08:00:00Z'));

  beforeAll(async () => {
    smtp = await startSmtpReceiver();
    server = await startServer(backend, { SMTP_URL: smtp.url, EMAIL_FROM: 'no-reply@example.com' }, { clock });
  });
  afterAll(async () => {
    await server?.close();
    await smtp?.close();
  });

  async function unverifiedEmail(address: string) {
    const user = (await (await server.api('/v1/users', { method: 'POST', json: { email_address: [`owner.${address}`] } })).json()) as { id: string };
    const email = (await (await server.api('/v1/email_addresses', { method: 'POST', json: { user_id: user.id, email_address: address, verified: false } })).json()) as { id: string };
    return email.id;
  }

  async function lastMailTo(address: string, count: number) {
    await server.app.delivery.drain();
    await expect.poll(() => smtp.messages.filter((m) => m.rcptTo.includes(address)).length, { timeout: 10_000 }).toBe(count);
    return smtp.messages.filter((m) => m.rcptTo.includes(address)).at(-1)!;
  }

  it('verifies with the emailed code, and the Clerk verification object follows', async () => {
    const id = await unverifiedEmail('code@example.com');
    const verification = server.app.services.verification;
    const { expiresAt } = await verification.prepare(id, 'email_code');
    const code = /\b(\d{6})\b/.exec((await lastMailTo('code@example.com', 1)).text)![1];
    let shown = (await (await server.api(`/v1/email_addresses/${id}`)).json()) as any;
    expect(shown.verification).toEqual({ status: 'unverified', strategy: 'email_code', attempts: 0, expire_at: expiresAt.getTime() });
    const wrong = code === '000000' ? '111111' : '000000';
    await expect(verification.attempt(id, wrong)).rejects.toMatchObject({ code: 'verification_code_incorrect' });
    shown = (await (await server.api(`/v1/email_addresses/${id}`)).json()) as any;
    expect(shown.verification.attempts).toBe(1);
    const verified = await verification.attempt(id, code);
    expect(verified.verified).toBe(true);
    shown = (await (await server.api(`/v1/email_addresses/${id}`)).json()) as any;
    expect(shown.verification).toMatchObject({ status: 'verified', strategy: 'email_code', attempts: 2 });
    await expect(verification.attempt(id, code)).rejects.toMatchObject({ code: 'verification_missing' });
    const stored = await server.app.database.db.selectFrom('verifications').select('code_hash').where('identifier_id', '=', id).execute();
    expect(stored.map((r) => r.code_hash)).not.toContain(code);
  });

  it('expires after 10 minutes, voids older codes, and fails after 5 attempts', async () => {
    const id = await unverifiedEmail('expiry@example.com');
    const verification = server.app.services.verification;
    await verification.prepare(id, 'email_code');
    const first = /\b(\d{6})\b/.exec((await lastMailTo('expiry@example.com', 1)).text)![1];
    await verification.prepare(id, 'email_code');
    const second = /\b(\d{6})\b/.exec((await lastMailTo('expiry@example.com', 2)).text)![1];
    if (first !== second) await expect(verification.attempt(id, first)).rejects.toMatchObject({ code: 'verification_code_incorrect' });
    clock.advance(10 * 60_000 + 1);
    await expect(verification.attempt(id, second)).rejects.toMatchObject({ code: 'verification_expired' });
    expect(((await (await server.api(`/v1/email_addresses/${id}`)).json()) as any).verification.status).toBe('expired');
    await verification.prepare(id, 'email_code');
    const third = /\b(\d{6})\b/.exec((await lastMailTo('expiry@example.com', 3)).text)![1];
    const wrong = third === '000000' ? '111111' : '000000';
    for (let i = 0; i < 5; i++) await expect(verification.attempt(id, wrong)).rejects.toMatchObject({ code: 'verification_code_incorrect' });
    await expect(verification.attempt(id, third)).rejects.toMatchObject({ code: 'verification_failed' });
    expect(((await (await server.api(`/v1/email_addresses/${id}`)).json()) as any).verification.status).toBe('failed');
  });

  it('verifies through the emailed link page, once', async () => {
    const id = await unverifiedEmail('link@example.com');
    await server.app.services.verification.prepare(id, 'email_link');
    const mail = await lastMailTo('link@example.com', 1);
    const link = /(http:\/\/\S+\/verify-email\?token=[A-Za-z0-9_-]+)/.exec(mail.text)![1];
    const path = new URL(link);
    const first = await fetch(server.url + path.pathname + path.search);
    expect(first.status).toBe(200);
    expect(await first.text()).toContain('link@example.com');
    expect(((await (await server.api(`/v1/email_addresses/${id}`)).json()) as any).verification).toMatchObject({ status: 'verified', strategy: 'email_link' });
    expect((await fetch(server.url + path.pathname + path.search)).status).toBe(400);
  });
});
