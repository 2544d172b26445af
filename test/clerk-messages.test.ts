import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, startServer, type TestServer } from './helpers/backends.ts';
import { assertJsonContentType, assertMatchesSpec } from './helpers/clerk-spec.ts';
import { type SmtpReceiver, startSmtpReceiver } from './helpers/smtp-receiver.ts';

type Json = Record<string, any>;

describe.each(BACKENDS)('POST /v1/emails and /v1/sms_messages (%s)', (backend) => {
  let server: TestServer;
  let smtp: SmtpReceiver;
  let user: Json;

  beforeAll(async () => {
    smtp = await startSmtpReceiver();
    server = await startServer(backend, { SMTP_URL: smtp.url, EMAIL_FROM: 'Acme <no-reply@acme.test>' }, { delivery: { autoStart: false } });
    const res = await server.api('/v1/users', { method: 'POST', json: { email_address: ['ada@example.com'], phone_number: ['+14155552671'], first_name: 'Ada' } });
    expect(res.status).toBe(200);
    user = (await res.json()) as Json;
  });
  afterAll(async () => {
    await server?.close();
    await smtp?.close();
  });

  async function post(path: '/emails' | '/sms_messages', json: unknown): Promise<{ status: number; body: Json }> {
    const res = await server.api(`/v1${path}`, { method: 'POST', json });
    assertJsonContentType(res);
    const body = (await res.json()) as Json;
    assertMatchesSpec('post', path, res.status, body);
    return { status: res.status, body };
  }
  const status = async (id: string) => (await server.app.services.outbox.get(id))!.status;

  it('sends an email with the given subject and body; status follows the outbox row', async () => {
    const emailId = user.email_addresses[0].id;
    const { status: code, body } = await post('/emails', { email_address_id: emailId, subject: 'Welcome aboard', body: '<p>Hello <b>Ada</b></p>', from_email_name: 'billing' });
    expect(code).toBe(200);
    expect(body).toMatchObject({
      object: 'email',
      slug: null,
      from_email_name: 'billing',
      email_address_id: emailId,
      to_email_address: 'ada@example.com',
      user_id: user.id,
      subject: 'Welcome aboard',
      body: '<p>Hello <b>Ada</b></p>',
      body_plain: 'Hello Ada',
      status: 'queued',
      data: null,
      delivered_by_clerk: true,
    });
    expect(body.id).toMatch(/^ema_/);
    expect(await status(body.id)).toBe('queued');

    expect(await server.app.delivery.drain()).toBe(1);
    expect(await status(body.id)).toBe('sent');
    const mail = smtp.messages.at(-1)!;
    expect(mail).toMatchObject({ mailFrom: 'billing@acme.test', rcptTo: ['ada@example.com'], subject: 'Welcome aboard' });
    expect(mail.headers.from).toBe('Acme <billing@acme.test>');
    expect(mail.html.trim()).toBe('<p>Hello <b>Ada</b></p>');
    expect(mail.text.trim()).toBe('Hello Ada');
  });

  it('renders a template that needs no per-message value, and refuses one that does', async () => {
    const emailId = user.email_addresses[0].id;
    const { body } = await post('/emails', { email_address_id: emailId, template_slug: 'password_changed' });
    expect(body).toMatchObject({ slug: 'password_changed', subject: 'Your Latchkey password was changed', from_email_name: 'no-reply', status: 'queued' });
    expect(body.body).toContain('<p>Hi Ada,</p>');
    await server.app.delivery.drain();
    expect(smtp.messages.at(-1)!.subject).toBe('Your Latchkey password was changed');

    const needsCode = await post('/emails', { email_address_id: emailId, template_slug: 'verification_code' });
    expect(needsCode.status).toBe(422);
    expect(needsCode.body.errors[0].code).toBe('template_required_variable_missing');
    expect((await post('/emails', { email_address_id: emailId, template_slug: 'no_such' })).status).toBe(404);
  });

  it('answers Clerk errors for a missing or unknown address', async () => {
    const missing = await post('/emails', { subject: 'x', body: 'y' });
    expect(missing.status).toBe(422);
    expect(missing.body.errors[0]).toMatchObject({ code: 'form_param_missing', meta: { param_name: 'email_address_id' } });
    const unknown = await post('/emails', { email_address_id: 'idn_nope', subject: 'x', body: 'y' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.errors[0].code).toBe('resource_not_found');
    // A phone number's id is not an email address.
    expect((await post('/emails', { email_address_id: user.phone_numbers[0].id, subject: 'x', body: 'y' })).status).toBe(404);
    const noBody = await post('/emails', { email_address_id: user.email_addresses[0].id, subject: 'x' });
    expect(noBody.body.errors[0]).toMatchObject({ code: 'form_param_missing', meta: { param_name: 'body' } });
    expect((await post('/emails', { email_address_id: user.email_addresses[0].id, body: 'x', from_email_name: 'a b@c' })).status).toBe(422);
  });

  it('sends an SMS to a verified phone number; with the log provider it ends undelivered', async () => {
    const phoneId = user.phone_numbers[0].id;
    const { status: code, body } = await post('/sms_messages', { phone_number_id: phoneId, message: 'Your parcel has shipped.' });
    expect(code).toBe(200);
    expect(body).toMatchObject({
      object: 'sms_message',
      slug: null,
      from_phone_number: '',
      to_phone_number: '+14155552671',
      phone_number_id: phoneId,
      user_id: user.id,
      message: 'Your parcel has shipped.',
      status: 'queued',
      data: null,
      delivered_by_clerk: true,
    });
    expect(await server.app.delivery.drain()).toBe(1);
    const row = (await server.app.services.outbox.get(body.id))!;
    expect(row).toMatchObject({ status: 'undelivered', body: 'Your parcel has shipped.' });
  });

  it('refuses an SMS to an unverified or unknown number', async () => {
    const added = await server.api('/v1/phone_numbers', { method: 'POST', json: { user_id: user.id, phone_number: '+14155552672' } });
    const phone = (await added.json()) as Json;
    const unverified = await post('/sms_messages', { phone_number_id: phone.id, message: 'hi' });
    expect(unverified.status).toBe(422);
    expect(unverified.body.errors[0]).toMatchObject({ code: 'form_identification_not_verified', meta: { param_name: 'phone_number_id' } });
    expect((await post('/sms_messages', { phone_number_id: 'idn_nope', message: 'hi' })).status).toBe(404);
    expect((await post('/sms_messages', { phone_number_id: user.phone_numbers[0].id })).body.errors[0]).toMatchObject({ code: 'form_param_missing', meta: { param_name: 'message' } });
    expect((await post('/sms_messages', { phone_number_id: user.phone_numbers[0].id, message: 'x'.repeat(1601) })).status).toBe(422);
  });
});

describe('the running worker delivers API messages without being asked', () => {
  let server: TestServer;
  let smtp: SmtpReceiver;
  beforeAll(async () => {
    smtp = await startSmtpReceiver();
    // The worker polls on its own; a new message wakes it at once.
    server = await startServer('pglite', { SMTP_URL: smtp.url, EMAIL_FROM: 'no-reply@acme.test' }, { delivery: { options: { pollMs: 60_000 } } });
  });
  afterAll(async () => {
    await server?.close();
    await smtp?.close();
  });

  it('sends soon after POST /v1/emails', async () => {
    const res = await server.api('/v1/users', { method: 'POST', json: { email_address: ['grace@example.com'] } });
    const user = (await res.json()) as Json;
    const sent = await server.api('/v1/emails', { method: 'POST', json: { email_address_id: user.email_addresses[0].id, subject: 'Hi', body: '<p>Hello</p>' } });
    const email = (await sent.json()) as Json;
    await smtp.waitFor(1, 5_000);
    expect(smtp.messages[0].rcptTo).toEqual(['grace@example.com']);
    for (let i = 0; i < 50 && (await server.app.services.outbox.get(email.id))!.status !== 'sent'; i++) await new Promise((r) => setTimeout(r, 20));
    expect((await server.app.services.outbox.get(email.id))!.status).toBe('sent');
  });
});
