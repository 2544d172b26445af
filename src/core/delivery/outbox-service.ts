import type { Clock } from '../clock.ts';
import { DomainError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { Store } from '../store.ts';
import type { MessageRecord } from './message-store.ts';
import type { Channel, MessageStatus, NewMessage, Outbox, TemplateSlug } from './outbox.ts';
import { htmlToText, oneLine, renderTemplate, type RenderedMessage } from './template-engine.ts';
import type { Template, TemplateService } from './template-service.ts';

export interface OutboxDeps {
  store: Store;
  clock: Clock;
  templates: TemplateService;
  /** EMAIL_FROM (`Name <local@domain>` or `local@domain`) and SMS_FROM. */
  senders: { email: string; sms: string };
  /** Fills `{{app_name}}`. */
  appName: string;
  /** Told after a message is committed, so a worker can deliver it without waiting to poll. */
  notify?: () => void;
}

export interface SendEmailInput {
  emailAddressId?: string | null;
  subject?: string | null;
  body?: string | null;
  templateSlug?: string | null;
  fromEmailName?: string;
}

export interface SendSmsInput {
  phoneNumberId?: string | null;
  message?: string | null;
}

/**
 * `from` with its local part replaced: `Acme <no-reply@acme.test>` + `billing` gives
 * `Acme <billing@acme.test>`.
 */
export function withLocalPart(from: string, local: string | null | undefined): string {
  if (!local) return from;
  const at = addressStart(from);
  return from.slice(0, at) + from.slice(at).replace(/[^\s<>@]+@/, `${local}@`);
}

/** The local part of a From address: `Acme <no-reply@acme.test>` gives `no-reply`. */
export function localPart(from: string): string {
  return /([^\s<>@]+)@/.exec(from.slice(addressStart(from)))?.[1] ?? '';
}

/** Where the address begins: after the display name, which may itself contain an `@`. */
function addressStart(from: string): number {
  return Math.max(0, from.lastIndexOf('<'));
}

/** Enqueues messages in the outbox: the core's `Outbox`, plus the admin API's direct sends. */
export function createOutboxService(deps: OutboxDeps) {
  const { store, clock, templates } = deps;

  async function insert(
    tx: Store,
    m: { channel: Channel; to: string; template: TemplateSlug | null; rendered: RenderedMessage; secrets: string[]; userId: string | null; identifierId: string | null; fromName?: string | null; hold?: boolean },
  ): Promise<MessageRecord> {
    const now = clock.now();
    const record: MessageRecord = {
      id: newId(m.channel === 'email' ? 'ema' : 'sms'),
      channel: m.channel,
      template: m.template,
      to: m.to,
      sender: m.channel === 'email' ? withLocalPart(deps.senders.email, m.fromName) : deps.senders.sms,
      subject: m.rendered.subject,
      body: m.rendered.body,
      bodyPlain: m.rendered.bodyPlain,
      secrets: [...new Set(m.secrets.filter((s) => s.length > 0))],
      // A template an administrator set not to be delivered is recorded, never sent.
      status: m.hold ? 'undelivered' : 'queued',
      attempts: 0,
      nextAttemptAt: now,
      lastError: null,
      providerId: null,
      userId: m.userId,
      identifierId: m.identifierId,
      createdAt: now,
      updatedAt: now,
      sentAt: null,
    };
    await tx.messages.insert(record);
    return record;
  }

  function render(t: Template, data: Record<string, unknown>): RenderedMessage {
    const missing = t.requiredVariables.filter((v) => data[v] === undefined || data[v] === null || data[v] === '');
    if (missing.length > 0) {
      throw new DomainError('template_variable_missing', `The ${t.channel} template ${t.slug} needs ${missing.join(', ')}.`, { param: 'template_slug', missing });
    }
    return renderTemplate(t.channel, t, data);
  }

  const outbox: Outbox = {
    async enqueue(tx: Store, message: NewMessage): Promise<{ id: string; status: MessageStatus }> {
      const t = await templates.resolve(tx, message.channel, message.template);
      const rendered = render(t, { ...message.data, app_name: message.data.app_name ?? deps.appName });
      const r = await insert(tx, {
        channel: message.channel,
        to: message.to,
        template: message.template,
        rendered,
        secrets: message.secrets,
        userId: message.userId ?? null,
        identifierId: message.identifierId ?? null,
        fromName: t.fromEmailName,
        hold: !t.deliveredByClerk,
      });
      // Inside the caller's transaction the row is not visible yet; the worker's poll finds it.
      deps.notify?.();
      return { id: r.id, status: r.status };
    },
  };

  async function identifierFor(id: string | null | undefined, type: 'email_address' | 'phone_number', param: string) {
    if (!id) throw new DomainError('param_missing', `${param} is required.`, { param });
    const ident = await store.users.findIdentifier(id);
    if (!ident || ident.type !== type) throw new DomainError('identifier_not_found', `No ${type.replace('_', ' ')} was found with id ${id}.`, { param });
    return ident;
  }

  return {
    ...outbox,

    /** POST /emails: a raw email, or one rendered from a template that needs no per-message values. */
    async sendEmail(input: SendEmailInput): Promise<MessageRecord> {
      const ident = await identifierFor(input.emailAddressId, 'email_address', 'email_address_id');
      const record = await store.transaction(async (tx) => {
        let rendered: RenderedMessage;
        let template: Template | null = null;
        if (input.body) {
          if (!input.subject) throw new DomainError('param_missing', 'subject is required with body.', { param: 'subject' });
          rendered = { subject: oneLine(input.subject), body: input.body, bodyPlain: htmlToText(input.body) };
        } else if (input.templateSlug) {
          template = await templates.resolve(tx, 'email', input.templateSlug);
          const user = await tx.users.findById(ident.userId);
          rendered = render(template, { app_name: deps.appName, email_address: ident.value, first_name: user?.firstName ?? '' });
          if (input.subject) rendered.subject = oneLine(input.subject);
        } else {
          throw new DomainError('param_missing', 'Either body or template_slug is required.', { param: 'body' });
        }
        return insert(tx, {
          channel: 'email',
          to: ident.value,
          template: template?.slug ?? null,
          rendered,
          secrets: [],
          userId: ident.userId,
          identifierId: ident.id,
          fromName: input.fromEmailName ?? template?.fromEmailName,
          hold: template ? !template.deliveredByClerk : false,
        });
      });
      deps.notify?.();
      return record;
    },

    /** POST /sms_messages: a text to a verified phone number. */
    async sendSms(input: SendSmsInput): Promise<MessageRecord> {
      const ident = await identifierFor(input.phoneNumberId, 'phone_number', 'phone_number_id');
      if (!input.message) throw new DomainError('param_missing', 'message is required.', { param: 'message' });
      if (!ident.verified) throw new DomainError('identifier_unverified', 'SMS messages are sent only to verified phone numbers.', { param: 'phone_number_id' });
      const body = input.message;
      const record = await store.transaction((tx) =>
        insert(tx, { channel: 'sms', to: ident.value, template: null, rendered: { subject: null, body, bodyPlain: null }, secrets: [], userId: ident.userId, identifierId: ident.id }),
      );
      deps.notify?.();
      return record;
    },

    get: (id: string): Promise<MessageRecord | null> => store.messages.find(id),

    listRecent: (limit: number) => store.messages.listRecent(limit),
  };
}

export type OutboxService = ReturnType<typeof createOutboxService>;
