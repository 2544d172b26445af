import { Type } from 'typebox';
import type { Client, Session } from '../../../core/sessions/types.ts';
import { Nullable } from './schemas.ts';

const Timestamp = Type.Integer({ description: 'Unix time in milliseconds' });

export const SessionSchema = Type.Object(
  {
    object: Type.Literal('session'),
    id: Type.String(),
    user_id: Type.String(),
    client_id: Type.String(),
    actor: Nullable(Type.Object({}, { additionalProperties: true, description: 'Who acts for the user in an impersonation session: `{sub}`.' })),
    status: Type.String({ enum: ['active', 'revoked', 'ended', 'expired', 'removed', 'abandoned'] }),
    last_active_organization_id: Nullable(Type.String()),
    last_active_at: Timestamp,
    expire_at: Timestamp,
    abandon_at: Timestamp,
    updated_at: Timestamp,
    created_at: Timestamp,
  },
  { $id: 'ClerkSession', additionalProperties: false },
);

export const ClientSchema = Type.Object(
  {
    object: Type.Literal('client'),
    id: Type.String(),
    session_ids: Type.Array(Type.String()),
    sessions: Type.Array(Type.Ref('ClerkSession')),
    sign_in_attempt_id: Nullable(Type.String()),
    sign_up_attempt_id: Nullable(Type.String()),
    sign_in_id: Nullable(Type.String()),
    sign_up_id: Nullable(Type.String()),
    last_active_session_id: Nullable(Type.String()),
    updated_at: Timestamp,
    created_at: Timestamp,
  },
  { $id: 'ClerkClient', additionalProperties: false },
);

/** Registered once on the dialect beside the other shared schemas. */
export const SESSION_SCHEMAS = [SessionSchema, ClientSchema];

const ms = (d: Date) => d.getTime();

export function toClerkSession(s: Session) {
  return {
    object: 'session' as const,
    id: s.id,
    user_id: s.userId,
    client_id: s.clientId,
    actor: s.actor,
    status: s.status,
    last_active_organization_id: s.lastActiveOrganizationId,
    last_active_at: ms(s.lastActiveAt),
    expire_at: ms(s.expireAt),
    abandon_at: ms(s.abandonAt),
    updated_at: ms(s.updatedAt),
    created_at: ms(s.createdAt),
  };
}

/** A client lists only its live sessions, newest first (ended or revoked ones have left it). */
export function toClerkClient(c: Client) {
  return {
    object: 'client' as const,
    id: c.id,
    session_ids: c.sessionIds,
    sessions: c.sessions.map(toClerkSession),
    // The deprecated *_attempt_id fields carry the same values, as Clerk still sends them.
    sign_in_attempt_id: c.signInId,
    sign_up_attempt_id: c.signUpId,
    sign_in_id: c.signInId,
    sign_up_id: c.signUpId,
    last_active_session_id: c.lastActiveSessionId,
    updated_at: ms(c.updatedAt),
    created_at: ms(c.createdAt),
  };
}
