import type { MessageRecord } from '../../../core/delivery/message-store.ts';
import { localPart } from '../../../core/delivery/outbox-service.ts';
import type { TemplatePreview, Template } from '../../../core/delivery/template-service.ts';

/** Whether Latchkey itself sends it: false for messages only recorded (log transport, held template). */
const deliveredByLatchkey = (m: MessageRecord) => m.status !== 'undelivered';

/** An outbox email in Clerk's `Email` shape. The body is empty once delivered (it is not kept). */
export function toClerkEmail(m: MessageRecord) {
  return {
    object: 'email' as const,
    id: m.id,
    slug: m.template,
    from_email_name: localPart(m.sender),
    email_address_id: m.identifierId,
    to_email_address: m.to,
    user_id: m.userId,
    subject: m.subject ?? '',
    body: m.body ?? '',
    body_plain: m.bodyPlain,
    status: m.status,
    data: null,
    delivered_by_clerk: deliveredByLatchkey(m),
  };
}

/** An outbox SMS in Clerk's `SMSMessage` shape. */
export function toClerkSmsMessage(m: MessageRecord) {
  return {
    object: 'sms_message' as const,
    id: m.id,
    slug: m.template,
    from_phone_number: m.sender,
    to_phone_number: m.to,
    phone_number_id: m.identifierId,
    user_id: m.userId,
    message: m.body ?? '',
    status: m.status,
    data: null,
    delivered_by_clerk: deliveredByLatchkey(m),
  };
}

export function toClerkTemplate(t: Template) {
  return {
    id: t.id,
    object: 'template' as const,
    instance_id: null,
    resource_type: t.customised ? 'user' : 'system',
    template_type: t.channel,
    name: t.name,
    slug: t.slug,
    position: t.position,
    // System templates cannot be deleted, only customised and reverted.
    can_revert: t.customised,
    can_delete: false,
    subject: t.subject,
    markup: t.markup,
    body: t.body,
    available_variables: t.availableVariables,
    required_variables: t.requiredVariables,
    ...(t.fromEmailName !== null ? { from_email_name: t.fromEmailName } : {}),
    delivered_by_clerk: t.deliveredByClerk,
    updated_at: t.updatedAt.getTime(),
    created_at: t.createdAt.getTime(),
  };
}

export function toClerkTemplatePreview(p: TemplatePreview) {
  return { subject: p.subject, body: p.body, body_plain: p.bodyPlain, from_email_name: p.fromEmailName };
}
