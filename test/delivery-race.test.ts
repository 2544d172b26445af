import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../src/core/clock.ts';
import { createOutboxWorker, DEFAULT_WORKER_OPTIONS } from '../src/delivery/outbox-worker.ts';
import { createSmtpTransport } from '../src/delivery/smtp-transport.ts';
import { logTransport } from '../src/delivery/transport.ts';
import { type DatabaseHandle, openDatabase } from '../src/storage/db.ts';
import { createStore } from '../src/storage/store.ts';
import { BACKENDS, startServer, type TestServer } from './helpers/backends.ts';
import { type SmtpReceiver, startSmtpReceiver } from './helpers/smtp-receiver.ts';

const quiet = { info() {}, warn() {}, error() {} };

describe.each(BACKENDS)('two workers on one database (%s)', (backend) => {
  let smtp: SmtpReceiver;
  let server: TestServer;
  let second: DatabaseHandle | null = null;
  const clock = manualClock();

  beforeAll(async () => {
    smtp = await startSmtpReceiver();
    server = await startServer(backend, { SMTP_URL: smtp.url, EMAIL_FROM: 'no-reply@acme.test' }, { clock, delivery: { autoStart: false, options: { batchSize: 5 } } });
    // On PostgreSQL the second worker has its own connection pool, as another server process would.
    if (backend === 'postgres') second = await openDatabase({ databaseUrl: server.config.databaseUrl, dataDir: 'memory://' });
  });
  afterAll(async () => {
    await server?.close();
    await second?.close();
    await smtp?.close();
  });

  const enqueueMany = (n: number, prefix: string) =>
    createStore(server.app.database.db).transaction(async (tx) => {
      const ids: string[] = [];
      for (let i = 0; i < n; i++) {
        const otp = String(100000 + i);
        ids.push((await server.app.services.outbox.enqueue(tx, { channel: 'email', to: `${prefix}${i}@example.com`, template: 'verification_code', data: { otp_code: otp }, secrets: [otp] })).id);
      }
      return ids;
    });

  it('50 messages, two racing workers: each message is sent exactly once', async () => {
    const ids = await enqueueMany(50, 'race');
    const otherStore = createStore((second ?? server.app.database).db);
    const other = createOutboxWorker({
      store: otherStore,
      clock,
      transports: { email: createSmtpTransport({ url: smtp.url }), sms: logTransport('sms', quiet, 'test') },
      log: quiet,
      options: { batchSize: 5 },
    });
    const [a, b] = await Promise.all([server.app.delivery.drain(), other.drain()]);
    await other.stop();

    expect(a + b).toBe(50);
    expect(a, 'the first worker claimed some').toBeGreaterThan(0);
    expect(b, 'the second worker claimed some').toBeGreaterThan(0);
    const delivered = smtp.messages.map((m) => m.headers['x-latchkey-message-id']);
    expect(delivered).toHaveLength(50);
    expect(new Set(delivered).size).toBe(50);
    expect([...delivered].sort()).toEqual([...ids].sort());
    // Each went to its own recipient with its own code.
    for (const m of smtp.messages) {
      const i = Number(/^race(\d+)@/.exec(m.rcptTo[0])![1]);
      expect(m.html).toContain(`>${100000 + i}</p>`);
    }
    for (const id of ids) expect((await server.app.services.outbox.get(id))!).toMatchObject({ status: 'sent', attempts: 1, body: null });
  });

  it('a claim whose worker died is taken over after the lease, and the late outcome is ignored', async () => {
    const before = smtp.messages.length;
    const [id] = await enqueueMany(1, 'lease');
    const store = createStore(server.app.database.db);
    const now = clock.now();
    // A worker claims it and dies before sending.
    const [claimed] = await store.messages.claimDue(now, new Date(now.getTime() + DEFAULT_WORKER_OPTIONS.leaseMs), 10);
    expect(claimed).toMatchObject({ id, status: 'sending', attempts: 1 });
    expect(await server.app.delivery.drain()).toBe(0);

    clock.advance(DEFAULT_WORKER_OPTIONS.leaseMs);
    expect(await server.app.delivery.drain()).toBe(1);
    expect(smtp.messages).toHaveLength(before + 1);
    expect((await server.app.services.outbox.get(id))!).toMatchObject({ status: 'sent', attempts: 2 });
    // The first worker comes back: its claim is no longer the row's, so nothing changes.
    expect(await store.messages.settle(id, 1, { status: 'failed', at: clock.now(), lastError: 'late' })).toBe(false);
    expect((await server.app.services.outbox.get(id))!).toMatchObject({ status: 'sent', lastError: null });
  });
});
