import { createHmac, timingSafeEqual } from 'node:crypto';
import { DomainError } from '../../../core/errors.ts';
import type { UserPosition } from '../../../core/users/types.ts';

const MAC_BYTES = 16;
const MAX_ID_LENGTH = 128;

/**
 * Opaque keyset cursors for the user list: the last user's (created_at, id), as base64url JSON,
 * then a truncated HMAC-SHA256 of it. The MAC makes any edit detectable, so a tampered cursor is a
 * 400 rather than a silent jump elsewhere in the list. The key is derived from the instance's
 * encryption key, which every node shares, so a cursor from one node works on the others.
 */
export function createCursorCodec(secret: Uint8Array) {
  const key = createHmac('sha256', secret).update('latchkey authress user cursor v1').digest();
  const mac = (payload: string) => createHmac('sha256', key).update(payload).digest().subarray(0, MAC_BYTES);

  function invalid(): DomainError {
    return new DomainError('invalid_param', 'The cursor is not one this server issued, or it was altered.', { param: 'cursor' });
  }

  return {
    encode(p: UserPosition): string {
      const payload = Buffer.from(JSON.stringify([p.createdAt.getTime(), p.id])).toString('base64url');
      return `${payload}.${mac(payload).toString('base64url')}`;
    },

    /** The position a cursor carries; `invalid_param` (param `cursor`) for anything else. */
    decode(cursor: string): UserPosition {
      const [payload, tag, extra] = cursor.split('.');
      if (extra !== undefined || !payload || !tag) throw invalid();
      const given = Buffer.from(tag, 'base64url');
      if (given.length !== MAC_BYTES || given.toString('base64url') !== tag || !timingSafeEqual(given, mac(payload))) throw invalid();
      let parsed: unknown;
      try {
        parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
      } catch {
        throw invalid();
      }
      // Only this server's own output gets here, but a key shared with an older version should
      // still not turn a surprise shape into a 500.
      if (!Array.isArray(parsed) || parsed.length !== 2) throw invalid();
      const [ms, id] = parsed as [unknown, unknown];
      if (!Number.isSafeInteger(ms) || typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH) throw invalid();
      const createdAt = new Date(ms as number);
      if (Number.isNaN(createdAt.getTime())) throw invalid();
      return { createdAt, id };
    },
  };
}

export type CursorCodec = ReturnType<typeof createCursorCodec>;
