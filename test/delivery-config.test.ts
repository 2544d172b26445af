import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';

function refusal(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

const TWILIO = { SMS_PROVIDER: 'twilio', TWILIO_ACCOUNT_SID: 'AC0123456789abcdef0123456789abcdef', TWILIO_AUTH_TOKEN: 'secret-token-value-42', SMS_FROM: '+14155552671' };

describe('delivery configuration', () => {
  it('logs email and SMS by default', () => {
    expect(loadConfig({}).delivery).toEqual({ emailFrom: 'Latchkey <no-reply@localhost>', smsProvider: 'log', smsFrom: '' });
  });

  it('reads SMTP and Twilio settings', () => {
    expect(loadConfig({ SMTP_URL: 'smtps://u:p%40ss@mail.example.com:465', EMAIL_FROM: 'Acme <hello@acme.test>', ...TWILIO, TWILIO_API_URL: 'http://127.0.0.1:9000/' }).delivery).toEqual({
      smtpUrl: 'smtps://u:p%40ss@mail.example.com:465',
      emailFrom: 'Acme <hello@acme.test>',
      smsProvider: 'twilio',
      twilio: { apiUrl: 'http://127.0.0.1:9000', accountSid: TWILIO.TWILIO_ACCOUNT_SID, authToken: TWILIO.TWILIO_AUTH_TOKEN },
      smsFrom: '+14155552671',
    });
    expect(loadConfig(TWILIO).delivery.twilio?.apiUrl).toBe('https://api.twilio.com');
    expect(loadConfig({ EMAIL_FROM: 'hello@acme.test' }).delivery.emailFrom).toBe('hello@acme.test');
  });

  it('refuses bad values with one line, never echoing a password or token', () => {
    const smtp = refusal({ SMTP_URL: 'http://user:hunter2@mail.example.com', EMAIL_FROM: 'a@b.c' });
    expect(smtp).toMatch(/^Invalid SMTP_URL: /);
    expect(smtp).not.toContain('hunter2');
    expect(refusal({ SMTP_URL: 'smtp://mail.example.com' })).toBe('Invalid EMAIL_FROM: required when SMTP_URL is set');
    expect(refusal({ EMAIL_FROM: 'not an address' })).toMatch(/^Invalid EMAIL_FROM: /);
    expect(refusal({ SMS_PROVIDER: 'carrier-pigeon' })).toMatch(/^Invalid SMS_PROVIDER: must be log or twilio/);
    expect(refusal({ ...TWILIO, TWILIO_ACCOUNT_SID: '' })).toMatch(/^Invalid TWILIO_ACCOUNT_SID: /);
    const token = refusal({ ...TWILIO, TWILIO_AUTH_TOKEN: 'short' });
    expect(token).toMatch(/^Invalid TWILIO_AUTH_TOKEN: /);
    expect(token).not.toContain('short"');
    expect(refusal({ ...TWILIO, SMS_FROM: '' })).toBe('Invalid SMS_FROM: required when SMS_PROVIDER is twilio');
    expect(refusal({ SMS_FROM: '555-0100' })).toMatch(/^Invalid SMS_FROM: /);
    expect(refusal({ ...TWILIO, TWILIO_API_URL: 'ftp://x' })).toMatch(/^Invalid TWILIO_API_URL: /);
  });
});
