import { existsSync } from 'node:fs';
import { Secret, TOTP } from 'otpauth';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../src/core/clock.ts';
import { startServer, type TestServer } from './helpers/backends.ts';
import { codeIn } from './helpers/page-client.ts';
import { type SmtpReceiver, startSmtpReceiver } from './helpers/smtp-receiver.ts';

/**
 * A real headless browser (Debian's chromium, driven by playwright-core: browser downloads do not
 * work here) through the hosted pages: a sign-up with the emailed code, and a sign-in with TOTP.
 * `.ci/run` installs chromium; in CI a missing browser fails this file instead of skipping it.
 */
const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const available = existsSync(CHROMIUM);
const skip = !available && !process.env.CI;
if (skip) console.warn(`test/browser.test.ts skipped: ${CHROMIUM} is missing (apt-get install -y chromium to run it).`);

describe.skipIf(skip)('hosted pages in a headless browser (pglite)', () => {
  let server: TestServer;
  let smtp: SmtpReceiver;
  let browser: Browser;
  // Near real time, so cookie and session lifetimes behave as in production; moved by hand for TOTP steps.
  const clock = manualClock(new Date());

  beforeAll(async () => {
    if (!available) throw new Error(`${CHROMIUM} is missing; CI must install it (see .ci/run).`);
    smtp = await startSmtpReceiver();
    server = await startServer('pglite', { SMTP_URL: smtp.url, EMAIL_FROM: 'Latchkey <no-reply@example.com>' }, { clock });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, timeout: 60_000 });
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await smtp?.close();
  });

  it('signs up with the code emailed to a real SMTP receiver and ends signed in at /account', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      await page.goto(`${server.url}/sign-up`);
      await page.getByLabel('Email address').fill('browser.user@example.com');
      await page.getByLabel('Password').fill('a browser passphrase');
      await page.getByRole('button', { name: 'Create account' }).click();
      await page.waitForURL('**/sign-up/verify');
      await expect.poll(() => page.textContent('main')).toContain('browser.user@example.com');

      await smtp.waitFor(1);
      const mail = smtp.messages.find((m) => m.rcptTo.includes('browser.user@example.com'));
      const code = codeIn(mail?.text ?? '');
      expect(code).toMatch(/^\d{6}$/);
      await page.getByLabel('6-digit code').fill(code);
      await page.getByRole('button', { name: 'Verify and continue' }).click();
      await page.waitForURL('**/account');
      expect(await page.textContent('main')).toContain('browser.user@example.com');

      const cookies = await context.cookies();
      const client = cookies.find((c) => c.name === '__latchkey_client');
      expect([client?.httpOnly, client?.sameSite]).toEqual([true, 'Lax']);
      const users = (await (await server.api('/v1/users?email_address=browser.user@example.com')).json()) as Array<{ id: string }>;
      expect(users).toHaveLength(1);
      const sessions = (await (await server.api(`/v1/sessions?user_id=${users[0].id}`)).json()) as Array<{ status: string }>;
      expect(sessions.map((s) => s.status)).toEqual(['active']);
    } finally {
      await context.close();
    }
  }, 60_000);

  it('signs in with a password and then a TOTP code', async () => {
    const created = await server.api('/v1/users', { method: 'POST', json: { email_address: ['totp.user@example.com'], password: 'a totp passphrase' } });
    expect(created.status).toBe(200);
    const userId = ((await created.json()) as { id: string }).id;
    const { mfa } = server.app.services;
    const { secret } = await mfa.enrollTotp(userId, 'totp.user@example.com');
    const totp = new TOTP({ secret: Secret.fromBase32(secret), period: 30, digits: 6, algorithm: 'SHA1' });
    expect(await mfa.confirmTotp(userId, totp.generate({ timestamp: clock.now().getTime() }))).toBe(true);
    // The confirming code's time step is used up; sign-in takes the next one.
    clock.advance(30_000);

    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      await page.goto(`${server.url}/sign-in`);
      await page.locator('input[name="identifier"]').fill('totp.user@example.com');
      await page.locator('input[name="password"]').fill('a totp passphrase');
      await page.locator('form[action="/sign-in"] button[type="submit"]').click();
      await page.waitForURL('**/sign-in/factor-two');
      await page.locator('form[action="/sign-in/factor-two"] input[name="code"]').fill(totp.generate({ timestamp: clock.now().getTime() }));
      await page.locator('form[action="/sign-in/factor-two"] button[type="submit"]').click();
      await page.waitForURL('**/account');
      expect(await page.textContent('main')).toContain('totp.user@example.com');
      const sessions = (await (await server.api(`/v1/sessions?user_id=${userId}`)).json()) as Array<{ status: string }>;
      expect(sessions.map((s) => s.status)).toEqual(['active']);
    } finally {
      await context.close();
    }
  }, 60_000);
});
