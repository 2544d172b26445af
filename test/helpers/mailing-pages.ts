import { afterAll, beforeAll } from 'vitest';
import type { Clock } from '../../src/core/clock.ts';
import type { SessionService } from '../../src/core/sessions/types.ts';
import { type Backend, startServer, type TestServer } from './backends.ts';
import type { PageClient } from './page-client.ts';
import { type ReceivedEmail, type SmtpReceiver, startSmtpReceiver } from './smtp-receiver.ts';

export interface MailingPagesServer {
  /** Set by the suite's `beforeAll`; read it inside tests only. */
  readonly server: TestServer;
  readonly smtp: SmtpReceiver;
  /** Settles background sends, delivers what the outbox holds and returns the emails `to` received. */
  deliver(to: string): Promise<ReceivedEmail[]>;
  /** The user the browser's client cookie is signed in as, if any. */
  signedInUserId(c: PageClient): Promise<string | null>;
}

/**
 * Registers the suite hooks for a server behind the hosted pages that mails to a real SMTP
 * receiver, with the outbox drained by hand (`deliver`) and time on `clock`. TRUST_PROXY lets each
 * test browser come from its own address, so per-IP limits only bite where a test means them to.
 */
export function mailingPagesServer(backend: Backend, clock: Clock): MailingPagesServer {
  let server: TestServer;
  let smtp: SmtpReceiver;
  beforeAll(async () => {
    smtp = await startSmtpReceiver();
    server = await startServer(backend, { SMTP_URL: smtp.url, EMAIL_FROM: 'Latchkey <no-reply@example.com>', TRUST_PROXY: 'true' }, { clock, delivery: { autoStart: false } });
  });
  afterAll(async () => {
    await server?.close();
    await smtp?.close();
  });

  return {
    get server() {
      return server;
    },
    get smtp() {
      return smtp;
    },
    async deliver(to) {
      await server.app.services.passwordReset.settle();
      await server.app.delivery.drain();
      return smtp.messages.filter((m) => m.rcptTo.some((r) => r.toLowerCase() === to.toLowerCase()));
    },
    async signedInUserId(c) {
      const token = c.cookie('__latchkey_client');
      if (!token) return null;
      const sessions = (server.app.services as unknown as { sessions: SessionService }).sessions;
      return (await sessions.lastActiveSession((await sessions.clientFromToken(token)).id))?.userId ?? null;
    },
  };
}
