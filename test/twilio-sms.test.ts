import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../src/core/clock.ts';
import { DEFAULT_WORKER_OPTIONS } from '../src/delivery/outbox-worker.ts';
import { DeliveryError } from '../src/delivery/transport.ts';
import { createTwilioProvider } from '../src/delivery/twilio-sms.ts';
import { createStore } from '../src/storage/store.ts';
import { BACKENDS, startServer, type TestServer } from './helpers/backends.ts';
import { type FakeTwilio, startFakeTwilio } from './helpers/fake-twilio.ts';

const SID = 'AC0123456789abcdef0123456789abcdef';
const TOKEN = 'twilio-auth-token-0123456789';
const message = { id: 'sms_1', channel: 'sms' as const, to: '+15555550123', from: '+15555550100', subject: null, body: '482913 is your code.', bodyPlain: null, secrets: ['482913'] };

describe('Twilio provider over real HTTP', () => {
  let twilio: FakeTwilio;
  beforeAll(async () => {
    twilio = await startFakeTwilio();
  });
  afterAll(async () => {
    await twilio?.close();
  });
  afterEach(() => {
    twilio.requests.length = 0;
    twilio.respond = (_r, n) => ({ status: 201, body: { sid: `SM${n}` } });
  });

  it('POSTs the form to the account Messages.json with basic auth and returns the sid', async () => {
    const provider = createTwilioProvider({ apiUrl: `${twilio.url}/`, accountSid: SID, authToken: TOKEN });
    twilio.respond = () => ({ status: 201, body: { sid: 'SM1', status: 'queued' } });
    expect(await provider.send(message)).toEqual({ providerId: 'SM1' });
    expect(twilio.requests).toHaveLength(1);
    const r = twilio.requests[0];
    expect(r.method).toBe('POST');
    expect(r.path).toBe(`/2010-04-01/Accounts/${SID}/Messages.json`);
    expect(r.contentType).toBe('application/x-www-form-urlencoded');
    expect(Buffer.from(r.authorization.replace(/^Basic /, ''), 'base64').toString()).toBe(`${SID}:${TOKEN}`);
    expect(r.form).toEqual({ To: '+15555550123', From: '+15555550100', Body: '482913 is your code.' });
    // A messaging service sends from a number of its own choosing.
    const service = `MG${'0'.repeat(32)}`;
    await provider.send({ ...message, from: service });
    expect(twilio.requests[1].form).toEqual({ To: '+15555550123', MessagingServiceSid: service, Body: '482913 is your code.' });
  });

  it('reports a refused number as permanent and a server error as temporary', async () => {
    const provider = createTwilioProvider({ apiUrl: twilio.url, accountSid: SID, authToken: TOKEN });
    twilio.respond = () => ({ status: 400, body: { code: 21211, message: "The 'To' number is not a valid phone number.", status: 400 } });
    const refused = await provider.send(message).catch((e) => e);
    expect(refused).toBeInstanceOf(DeliveryError);
    expect(refused).toMatchObject({ permanent: true, message: "HTTP 400 (code 21211): The 'To' number is not a valid phone number." });

    twilio.respond = () => ({ status: 503, body: { message: 'Service unavailable' } });
    expect(await provider.send(message).catch((e) => e)).toMatchObject({ permanent: false, message: 'HTTP 503: Service unavailable' });
    // Wrong credentials can be fixed by the operator, so they are retried too.
    twilio.respond = () => ({ status: 401, body: { code: 20003, message: 'Authenticate' } });
    expect(await provider.send(message).catch((e) => e)).toMatchObject({ permanent: false });
  });

  it('reports an unreachable server as temporary, without the token', async () => {
    // A port that was just free: nothing listens there.
    const closed = await startFakeTwilio();
    await closed.close();
    const provider = createTwilioProvider({ apiUrl: closed.url, accountSid: SID, authToken: TOKEN });
    const e = await provider.send(message).catch((x) => x);
    expect(e).toMatchObject({ permanent: false });
    expect(e.message).toContain('ECONNREFUSED');
    expect(e.message).not.toContain(TOKEN);
  });
});

describe.each(BACKENDS)('SMS through the outbox to Twilio (%s)', (backend) => {
  let twilio: FakeTwilio;
  let server: TestServer;
  const clock = manualClock();

  beforeAll(async () => {
    twilio = await startFakeTwilio();
    server = await startServer(
      backend,
      { SMS_PROVIDER: 'twilio', TWILIO_API_URL: twilio.url, TWILIO_ACCOUNT_SID: SID, TWILIO_AUTH_TOKEN: TOKEN, SMS_FROM: '+15555550100' },
      { clock, delivery: { autoStart: false } },
    );
  });
  afterAll(async () => {
    await server?.close();
    await twilio?.close();
  });

  it('retries after a server error, then records the sid and clears the text', async () => {
    twilio.respond = (_r, n) => (n === 1 ? { status: 500, body: { message: 'Internal error' } } : { status: 201, body: { sid: 'SMabc' } });
    const app = server.app;
    const { id } = await createStore(app.database.db).transaction((tx) =>
      app.services.outbox.enqueue(tx, { channel: 'sms', to: '+15555550123', template: 'verification_code', data: { otp_code: '907311' }, secrets: ['907311'] }),
    );
    expect(await app.delivery.drain()).toBe(1);
    expect((await app.services.outbox.get(id))!).toMatchObject({ status: 'queued', attempts: 1, lastError: 'HTTP 500: Internal error' });
    clock.advance(DEFAULT_WORKER_OPTIONS.baseDelayMs);
    expect(await app.delivery.drain()).toBe(1);
    expect((await app.services.outbox.get(id))!).toMatchObject({ status: 'sent', attempts: 2, providerId: 'SMabc', body: null, lastError: null });
    expect(twilio.requests.map((r) => r.form)).toEqual([
      { To: '+15555550123', From: '+15555550100', Body: '907311 is your Latchkey verification code.' },
      { To: '+15555550123', From: '+15555550100', Body: '907311 is your Latchkey verification code.' },
    ]);
  });
});
