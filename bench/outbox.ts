/**
 * Outbox throughput: N messages rendered from a template and enqueued, then delivered by one
 * worker over SMTP to a local smtp-server (127.0.0.1, no TLS, no auth). Only delivery is timed:
 * claim, send, and the per-message outcome update. Target: at least 200 messages/s.
 *
 * Run alone with `node bench/outbox.ts [messages]`; `DATABASE_URL` picks PostgreSQL, else PGlite.
 */
import { fileURLToPath } from 'node:url';
import { SMTPServer } from 'smtp-server';
import { systemClock } from '../src/core/clock.ts';
import { createOutboxService } from '../src/core/delivery/outbox-service.ts';
import { createTemplateService } from '../src/core/delivery/template-service.ts';
import { createOutboxWorker } from '../src/delivery/outbox-worker.ts';
import { createSmtpTransport } from '../src/delivery/smtp-transport.ts';
import { logTransport } from '../src/delivery/transport.ts';
import { openDatabase } from '../src/storage/db.ts';
import { migrateToLatest } from '../src/storage/migrate.ts';
import { createStore } from '../src/storage/store.ts';

export interface OutboxThroughput {
  backend: 'pglite' | 'postgres';
  messages: number;
  /** Accepted by the SMTP server. */
  received: number;
  seconds: number;
  perSecond: number;
  target: number;
}

const quiet = { info() {}, warn() {}, error() {} };

/**
 * Measures outbox delivery throughput. With `databaseUrl` it uses that (empty, scratch)
 * PostgreSQL database; otherwise an in-memory PGlite.
 */
export async function measureOutboxThroughput(options: { messages?: number; databaseUrl?: string } = {}): Promise<OutboxThroughput> {
  const total = options.messages ?? 2000;
  let received = 0;
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, _session, cb) {
      stream.on('data', () => {});
      stream.on('end', () => {
        received++;
        cb();
      });
    },
  });
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', () => r()));
  const port = (smtp.server.address() as { port: number }).port;
  const database = await openDatabase({ databaseUrl: options.databaseUrl, dataDir: 'memory://' });
  try {
    await migrateToLatest(database.db);
    const store = createStore(database.db);
    const templates = createTemplateService({ store, clock: systemClock, defaultFromName: 'no-reply' });
    const outbox = createOutboxService({ store, clock: systemClock, templates, senders: { email: 'Bench <no-reply@bench.test>', sms: '' }, appName: 'Bench' });
    for (let start = 0; start < total; start += 500) {
      await store.transaction(async (tx) => {
        for (let i = start; i < Math.min(total, start + 500); i++) {
          const otp = String(100000 + (i % 900000));
          await outbox.enqueue(tx, { channel: 'email', to: `user${i}@bench.test`, template: 'verification_code', data: { otp_code: otp, expires_in_minutes: 10 }, secrets: [otp] });
        }
      });
    }
    const worker = createOutboxWorker({
      store,
      clock: systemClock,
      transports: { email: createSmtpTransport({ url: `smtp://127.0.0.1:${port}` }), sms: logTransport('sms', quiet, 'bench') },
      log: quiet,
    });
    const started = process.hrtime.bigint();
    await worker.drain();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    await worker.stop();
    return { backend: database.kind, messages: total, received, seconds, perSecond: total / seconds, target: 200 };
  } finally {
    await database.close();
    await new Promise<void>((r) => smtp.close(() => r()));
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = await measureOutboxThroughput({ messages: Number(process.argv[2] ?? 2000), databaseUrl: process.env.DATABASE_URL });
  process.stdout.write(`outbox (${r.backend}): ${r.received}/${r.messages} delivered in ${r.seconds.toFixed(2)} s = ${r.perSecond.toFixed(0)} messages/s (target ${r.target})\n`);
}
