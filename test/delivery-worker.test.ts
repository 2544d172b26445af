import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../src/core/clock.ts';
import type { NewMessage } from '../src/core/delivery/outbox.ts';
import { DEFAULT_WORKER_OPTIONS, retryDelay } from '../src/delivery/outbox-worker.ts';
import type { DeliveryLog } from '../src/delivery/transport.ts';
import { createStore } from '../src/storage/store.ts';
import { BACKENDS, startServer, type TestServer } from './helpers/backends.ts';
import { type SmtpReceiver, startSmtpReceiver } from './helpers/smtp-receiver.ts';

/** A logger that keeps every line, to check what reaches the logs. */
function captureLog() {
  const lines: Array<{ level: string; obj: object; msg: string }> = [];
  const at = (level: string) => (obj: object, msg: string) => lines.push({ level, obj, msg });
  const log: DeliveryLog = { info: at('info'), warn: at('warn'), error: at('error') };
  return { log, lines, text: () => JSON.stringify(lines) };
}

const CODE = '749201';
const code = (to: string, otp = CODE): NewMessage => ({
  channel: 'email',
  to,
  template: 'verification_code',
  data: { otp_code: otp, expires_in_minutes: 10 },
  secrets: [otp],
});

describe.each(BACKENDS)('outbox worker over SMTP (%s)', (backend) => {
  let smtp: SmtpReceiver;
  let server: TestServer;
  let clock: ReturnType<typeof manualClock>;
  let logs: ReturnType<typeof captureLog>;

  beforeAll(async () => {
    smtp = await startSmtpReceiver({ user: 'mailer', pass: 's3cret pass' });
    clock = manualClock();
    logs = captureLog();
    server = await startServer(backend, { SMTP_URL: smtp.url, EMAIL_FROM: 'Acme <no-reply@acme.test>' }, { clock, delivery: { autoStart: false, log: logs.log } });
  });
  afterAll(async () => {
    await server?.close();
    await smtp?.close();
  });
  afterEach(() => {
    smtp.onRcpt = () => undefined;
    smtp.onData = () => undefined;
  });

  const app = () => server.app;
  const enqueue = (m: NewMessage) => createStore(app().database.db).transaction((tx) => app().services.outbox.enqueue(tx, m));
  const row = async (id: string) => (await app().services.outbox.get(id))!;

  it('delivers a rendered template to the recipient, then clears the body', async () => {
    const before = smtp.messages.length;
    const { id, status } = await enqueue(code('ada@example.com'));
    expect(status).toBe('queued');
    expect((await row(id)).body).toContain(CODE);

    expect(await app().delivery.drain()).toBe(1);
    expect(smtp.messages).toHaveLength(before + 1);
    const mail = smtp.messages.at(-1)!;
    expect(mail.rcptTo).toEqual(['ada@example.com']);
    expect(mail.mailFrom).toBe('no-reply@acme.test');
    expect(mail.headers.from).toBe('Acme <no-reply@acme.test>');
    expect(mail.subject).toBe('Latchkey verification code');
    expect(mail.html).toContain(`>${CODE}</p>`);
    expect(mail.text.trim()).toBe(`Hello,\n\nYour Latchkey verification code is:\n\n${CODE}\n\nIt expires in 10 minutes.\n\nIf you did not ask for this, you can ignore this email.`);
    expect(mail.headers['x-latchkey-message-id']).toBe(id);

    const sent = await row(id);
    expect(sent).toMatchObject({ status: 'sent', attempts: 1, body: null, bodyPlain: null, secrets: [], lastError: null, subject: 'Latchkey verification code' });
    expect(sent.sentAt).toEqual(clock.now());
    expect(sent.providerId).toMatch(/^<.+>$/);
  });

  it('retries with exponential backoff scheduled by the clock, then delivers', async () => {
    const before = smtp.messages.length;
    let refusals = 0;
    smtp.onRcpt = () => (refusals++ < 2 ? { code: 451, message: '4.7.1 Greylisted, try again later' } : undefined);
    const { id } = await enqueue(code('grace@example.com', '118822'));

    expect(await app().delivery.runOnce()).toBe(1);
    let r = await row(id);
    expect(r).toMatchObject({ status: 'queued', attempts: 1 });
    expect(r.lastError).toContain('451 4.7.1 Greylisted');
    expect(r.nextAttemptAt.getTime() - clock.now().getTime()).toBe(DEFAULT_WORKER_OPTIONS.baseDelayMs);

    // Not due yet: nothing is claimed however often the worker looks.
    clock.advance(DEFAULT_WORKER_OPTIONS.baseDelayMs - 1);
    expect(await app().delivery.drain()).toBe(0);
    clock.advance(1);
    expect(await app().delivery.drain()).toBe(1);
    r = await row(id);
    expect(r).toMatchObject({ status: 'queued', attempts: 2 });
    // The second wait is twice the first.
    expect(r.nextAttemptAt.getTime() - clock.now().getTime()).toBe(2 * DEFAULT_WORKER_OPTIONS.baseDelayMs);

    clock.advance(2 * DEFAULT_WORKER_OPTIONS.baseDelayMs);
    expect(await app().delivery.drain()).toBe(1);
    r = await row(id);
    expect(r).toMatchObject({ status: 'sent', attempts: 3, lastError: null, body: null });
    expect(smtp.messages).toHaveLength(before + 1);
    expect(smtp.messages.at(-1)!.rcptTo).toEqual(['grace@example.com']);
    expect(smtp.messages.at(-1)!.html).toContain('118822');
    expect(refusals).toBe(3);
  });

  it('ends failed with the last error kept after the maximum attempts, and masks the code', async () => {
    const before = smtp.messages.length;
    smtp.onData = (n) => ({ code: 452, message: `4.3.1 Queue full (${n})` });
    const { id } = await enqueue(code('linus@example.com', '555019'));
    const max = DEFAULT_WORKER_OPTIONS.maxAttempts;
    for (let attempt = 1; attempt <= max; attempt++) {
      expect(await app().delivery.drain(), `attempt ${attempt}`).toBe(1);
      const r = await row(id);
      expect(r.attempts).toBe(attempt);
      if (attempt < max) {
        expect(r.status).toBe('queued');
        clock.advance(retryDelay(attempt, DEFAULT_WORKER_OPTIONS));
      }
    }
    const failed = await row(id);
    expect(failed.status).toBe('failed');
    expect(failed.lastError).toMatch(/^EMESSAGE: 452 4\.3\.1 Queue full \(\d+\)$/);
    expect(failed.secrets).toEqual([]);
    expect(failed.body).not.toContain('555019');
    expect(failed.body).toContain('[redacted]');
    // Failed for good: nothing more is tried, however late.
    clock.advance(24 * 3600_000);
    expect(await app().delivery.drain()).toBe(0);
    expect(smtp.messages).toHaveLength(before);
  });

  it('does not retry a recipient the server refuses for good (5xx)', async () => {
    smtp.onRcpt = (address) => (address === 'nobody@example.com' ? { code: 550, message: '5.1.1 No such user' } : undefined);
    const { id } = await enqueue(code('nobody@example.com'));
    expect(await app().delivery.drain()).toBe(1);
    const r = await row(id);
    expect(r).toMatchObject({ status: 'failed', attempts: 1 });
    expect(r.lastError).toContain('550 5.1.1 No such user');
  });

  it('never sends a message whose transaction rolled back', async () => {
    const rcptBefore = smtp.counts.rcpt;
    let id = '';
    await expect(
      createStore(app().database.db).transaction(async (tx) => {
        id = (await app().services.outbox.enqueue(tx, code('rolled@example.com'))).id;
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(await app().delivery.drain()).toBe(0);
    expect(await app().services.outbox.get(id)).toBeNull();
    expect(smtp.counts.rcpt).toBe(rcptBefore);
  });

  it('logs failures without the code', () => {
    expect(logs.lines.some((l) => l.level === 'warn' && l.msg === 'outbox message attempt failed')).toBe(true);
    expect(logs.lines.some((l) => l.level === 'error' && l.msg === 'outbox message failed')).toBe(true);
    for (const secret of ['749201', '118822', '555019', 's3cret']) expect(logs.text()).not.toContain(secret);
  });
});

describe.each(BACKENDS)('outbox without SMTP_URL (%s)', (backend) => {
  let server: TestServer;
  const logs = captureLog();

  beforeAll(async () => {
    server = await startServer(backend, {}, { delivery: { autoStart: false, log: logs.log } });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('keeps messages undelivered with their body, and logs them with secrets masked', async () => {
    const app = server.app;
    const link = 'https://app.example.com/verify?token=tok_9f8e7d6c5b4a&lang=en';
    const store = createStore(app.database.db);
    const email = await store.transaction((tx) =>
      app.services.outbox.enqueue(tx, { channel: 'email', to: 'ada@example.com', template: 'magic_link', data: { action_url: link, expires_in_minutes: 15 }, secrets: [link] }),
    );
    const sms = await store.transaction((tx) =>
      app.services.outbox.enqueue(tx, { channel: 'sms', to: '+15555550123', template: 'verification_code', data: { otp_code: '246810' }, secrets: ['246810'] }),
    );
    expect(await app.delivery.drain()).toBe(2);

    const e = (await app.services.outbox.get(email.id))!;
    expect(e).toMatchObject({ status: 'undelivered', attempts: 1, sender: 'Latchkey <no-reply@localhost>' });
    // Kept for the developer: `latchkey outbox list` shows it.
    expect(e.body).toContain('href="https://app.example.com/verify?token&#x3D;tok_9f8e7d6c5b4a&amp;lang&#x3D;en"');
    expect(e.bodyPlain).toContain(link);
    const s = (await app.services.outbox.get(sms.id))!;
    expect(s).toMatchObject({ status: 'undelivered', body: '246810 is your Latchkey verification code.' });

    const logged = logs.lines.filter((l) => l.msg.includes('not delivered'));
    expect(logged.map((l) => (l.obj as { message_id: string }).message_id).sort()).toEqual([email.id, sms.id].sort());
    expect(logs.text()).toContain('[redacted] is your Latchkey verification code.');
    expect(logs.text()).toContain('Sign in: [redacted]');
    for (const secret of ['246810', 'tok_9f8e7d6c5b4a']) expect(logs.text()).not.toContain(secret);
    // Nothing is retried: there is nowhere to send it.
    expect(await app.delivery.drain()).toBe(0);
  });
});
