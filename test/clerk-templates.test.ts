import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStore } from '../src/storage/store.ts';
import { BACKENDS, startServer, type TestServer } from './helpers/backends.ts';
import { type SmtpReceiver, startSmtpReceiver } from './helpers/smtp-receiver.ts';
import { specCall } from './helpers/spec-call.ts';

type Json = Record<string, any>;

describe.each(BACKENDS)('/v1/templates (%s)', (backend) => {
  let server: TestServer;
  let smtp: SmtpReceiver;

  beforeAll(async () => {
    smtp = await startSmtpReceiver();
    server = await startServer(backend, { SMTP_URL: smtp.url, EMAIL_FROM: 'Acme <hello@acme.test>' }, { delivery: { autoStart: false } });
  });
  afterAll(async () => {
    await server?.close();
    await smtp?.close();
  });

  /** Calls the API and checks the answer against the Clerk spec for that operation. */
  const call = (method: string, template: string, path: string, json?: unknown) => specCall(server, method, template, path, json);
  const one = '/templates/{template_type}/{slug}';
  const enqueue = (m: Parameters<TestServer['app']['services']['outbox']['enqueue']>[1]) =>
    createStore(server.app.database.db).transaction((tx) => server.app.services.outbox.enqueue(tx, m));

  it('lists the system templates of each type in order', async () => {
    const email = await call('GET', '/templates/{template_type}', '/templates/email');
    expect(email.status).toBe(200);
    expect(email.body.map((t: Json) => t.slug)).toEqual([
      'verification_code',
      'verification_link',
      'reset_password_code',
      'password_changed',
      'invitation',
      'organization_invitation',
      'magic_link',
      'new_device_sign_in',
    ]);
    expect(email.body.map((t: Json) => t.position)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    for (const t of email.body) {
      expect(t).toMatchObject({ object: 'template', template_type: 'email', resource_type: 'system', can_revert: false, can_delete: false, from_email_name: 'hello', delivered_by_clerk: true });
      for (const v of t.required_variables) expect(t.body, `${t.slug} uses ${v}`).toContain(`{{${v}}}`);
      expect(t.available_variables).toEqual(expect.arrayContaining(['app_name', ...t.required_variables]));
    }
    const byslug = Object.fromEntries(email.body.map((t: Json) => [t.slug, t]));
    expect(byslug.verification_code.required_variables).toEqual(['otp_code']);
    expect(byslug.magic_link.required_variables).toEqual(['action_url']);
    expect(byslug.organization_invitation.required_variables).toEqual(['action_url']);

    const sms = await call('GET', '/templates/{template_type}', '/templates/sms');
    expect(sms.body.map((t: Json) => t.slug)).toEqual(['verification_code', 'reset_password_code', 'password_changed', 'invitation', 'magic_link']);
    for (const t of sms.body) {
      expect(t.subject).toBeNull();
      expect(t).not.toHaveProperty('from_email_name');
    }
  });

  it('gets one template, and answers 404 for a slug the type does not have', async () => {
    const { status, body } = await call('GET', one, '/templates/email/verification_code');
    expect(status).toBe(200);
    expect(body).toMatchObject({ id: 'tmpl_email_verification_code', slug: 'verification_code', name: 'Verification code', subject: '{{app_name}} verification code' });
    const missing = await call('GET', one, '/templates/sms/organization_invitation');
    expect(missing.status).toBe(404);
    expect(missing.body.errors[0].code).toBe('resource_not_found');
    expect((await call('GET', one, '/templates/email/no_such_template')).status).toBe(404);
    const badType = await call('GET', '/templates/{template_type}', '/templates/fax');
    expect(badType.status).toBe(422);
    expect(badType.body.errors[0]).toMatchObject({ code: 'form_param_format_invalid', meta: { param_name: 'template_type' } });
  });

  it('refuses an update whose body drops a required variable, and changes nothing', async () => {
    const res = await call('PUT', one, '/templates/email/verification_code', { subject: 'Your code', body: '<p>Your code is on its way.</p>' });
    expect(res.status).toBe(422);
    expect(res.body.errors[0]).toMatchObject({ code: 'template_required_variable_missing', meta: { param_name: 'body' } });
    expect(res.body.errors[0].long_message).toContain('{{otp_code}}');
    const sms = await call('PUT', one, '/templates/sms/magic_link', { body: 'Sign in to {{app_name}}' });
    expect(sms.status).toBe(422);
    expect(sms.body.errors[0].code).toBe('template_required_variable_missing');
    // Not valid Handlebars, or a helper that does not exist.
    const broken = await call('PUT', one, '/templates/email/verification_code', { body: '{{#if otp_code}}{{otp_code}}' });
    expect(broken.status).toBe(422);
    expect(broken.body.errors[0]).toMatchObject({ code: 'form_param_format_invalid', meta: { param_name: 'body' } });
    const helper = await call('PUT', one, '/templates/email/verification_code', { body: '{{shout otp_code}}' });
    expect(helper.status).toBe(422);
    const partial = await call('PUT', one, '/templates/email/verification_code', { body: '{{> layout}}{{otp_code}}' });
    expect(partial.status).toBe(422);
    expect((await call('PUT', one, '/templates/sms/verification_code', { subject: 'Code', body: '{{otp_code}}' })).status).toBe(422);

    const after = await call('GET', one, '/templates/email/verification_code');
    expect(after.body).toMatchObject({ resource_type: 'system', can_revert: false, subject: '{{app_name}} verification code' });
  });

  it('updates a template, sends with it (values escaped), and reverts it', async () => {
    const put = await call('PUT', one, '/templates/email/verification_code', {
      name: 'Sign-up code',
      subject: '{{otp_code}} is your {{app_name}} code',
      body: '<h1>Hello {{first_name}}</h1><p>Code: <b>{{otp_code}}</b></p>',
      markup: '<mjml/>',
      from_email_name: 'security',
    });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ resource_type: 'user', can_revert: true, can_delete: false, name: 'Sign-up code', markup: '<mjml/>', from_email_name: 'security' });
    // Customised now: its own timestamps, later than the system default's.
    expect(put.body.updated_at).toBe(put.body.created_at);
    expect(put.body.created_at).toBeGreaterThan(Date.parse('2026-01-01T00:00:00Z'));
    expect((await call('GET', one, '/templates/email/verification_code')).body).toEqual(put.body);
    // A second update keeps what it does not name, and the first customisation's created_at.
    const again = await call('PUT', one, '/templates/email/verification_code', { name: 'Sign-up code' });
    expect(again.body).toEqual({ ...put.body, updated_at: again.body.updated_at });
    expect(again.body.updated_at).toBeGreaterThanOrEqual(put.body.updated_at);
    const listed = (await call('GET', '/templates/{template_type}', '/templates/email')).body.find((t: Json) => t.slug === 'verification_code');
    expect(listed).toEqual(again.body);

    const { id } = await enqueue({ channel: 'email', to: 'ada@example.com', template: 'verification_code', data: { otp_code: '310417', first_name: '<script>alert(1)</script>' }, secrets: ['310417'] });
    expect(await server.app.delivery.drain()).toBe(1);
    const mail = smtp.messages.at(-1)!;
    expect(mail.mailFrom).toBe('security@acme.test');
    expect(mail.subject).toBe('310417 is your Latchkey code');
    expect(mail.html.trim()).toBe('<h1>Hello &lt;script&gt;alert(1)&lt;/script&gt;</h1><p>Code: <b>310417</b></p>');
    // The subject held the code: the stored copy is masked once sent.
    expect((await server.app.services.outbox.get(id))!).toMatchObject({ status: 'sent', subject: '[redacted] is your Latchkey code', body: null });

    const reverted = await call('POST', `${one}/revert`, '/templates/email/verification_code/revert');
    expect(reverted.status).toBe(200);
    expect(reverted.body).toMatchObject({ resource_type: 'system', can_revert: false, name: 'Verification code', subject: '{{app_name}} verification code', markup: '', from_email_name: 'hello' });
    expect((await call('GET', one, '/templates/email/verification_code')).body).toEqual(reverted.body);
    // Reverting a system template is a no-op, not an error.
    expect((await call('POST', `${one}/revert`, '/templates/email/verification_code/revert')).body).toEqual(reverted.body);
    expect((await call('POST', `${one}/revert`, '/templates/email/nope/revert')).status).toBe(404);
  });

  it('previews the current or a proposed template with sample data', async () => {
    const current = await call('POST', `${one}/preview`, '/templates/email/magic_link/preview', {});
    expect(current.status).toBe(200);
    expect(current.body.subject).toBe('Sign in to Latchkey');
    // Sample values are HTML-escaped in the body like real ones ('=' included).
    expect(current.body.body).toContain('<a href="https://example.com/verify?token&#x3D;sample-token">Sign in</a>');
    expect(current.body.body_plain).toContain('Sign in: https://example.com/verify?token=sample-token');
    expect(current.body.from_email_name).toBe('hello');

    const proposed = await call('POST', `${one}/preview`, '/templates/email/verification_code/preview', { subject: 'Hi {{first_name}}', body: '<p>{{otp_code}} for {{email_address}}</p>' });
    expect(proposed.body).toEqual({ subject: 'Hi Ada', body: '<p>123456 for ada@example.com</p>', body_plain: '123456 for ada@example.com', from_email_name: 'hello' });
    const sms = await call('POST', `${one}/preview`, '/templates/sms/verification_code/preview', {});
    expect(sms.body).toEqual({ subject: null, body: '123456 is your Latchkey verification code.', body_plain: null, from_email_name: null });
    expect((await call('POST', `${one}/preview`, '/templates/email/verification_code/preview', { body: '{{#each}}' })).status).toBe(422);
    // Previewing changes nothing.
    expect((await call('GET', one, '/templates/email/verification_code')).body.resource_type).toBe('system');
  });

  it('delivered_by_clerk false records messages without sending them', async () => {
    const put = await call('PUT', one, '/templates/sms/password_changed', { delivered_by_clerk: false });
    expect(put.body).toMatchObject({ delivered_by_clerk: false, resource_type: 'user', body: 'Your {{app_name}} password was changed. If this was not you, reset it now.' });
    const { status } = await enqueue({ channel: 'sms', to: '+15555550123', template: 'password_changed', data: {}, secrets: [] });
    expect(status).toBe('undelivered');
    expect(await server.app.delivery.drain()).toBe(0);
    expect((await call('POST', `${one}/revert`, '/templates/sms/password_changed/revert')).body.delivered_by_clerk).toBe(true);
  });
});
