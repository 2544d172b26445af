import { maskSecrets } from '../core/delivery/template-engine.ts';
import type { Channel } from '../core/delivery/outbox.ts';

/** A claimed message, as a transport sends it. */
export interface OutgoingMessage {
  id: string;
  channel: Channel;
  to: string;
  from: string;
  subject: string | null;
  /** HTML for email, text for SMS. */
  body: string;
  bodyPlain: string | null;
  /** Values the transport must mask if it logs anything. */
  secrets: string[];
}

/**
 * Sends one channel's messages: SMTP for email, an SMS provider for SMS. `send` resolves once the
 * provider accepted the message and throws a `DeliveryError` otherwise.
 */
export interface Transport {
  readonly name: string;
  /** False for transports that only log: their messages end `undelivered`, body kept. */
  readonly delivers: boolean;
  send(message: OutgoingMessage): Promise<{ providerId: string | null }>;
  close?(): Promise<void> | void;
}

/** An SMS provider is a transport for the `sms` channel. */
export type SmsProvider = Transport;

/** A failed attempt. Permanent failures (the recipient was refused) are not retried. */
export class DeliveryError extends Error {
  readonly permanent: boolean;
  constructor(message: string, permanent: boolean) {
    super(message);
    this.name = 'DeliveryError';
    this.permanent = permanent;
  }
}

/** The part of a pino logger delivery uses, so tests can capture the lines. */
export interface DeliveryLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/**
 * A transport that writes messages to the log instead of sending them: the default without
 * SMTP_URL, and the default SMS provider. Codes and links are masked; the full message stays in
 * the outbox for `latchkey outbox list`.
 */
export function logTransport(channel: Channel, log: DeliveryLog, reason: string): Transport {
  return {
    name: 'log',
    delivers: false,
    async send(m) {
      const mask = (s: string | null) => (s === null ? null : maskSecrets(s, m.secrets));
      log.info(
        { message_id: m.id, channel, to: m.to, from: m.from, subject: mask(m.subject), body: mask(m.bodyPlain ?? m.body) },
        `${channel} message not delivered (${reason}); it stays in the outbox`,
      );
      return { providerId: null };
    },
  };
}
