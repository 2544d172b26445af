import type { Channel, MessageStatus, TemplateSlug } from './outbox.ts';

/**
 * One outbox row. `body` holds the rendered message until it is delivered, then it is cleared:
 * it may contain one-time codes and links.
 */
export interface MessageRecord {
  id: string;
  channel: Channel;
  /** The template it was rendered from; null for a message written through the API. */
  template: TemplateSlug | null;
  /** An email address or an E.164 phone number. */
  to: string;
  /** The From address (email) or number (SMS) chosen when it was enqueued. */
  sender: string;
  subject: string | null;
  /** HTML for email, text for SMS. */
  body: string | null;
  /** The plain-text alternative of an email. */
  bodyPlain: string | null;
  /** Values to mask wherever the message is logged; cleared with the body. */
  secrets: string[];
  status: MessageStatus;
  /** Delivery attempts started so far. */
  attempts: number;
  /** When a queued message is due, or when a claimed one's lease runs out. */
  nextAttemptAt: Date;
  lastError: string | null;
  /** The provider's id for it: the SMTP message id or the SMS provider's. */
  providerId: string | null;
  userId: string | null;
  identifierId: string | null;
  createdAt: Date;
  updatedAt: Date;
  sentAt: Date | null;
}

export type NewMessageRecord = Omit<MessageRecord, 'attempts' | 'lastError' | 'providerId' | 'sentAt' | 'updatedAt'>;

/** How one delivery attempt ended; written only if the attempt still owns the row. */
export interface Settlement {
  status: Exclude<MessageStatus, 'sending'>;
  at: Date;
  /** For a retry: when it is due again. */
  nextAttemptAt?: Date;
  lastError?: string | null;
  providerId?: string | null;
  /** Replaces the stored content, so that codes do not outlive delivery. */
  content?: { subject: string | null; body: string | null; bodyPlain: string | null };
  clearSecrets?: boolean;
}

export interface MessageStore {
  insert(message: NewMessageRecord): Promise<void>;
  find(id: string): Promise<MessageRecord | null>;
  /** Newest first. */
  listRecent(limit: number): Promise<MessageRecord[]>;
  /**
   * Claims up to `limit` messages that are due at `now` (queued, or claimed by a worker whose
   * lease ran out): marks them `sending` until `leaseUntil` and counts an attempt. Concurrent
   * callers, in this process or another, never get the same message.
   */
  claimDue(now: Date, leaseUntil: Date, limit: number): Promise<MessageRecord[]>;
  /** Records how attempt number `attempt` ended; false when the row is no longer that attempt's. */
  settle(id: string, attempt: number, outcome: Settlement): Promise<boolean>;
  /**
   * Records several deliveries in one statement: `sent`, body and secrets cleared, `subject`
   * (already masked) stored. Returns the ids that were still those attempts' to record.
   */
  markSent(delivered: Array<{ id: string; attempt: number; providerId: string | null; subject: string | null }>, at: Date): Promise<string[]>;
}

/** An administrator's version of a system template. */
export interface TemplateOverride {
  channel: Channel;
  slug: TemplateSlug;
  name: string;
  subject: string | null;
  body: string;
  markup: string;
  /** Local part of the From address (email only); null keeps the configured one. */
  fromEmailName: string | null;
  /** False: Latchkey records the message but does not send it. */
  deliveredByClerk: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface TemplateStore {
  find(channel: Channel, slug: TemplateSlug): Promise<TemplateOverride | null>;
  list(channel: Channel): Promise<TemplateOverride[]>;
  /** Inserts or replaces; the first `createdAt` is kept. Returns the stored row. */
  upsert(template: TemplateOverride): Promise<TemplateOverride>;
  delete(channel: Channel, slug: TemplateSlug): Promise<boolean>;
}
