import type { MessageRecord } from '../core/delivery/message-store.ts';
import type { Store } from '../core/store.ts';

/** One message for a developer's terminal: metadata, then the content if it is still stored. */
export function formatMessage(m: MessageRecord): string {
  const lines = [
    `${m.id}  ${m.channel}  ${m.status}  attempts ${m.attempts}  ${m.createdAt.toISOString()}`,
    `  to: ${m.to}  from: ${m.sender}${m.template ? `  template: ${m.template}` : ''}`,
  ];
  if (m.sentAt) lines.push(`  sent: ${m.sentAt.toISOString()}${m.providerId ? `  provider id: ${m.providerId}` : ''}`);
  if (m.status === 'queued' && m.attempts > 0) lines.push(`  next attempt: ${m.nextAttemptAt.toISOString()}`);
  if (m.lastError) lines.push(`  last error: ${m.lastError}`);
  if (m.subject !== null) lines.push(`  subject: ${m.subject}`);
  const content = m.bodyPlain ?? m.body;
  // Delivered messages keep no body: it may have held a one-time code.
  if (content === null) lines.push('  (body cleared after delivery)');
  else lines.push('', ...content.split('\n').map((l) => `    ${l}`));
  return `${lines.join('\n')}\n`;
}

/**
 * `latchkey outbox list [n]`: the n most recent messages (20 by default), newest first, with
 * their bodies. It reads the operator's own database, so codes in undelivered messages show.
 */
export async function outboxCommand(args: string[], store: Store, write: (s: string) => void): Promise<boolean> {
  const [sub, arg] = args;
  if (sub !== 'list') return false;
  const limit = arg === undefined ? 20 : Number(arg);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new Error('outbox list takes a count from 1 to 1000');
  const messages = await store.messages.listRecent(limit);
  if (messages.length === 0) write('the outbox is empty\n');
  for (const m of messages) write(`${formatMessage(m)}\n`);
  return true;
}
