import type { Transporter } from 'nodemailer';
import { DeliveryError, type Transport } from './transport.ts';

export interface SmtpOptions {
  /** `smtp://user:pass@host:587` or `smtps://...`; nodemailer reads further options from its query. */
  url: string;
  /** Connections kept open to the server; messages are sent over them in parallel. */
  maxConnections?: number;
}

interface SmtpFailure {
  code?: string;
  responseCode?: number;
  response?: string;
  message?: string;
}

/** What nodemailer reports, as one line without the credentials it might echo. */
function describe(e: SmtpFailure): string {
  const detail = (e.response ?? e.message ?? String(e)).replace(/\s+/g, ' ').trim();
  return e.code ? `${e.code}: ${detail}` : detail;
}

/**
 * A server's 5xx answer to the envelope or the message is final: that recipient or that message
 * will not be accepted by retrying. Connection, authentication and 4xx failures are retried.
 */
function isPermanent(e: SmtpFailure): boolean {
  return (e.code === 'EENVELOPE' || e.code === 'EMESSAGE') && typeof e.responseCode === 'number' && e.responseCode >= 500;
}

/** Email over SMTP, through a small pool of reused connections. */
export function createSmtpTransport(options: SmtpOptions): Transport {
  // nodemailer is loaded on the first message: an instance that never mails never pays its memory.
  let mailer: Transporter | undefined;
  const connect = async () => {
    const nodemailer = (await import('nodemailer')).default;
    return nodemailer.createTransport({
    url: options.url,
    pool: true,
    maxConnections: options.maxConnections ?? 5,
    maxMessages: 500,
    // Bounded waits, well inside the worker's lease on a claimed message.
    connectionTimeout: 15_000,
    greetingTimeout: 15_000,
    socketTimeout: 60_000,
  });
  };
  return {
    name: 'smtp',
    delivers: true,
    async send(m) {
      try {
        mailer ??= await connect();
        const info = await mailer.sendMail({
          from: m.from,
          to: m.to,
          subject: m.subject ?? '',
          html: m.body,
          ...(m.bodyPlain ? { text: m.bodyPlain } : {}),
          // Lets a receiving system tie the message to its outbox row.
          headers: { 'X-Latchkey-Message-Id': m.id },
        });
        return { providerId: typeof info.messageId === 'string' ? info.messageId : null };
      } catch (e) {
        throw new DeliveryError(describe(e as SmtpFailure), isPermanent(e as SmtpFailure));
      }
    },
    close() {
      mailer?.close();
    },
  };
}
