/**
 * Sessions and clients, as the Clerk model has them: a client is one browser (or one API caller
 * that asked for a session), and each sign-in opens a session inside a client. Status changes
 * happen server-side; a session read after its lifetime is reported with the status it has by then.
 *
 * This file is the contract between the sessions service and its users (the hosted pages, the
 * OpenID provider, sign-in and actor tokens, the Clerk routes); the service lives beside it.
 */
export type SessionStatus = 'active' | 'ended' | 'revoked' | 'expired' | 'abandoned' | 'removed';

/** Who acts when an admin impersonates a user (actor tokens); carried as `act` in session tokens. */
export type Actor = { sub: string } & Record<string, unknown>;

export interface Session {
  id: string; // sess_...
  userId: string;
  clientId: string;
  actor: Actor | null;
  status: SessionStatus;
  lastActiveOrganizationId: string | null;
  lastActiveAt: Date;
  /** Absolute end of life. */
  expireAt: Date;
  /** Idle end of life; moves forward with activity, never past `expireAt`. */
  abandonAt: Date;
  createdAt: Date;
  updatedAt: Date;
}

export interface Client {
  id: string; // client_...
  sessionIds: string[];
  sessions: Session[];
  lastActiveSessionId: string | null;
  signInId: string | null;
  signUpId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface SessionLifetimes {
  /** Absolute lifetime in seconds (LATCHKEY_SESSION_LIFETIME, default 7 days). */
  maxSeconds: number;
  /** Inactivity lifetime in seconds (LATCHKEY_SESSION_IDLE_TIMEOUT, default 7 days). */
  idleSeconds: number;
}

export interface CreateSessionInput {
  userId: string;
  /** An existing client to add the session to; a new client is created when absent. */
  clientId?: string;
  actor?: Actor | null;
  /** Shortens the absolute lifetime (actor tokens' session_max_duration_in_seconds). */
  maxSeconds?: number;
  /**
   * A password sign-in whose lockout count is still raised (SignInResult's `clearFailures`): the
   * session's statement clears it, and a refused session clears it on its own.
   */
  clearFailures?: boolean;
}

export interface CreatedSession {
  session: Session;
  client: Client;
  /**
   * The browser's client token: 256 bits, shown once, stored as SHA-256. Present only when a new
   * client was created. The hosted pages keep it in the `__latchkey_client` cookie;
   * `POST /v1/clients/verify` accepts it.
   */
  clientToken?: string;
}

export interface SessionListFilter {
  userId?: string;
  clientId?: string;
  status?: SessionStatus;
  limit: number;
  offset: number;
}

/** Why sessions were revoked; recorded on the domain event. */
export type RevocationReason = 'admin' | 'ban' | 'delete' | 'lock' | 'password_reset' | 'sign_out' | 'security';

export interface SessionService {
  create(input: CreateSessionInput): Promise<CreatedSession>;
  /** Throws `session_not_found`. */
  get(id: string): Promise<Session>;
  list(filter: SessionListFilter): Promise<{ data: Session[]; totalCount: number }>;
  /** Marks the session revoked (admin action); throws `session_not_found`. */
  revoke(id: string, reason?: RevocationReason): Promise<Session>;
  /** Sign-out: marks the session ended. */
  end(id: string): Promise<Session>;
  /** Removes the session from its client (multi-session sign-out of one account). */
  remove(id: string): Promise<Session>;
  /**
   * The session if it is active now, after bumping `last_active_at`/`abandon_at`; throws
   * `session_not_found` or `session_not_active` otherwise. Token issuance and verify use it.
   */
  requireActive(id: string): Promise<Session>;
  /** Revokes every active session of the user, and tells listeners (the OpenID provider drops grants). */
  revokeAllForUser(userId: string, reason: RevocationReason): Promise<number>;
  /** Listeners run after a user's sessions are revoked, e.g. to drop refresh tokens. */
  onUserRevoked(listener: (userId: string, reason: RevocationReason) => Promise<void>): void;
  /**
   * Listeners run after one session ends, is revoked or is removed (sign-out, an admin's revoke):
   * the OpenID provider drops the refresh and access tokens issued under it.
   */
  onSessionEnded(listener: (sessionId: string, userId: string) => Promise<void>): void;

  getClient(id: string): Promise<Client>;
  listClients(filter: { limit: number; offset: number }): Promise<{ data: Client[]; totalCount: number }>;
  /** The client a browser token names; throws `client_not_found`. */
  clientFromToken(token: string): Promise<Client>;
  /** The client's last active session if it is still active, else null. */
  lastActiveSession(clientId: string): Promise<Session | null>;
}
