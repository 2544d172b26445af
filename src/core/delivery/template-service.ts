import type { Clock } from '../clock.ts';
import { DomainError } from '../errors.ts';
import type { Store } from '../store.ts';
import { DEFAULT_TEMPLATES, defaultTemplate, SYSTEM_TEMPLATES_AT, type TemplateDefault } from './default-templates.ts';
import type { TemplateOverride } from './message-store.ts';
import type { Channel } from './outbox.ts';
import { type RenderedMessage, renderTemplate, templateVariables } from './template-engine.ts';

/**
 * A template as it is used: the system default, or the administrator's version of it (the
 * stored override's fields, plus what the default contributes).
 */
export interface Template extends TemplateOverride {
  /** Stable across updates and reverts: one template per channel and slug. */
  id: string;
  requiredVariables: string[];
  availableVariables: string[];
  /** Order within its channel's list. */
  position: number;
  /** True once an administrator changed it; `revert` goes back to the default. */
  customised: boolean;
}

export interface TemplateUpdate {
  name?: string;
  subject?: string | null;
  markup?: string | null;
  body?: string;
  deliveredByClerk?: boolean | null;
  fromEmailName?: string;
}

export interface TemplatePreviewInput {
  subject?: string | null;
  body?: string;
  fromEmailName?: string;
}

export interface TemplatePreview extends RenderedMessage {
  fromEmailName: string | null;
}

/** Valid local parts of an email address that Latchkey accepts as a From name. */
export const FROM_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/;

function notFound(channel: Channel, slug: string): DomainError {
  return new DomainError('template_not_found', `No ${channel} template has the slug ${slug}.`, { param: 'slug' });
}

/** The email and SMS templates of every message Latchkey sends, with their customisations. */
export function createTemplateService(deps: { store: Store; clock: Clock; defaultFromName: string }) {
  const { store, clock } = deps;

  function lookupDefault(channel: Channel, slug: string): TemplateDefault {
    const d = defaultTemplate(channel, slug);
    if (!d) throw notFound(channel, slug);
    return d;
  }

  function merge(d: TemplateDefault, o: TemplateOverride | null): Template {
    const position = DEFAULT_TEMPLATES.filter((t) => t.channel === d.channel).indexOf(d);
    return {
      id: `tmpl_${d.channel}_${d.slug}`,
      channel: d.channel,
      slug: d.slug,
      name: o?.name ?? d.name,
      subject: d.channel === 'email' ? (o?.subject ?? d.subject) : null,
      body: o?.body ?? d.body,
      markup: o?.markup ?? '',
      fromEmailName: d.channel === 'email' ? (o?.fromEmailName ?? deps.defaultFromName) : null,
      deliveredByClerk: o?.deliveredByClerk ?? true,
      requiredVariables: [...d.requiredVariables],
      availableVariables: [...d.availableVariables],
      position,
      customised: o !== null,
      createdAt: o?.createdAt ?? SYSTEM_TEMPLATES_AT,
      updatedAt: o?.updatedAt ?? SYSTEM_TEMPLATES_AT,
    };
  }

  /** Checks a body and subject, and that the body still uses every required variable. */
  function validate(d: TemplateDefault, subject: string | null, body: string): void {
    const used = templateVariables(body, 'body');
    if (subject !== null) templateVariables(subject, 'subject');
    const missing = d.requiredVariables.filter((v) => !used.has(v));
    if (missing.length > 0) {
      throw new DomainError('template_variable_missing', `The body must contain ${missing.map((v) => `{{${v}}}`).join(', ')}.`, {
        param: 'body',
        missing,
      });
    }
  }

  function checkChannelFields(channel: Channel, input: { subject?: string | null; fromEmailName?: string }): void {
    if (channel === 'sms' && input.subject) throw new DomainError('invalid_param', 'SMS templates have no subject.', { param: 'subject' });
    if (channel === 'sms' && input.fromEmailName !== undefined) {
      throw new DomainError('invalid_param', 'SMS templates have no from_email_name.', { param: 'from_email_name' });
    }
    if (input.fromEmailName !== undefined && !FROM_NAME_PATTERN.test(input.fromEmailName)) {
      throw new DomainError('invalid_param', 'from_email_name must be the local part of an email address, such as "notifications".', { param: 'from_email_name' });
    }
  }

  /** The template to render for a message, read inside the caller's transaction. */
  async function resolve(tx: Store, channel: Channel, slug: string): Promise<Template> {
    const d = lookupDefault(channel, slug);
    return merge(d, await tx.templates.find(channel, d.slug));
  }

  return {
    resolve,

    async list(channel: Channel): Promise<Template[]> {
      const overrides = new Map((await store.templates.list(channel)).map((o) => [o.slug, o]));
      return DEFAULT_TEMPLATES.filter((d) => d.channel === channel).map((d) => merge(d, overrides.get(d.slug) ?? null));
    },

    get: (channel: Channel, slug: string) => resolve(store, channel, slug),

    /** Creates or changes the customised version; fields left out keep their current value. */
    async update(channel: Channel, slug: string, input: TemplateUpdate): Promise<Template> {
      const d = lookupDefault(channel, slug);
      checkChannelFields(channel, input);
      if (channel === 'email' && input.subject === '') throw new DomainError('invalid_param', 'An email needs a subject.', { param: 'subject' });
      return store.transaction(async (tx) => {
        const current = await tx.templates.find(channel, d.slug);
        const base = merge(d, current);
        const subject = channel === 'email' ? (input.subject ?? base.subject) : null;
        const body = input.body ?? base.body;
        validate(d, subject, body);
        const now = clock.now();
        const saved = await tx.templates.upsert({
          channel,
          slug: d.slug,
          name: input.name ?? base.name,
          subject,
          body,
          markup: input.markup === undefined ? base.markup : (input.markup ?? ''),
          fromEmailName: channel === 'email' ? (input.fromEmailName ?? current?.fromEmailName ?? null) : null,
          deliveredByClerk: input.deliveredByClerk ?? base.deliveredByClerk,
          createdAt: current?.createdAt ?? now,
          updatedAt: now,
        });
        await tx.events.record({ type: 'template.updated', subjectId: base.id, payload: { channel, slug: d.slug }, at: now });
        return merge(d, saved);
      });
    },

    /** Drops the customisation, so the system default applies again. */
    async revert(channel: Channel, slug: string): Promise<Template> {
      const d = lookupDefault(channel, slug);
      return store.transaction(async (tx) => {
        if (await tx.templates.delete(channel, d.slug)) {
          await tx.events.record({ type: 'template.reverted', subjectId: `tmpl_${channel}_${d.slug}`, payload: { channel, slug: d.slug }, at: clock.now() });
        }
        return merge(d, null);
      });
    },

    /** Renders the current template, or the given subject and body, with sample values. */
    async preview(channel: Channel, slug: string, input: TemplatePreviewInput): Promise<TemplatePreview> {
      const d = lookupDefault(channel, slug);
      checkChannelFields(channel, input);
      const base = await resolve(store, channel, slug);
      const subject = channel === 'email' ? (input.subject ?? base.subject) : null;
      const body = input.body ?? base.body;
      templateVariables(body, 'body');
      if (subject !== null) templateVariables(subject, 'subject');
      const rendered = renderTemplate(channel, { subject, body }, d.sample);
      return { ...rendered, fromEmailName: channel === 'email' ? (input.fromEmailName ?? base.fromEmailName) : null };
    },
  };
}

export type TemplateService = ReturnType<typeof createTemplateService>;
