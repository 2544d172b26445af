import type { Store } from '../store.ts';

export type Channel = 'email' | 'sms';
export type MessageStatus = 'queued' | 'sending' | 'sent' | 'failed' | 'undelivered';

/**
 * The system messages Latchkey sends; each has a default template for email and/or SMS (see
 * `DEFAULT_TEMPLATES` in default-templates.ts for the variables each one uses). Codes go in
 * `data.otp_code` (verification_code, reset_password_code) and links in `data.action_url`
 * (verification_link, invitation, organization_invitation, magic_link); enqueue refuses a message
 * without its required variables. `app_name` is filled in.
 */
export const TEMPLATE_SLUGS = [
  'verification_code',
  'verification_link',
  'reset_password_code',
  'password_changed',
  'invitation',
  'organization_invitation',
  'magic_link',
  'new_device_sign_in',
] as const;
export type TemplateSlug = (typeof TEMPLATE_SLUGS)[number];

/** A message to deliver, rendered from a template with `data`. */
export interface NewMessage {
  channel: Channel;
  /** An email address or an E.164 phone number. */
  to: string;
  template: TemplateSlug;
  data: Record<string, unknown>;
  /** Values (codes, links) masked wherever the message is logged. */
  secrets: string[];
  userId?: string | null;
  /** The email address or phone number identifier the message concerns, if any. */
  identifierId?: string | null;
}

/**
 * The durable outbox: a message is enqueued in the same transaction as the change that causes
 * it, and a worker delivers it later with retries. Nothing is sent if the transaction rolls back.
 */
export interface Outbox {
  enqueue(tx: Store, message: NewMessage): Promise<{ id: string; status: MessageStatus }>;
}
