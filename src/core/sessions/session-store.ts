import type { Client, Session, SessionStatus } from './types.ts';

/**
 * A session row as stored: the contract's Session field for field. `status` is what happened to
 * it (active, ended, revoked, removed); whether an `active` row has expired or been abandoned by
 * now is decided on read, by `effectiveStatus` here and by the same rule in SQL for list filters.
 */
export type SessionRow = Session;

/** A client row as stored: the contract's Client without its sessions, which are read separately. */
export type ClientRow = Omit<Client, 'sessionIds' | 'sessions'>;

/** Why a session could not be inserted: the user is gone (or being deleted), banned or locked. */
export type SessionInsertRefusal = 'user_not_found' | 'user_banned' | 'user_locked';

/** What the sessions domain needs from storage. */
export interface SessionStore {
  /**
   * A sign-in in one statement: the session (and, with `newClient`, its new client) is inserted
   * only if its user exists, is not marked for deletion, banned or locked at `createdAt`; the
   * client's last active session, the user's `last_sign_in_at` (unless `signIn` is false, as for an
   * impersonation) and the `client.created`/`session.created` events are written with it. The
   * user row is updated first, so a ban, lock or deletion committing meanwhile is waited for and
   * then seen. With `clearFailures`, the same update clears the lockout count as
   * `LockoutStore.recordSuccess` does (only when the session is inserted). Returns null when
   * inserted, else why not.
   */
  openSession(input: { session: SessionRow; newClient: (ClientRow & { tokenHash: string }) | null; signIn: boolean; clearFailures?: boolean }): Promise<SessionInsertRefusal | null>;
  findSession(id: string): Promise<SessionRow | null>;
  /** Newest first; `status` compares the effective status at `now`. */
  listSessions(filter: { userId?: string; clientId?: string; status?: SessionStatus; now: Date; limit: number; offset: number }): Promise<{ rows: SessionRow[]; total: number }>;
  /** The client's sessions that are live at `now`, newest first, at most `limit`. */
  liveSessionsOfClients(clientIds: string[], now: Date, limit: number): Promise<SessionRow[]>;
  /**
   * Moves a session that is live at `at` to `status`; false if it is not live (or absent).
   * The condition is in the UPDATE, so of two concurrent changes exactly one wins.
   */
  endLive(id: string, status: 'ended' | 'revoked' | 'removed', at: Date): Promise<boolean>;
  /** Marks every session of the user that is live at `at` revoked; returns their ids. */
  revokeAllLive(userId: string, at: Date): Promise<string[]>;
  /**
   * Records activity in one statement: `last_active_at`/`abandon_at` of a session still active,
   * and the client's `last_active_session_id`. Skipped when the session was touched after
   * `touchedBefore` (another request just did it).
   */
  touch(id: string, at: Date, abandonAt: Date, touchedBefore: Date): Promise<void>;
  findClient(id: string): Promise<ClientRow | null>;
  findClientByTokenHash(tokenHash: string): Promise<ClientRow | null>;
  /** Newest first. */
  listClients(page: { limit: number; offset: number }): Promise<{ rows: ClientRow[]; total: number }>;
}

/**
 * The status a session has at `now`: past `expire_at` it is expired, else past `abandon_at`
 * abandoned (as the issue defines them); ended, revoked and removed stay what they are.
 */
export function effectiveStatus(s: Pick<SessionRow, 'status' | 'expireAt' | 'abandonAt'>, now: Date): SessionStatus {
  if (s.status !== 'active') return s.status;
  if (now >= s.expireAt) return 'expired';
  if (now >= s.abandonAt) return 'abandoned';
  return 'active';
}
