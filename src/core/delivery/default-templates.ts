import type { Channel, TemplateSlug } from './outbox.ts';

/** A system template: what Latchkey sends until an administrator customises it. */
export interface TemplateDefault {
  channel: Channel;
  slug: TemplateSlug;
  name: string;
  /** Email only. */
  subject: string | null;
  /** Handlebars source: HTML for email (values are escaped), text for SMS. */
  body: string;
  /** Variables the body must keep: without them the message is useless. */
  requiredVariables: string[];
  availableVariables: string[];
  /** What `preview` renders with. */
  sample: Record<string, string>;
}

/** When the system templates "were created", for their timestamps. */
export const SYSTEM_TEMPLATES_AT = new Date('2026-01-01T00:00:00Z');

const SAMPLE = {
  app_name: 'Latchkey',
  first_name: 'Ada',
  email_address: 'ada@example.com',
  phone_number: '+15555550100',
  otp_code: '123456',
  expires_in_minutes: '10',
  action_url: 'https://example.com/verify?token=sample-token',
  inviter_name: 'Grace Hopper',
  organization_name: 'Analytical Engines',
  changed_at: '2026-01-01 09:30 UTC',
  sign_in_at: '2026-01-01 09:30 UTC',
  device: 'Firefox on Linux',
  ip_address: '203.0.113.7',
  location: 'London, United Kingdom',
};

type Variable = keyof typeof SAMPLE;

function pick(names: Variable[]): Record<string, string> {
  return Object.fromEntries(names.map((n) => [n, SAMPLE[n]]));
}

const greeting = '<p>{{#if first_name}}Hi {{first_name}},{{else}}Hello,{{/if}}</p>';
const ignore = '<p>If you did not ask for this, you can ignore this email.</p>';

function email(slug: TemplateSlug, name: string, subject: string, body: string, required: Variable[], available: Variable[]): TemplateDefault {
  const all: Variable[] = ['app_name', ...available.filter((v) => v !== 'app_name')];
  return { channel: 'email', slug, name, subject, body, requiredVariables: required, availableVariables: all, sample: pick(all) };
}

function sms(slug: TemplateSlug, name: string, body: string, required: Variable[], available: Variable[]): TemplateDefault {
  const all: Variable[] = ['app_name', ...available.filter((v) => v !== 'app_name')];
  return { channel: 'sms', slug, name, subject: null, body, requiredVariables: required, availableVariables: all, sample: pick(all) };
}

/**
 * The system templates, in listing order. Callers of `Outbox.enqueue` pass the variables in
 * `data`; `app_name` is filled in by the outbox.
 */
export const DEFAULT_TEMPLATES: TemplateDefault[] = [
  email(
    'verification_code',
    'Verification code',
    '{{app_name}} verification code',
    `${greeting}<p>Your {{app_name}} verification code is:</p><p style="font-size:24px;font-weight:bold;letter-spacing:4px">{{otp_code}}</p><p>It expires in {{expires_in_minutes}} minutes.</p>${ignore}`,
    ['otp_code'],
    ['first_name', 'email_address', 'otp_code', 'expires_in_minutes'],
  ),
  email(
    'verification_link',
    'Verification link',
    'Verify your email address for {{app_name}}',
    `${greeting}<p>Confirm your email address for {{app_name}} by opening this link:</p><p><a href="{{action_url}}">Verify email address</a></p><p>It expires in {{expires_in_minutes}} minutes.</p>${ignore}`,
    ['action_url'],
    ['first_name', 'email_address', 'action_url', 'expires_in_minutes'],
  ),
  email(
    'reset_password_code',
    'Reset password code',
    '{{app_name}} password reset code',
    `${greeting}<p>Use this code to reset your {{app_name}} password:</p><p style="font-size:24px;font-weight:bold;letter-spacing:4px">{{otp_code}}</p>{{#if action_url}}<p>Or open <a href="{{action_url}}">this link</a> to choose a new password.</p>{{/if}}<p>It expires in {{expires_in_minutes}} minutes.</p>${ignore}`,
    ['otp_code'],
    ['first_name', 'email_address', 'otp_code', 'action_url', 'expires_in_minutes'],
  ),
  email(
    'password_changed',
    'Password changed',
    'Your {{app_name}} password was changed',
    `${greeting}<p>The password of your {{app_name}} account was changed{{#if changed_at}} on {{changed_at}}{{/if}}.</p><p>If you did not do this, reset your password now and contact support.</p>`,
    [],
    ['first_name', 'email_address', 'changed_at'],
  ),
  email(
    'invitation',
    'Invitation',
    "You're invited to {{app_name}}",
    `<p>{{#if inviter_name}}{{inviter_name}} has invited you{{else}}You have been invited{{/if}} to join {{app_name}}.</p><p><a href="{{action_url}}">Accept the invitation</a></p>`,
    ['action_url'],
    ['email_address', 'action_url', 'inviter_name'],
  ),
  email(
    'organization_invitation',
    'Organization invitation',
    'Join {{organization_name}} on {{app_name}}',
    `<p>{{#if inviter_name}}{{inviter_name}} has invited you{{else}}You have been invited{{/if}} to join {{organization_name}} on {{app_name}}.</p><p><a href="{{action_url}}">Accept the invitation</a></p>`,
    ['action_url'],
    ['email_address', 'action_url', 'inviter_name', 'organization_name'],
  ),
  email(
    'magic_link',
    'Magic link',
    'Sign in to {{app_name}}',
    `${greeting}<p>Open this link to sign in to {{app_name}}:</p><p><a href="{{action_url}}">Sign in</a></p><p>It expires in {{expires_in_minutes}} minutes and works once.</p>${ignore}`,
    ['action_url'],
    ['first_name', 'email_address', 'action_url', 'expires_in_minutes'],
  ),
  email(
    'new_device_sign_in',
    'Sign in from a new device',
    'New sign-in to your {{app_name}} account',
    `${greeting}<p>Your {{app_name}} account was signed in to from a new device.</p><ul><li>When: {{sign_in_at}}</li><li>Device: {{device}}</li><li>IP address: {{ip_address}}</li>{{#if location}}<li>Location: {{location}}</li>{{/if}}</ul><p>If this was not you, change your password now.</p>`,
    [],
    ['first_name', 'email_address', 'sign_in_at', 'device', 'ip_address', 'location'],
  ),
  sms('verification_code', 'Verification code', '{{otp_code}} is your {{app_name}} verification code.', ['otp_code'], ['phone_number', 'otp_code', 'expires_in_minutes']),
  sms('reset_password_code', 'Reset password code', '{{otp_code}} is your {{app_name}} password reset code.', ['otp_code'], ['phone_number', 'otp_code', 'expires_in_minutes']),
  sms('password_changed', 'Password changed', 'Your {{app_name}} password was changed. If this was not you, reset it now.', [], ['phone_number', 'changed_at']),
  sms('invitation', 'Invitation', "You're invited to {{app_name}}: {{action_url}}", ['action_url'], ['phone_number', 'action_url', 'inviter_name']),
  sms('magic_link', 'Magic link', 'Sign in to {{app_name}}: {{action_url}}', ['action_url'], ['phone_number', 'action_url', 'expires_in_minutes']),
];

/** The system template for a channel and slug, if that message exists on that channel. */
export function defaultTemplate(channel: Channel, slug: string): TemplateDefault | undefined {
  return DEFAULT_TEMPLATES.find((t) => t.channel === channel && t.slug === slug);
}
