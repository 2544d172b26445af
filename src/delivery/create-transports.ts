import type { DeliveryConfig } from '../config.ts';
import type { Channel } from '../core/delivery/outbox.ts';
import { createSmtpTransport } from './smtp-transport.ts';
import { type DeliveryLog, logTransport, type Transport } from './transport.ts';
import { createTwilioProvider } from './twilio-sms.ts';

/** The transport of each channel, as configured: a real one, or the log. */
export function createTransports(config: DeliveryConfig, log: DeliveryLog): Record<Channel, Transport> {
  return {
    email: config.smtpUrl ? createSmtpTransport({ url: config.smtpUrl }) : logTransport('email', log, 'SMTP_URL is not set'),
    sms: config.smsProvider === 'twilio' && config.twilio ? createTwilioProvider(config.twilio) : logTransport('sms', log, 'SMS_PROVIDER is log'),
  };
}
