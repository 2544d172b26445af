import type { Clock } from '../clock.ts';
import { DomainError } from '../errors.ts';
import { newId, randomToken } from '../ids.ts';
import type { Store } from '../store.ts';
import { type ClientRow, effectiveStatus, type SessionRow } from './session-store.ts';
import type { Client, CreateSessionInput, RevocationReason, Session, SessionLifetimes, SessionService, SessionStatus } from './types.ts';
// Client tokens are 256-bit random values, so one SHA-256 (hashToken) is enough to store them safely.
import { hashToken } from '../verification/one-time.ts';

/**
 * Activity is written at most once per this interval per session. Token issuance and verify call
 * `requireActive` on every request; without the throttle each would be a write. Idle lifetimes
 * are at least 60 s, so a few seconds of slack in `last_active_at` changes no outcome.
 */
export const TOUCH_INTERVAL_MS = 5_000;
/** A client lists at most this many live sessions (one browser rarely holds more than a few). */
export const CLIENT_SESSIONS_MAX = 100;
export const SESSION_LIST_MAX = 500;

const STATUSES: SessionStatus[] = ['active', 'ended', 'revoked', 'expired', 'abandoned', 'removed'];

const sessionNotFound = (id: string) => new DomainError('session_not_found', `No session was found with id ${id}.`, { param: 'session_id' });
const clientNotFound = (what: string) => new DomainError('client_not_found', `No client was found ${what}.`, { param: 'client_id' });
const notActive = (s: Session) => new DomainError('session_not_active', `Session ${s.id} is ${s.status}, not active.`, { param: 'session_id' });

function checkPage(limit: number, offset: number) {
  if (!Number.isInteger(limit) || limit < 1 || limit > SESSION_LIST_MAX) throw new DomainError('invalid_param', `limit must be between 1 and ${SESSION_LIST_MAX}.`, { param: 'limit' });
  if (!Number.isInteger(offset) || offset < 0) throw new DomainError('invalid_param', 'offset must be 0 or more.', { param: 'offset' });
}

export interface SessionServiceDeps {
  store: Store;
  clock: Clock;
  lifetimes: SessionLifetimes;
}

/**
 * Sessions and clients (see types.ts for the contract). Status changes are conditional updates
 * on a live session, so two concurrent changes cannot both win; `expired`/`abandoned` are read
 * off the clock, never written. Every change records an event in its own transaction.
 */
export function createSessionService(deps: SessionServiceDeps): SessionService {
  const { store, clock, lifetimes } = deps;
  const listeners: Array<(userId: string, reason: RevocationReason) => Promise<void>> = [];
  const endListeners: Array<(sessionId: string, userId: string) => Promise<void>> = [];

  const present = (row: SessionRow, now: Date): Session => ({ ...row, status: effectiveStatus(row, now) });

  function toClient(row: ClientRow, live: SessionRow[], now: Date): Client {
    const sessions = live.map((s) => present(s, now));
    return { ...row, sessionIds: sessions.map((s) => s.id), sessions };
  }

  async function loadClient(tx: Store, row: ClientRow | null, what: string): Promise<Client> {
    if (!row) throw clientNotFound(what);
    const now = clock.now();
    return toClient(row, await tx.sessions.liveSessionsOfClients([row.id], now, CLIENT_SESSIONS_MAX), now);
  }

  async function load(id: string): Promise<SessionRow> {
    const row = await store.sessions.findSession(id);
    if (!row) throw sessionNotFound(id);
    return row;
  }

  /** Ends a live session with `status`; `strict` refuses one that is no longer live. */
  async function finish(id: string, status: 'ended' | 'revoked' | 'removed', strict: boolean, payload: Record<string, unknown>): Promise<Session> {
    let ended = false;
    const session = await store.transaction(async (tx) => {
      const now = clock.now();
      const changed = await tx.sessions.endLive(id, status, now);
      const row = await tx.sessions.findSession(id);
      if (!row) throw sessionNotFound(id);
      const session = present(row, now);
      if (!changed) {
        if (strict) throw notActive(session);
        return session;
      }
      await tx.events.record({ type: `session.${status}`, subjectId: id, payload: { user_id: row.userId, client_id: row.clientId, ...payload }, at: now });
      ended = true;
      return session;
    });
    // After the commit: what was issued under the session goes with it. Every listener runs even
    // if one fails; the first failure is then reported, so the caller can retry.
    if (ended) {
      const failures: unknown[] = [];
      for (const listener of endListeners) await listener(session.id, session.userId).catch((e: unknown) => failures.push(e));
      if (failures.length) throw failures[0];
    }
    return session;
  }

  function checkCreate(input: CreateSessionInput): number {
    if (typeof input.userId !== 'string' || input.userId.length === 0 || input.userId.length > 128) {
      throw new DomainError('invalid_param', 'user_id must be a user id.', { param: 'user_id' });
    }
    if (input.actor != null && (typeof input.actor !== 'object' || typeof input.actor.sub !== 'string' || input.actor.sub.length === 0)) {
      throw new DomainError('invalid_param', 'actor must be an object with a string sub.', { param: 'actor' });
    }
    if (input.maxSeconds === undefined) return lifetimes.maxSeconds;
    if (!Number.isInteger(input.maxSeconds) || input.maxSeconds < 1) {
      throw new DomainError('invalid_param', 'The session lifetime must be a whole number of seconds, at least 1.', { param: 'session_max_duration_in_seconds' });
    }
    // Only ever shortens: an actor token cannot outlive the instance's own session lifetime.
    return Math.min(input.maxSeconds, lifetimes.maxSeconds);
  }

  return {
    async create(input) {
      const maxSeconds = checkCreate(input);
      const now = clock.now();
      let existing: ClientRow | null = null;
      if (input.clientId !== undefined) {
        existing = await store.sessions.findClient(input.clientId);
        if (!existing) throw clientNotFound(`with id ${input.clientId}`);
      }
      const clientToken = existing ? undefined : randomToken(32);
      const clientId = existing?.id ?? newId('client');
      const expireAt = new Date(now.getTime() + maxSeconds * 1000);
      const row: SessionRow = {
        id: newId('sess'),
        userId: input.userId,
        clientId,
        actor: input.actor ?? null,
        status: 'active',
        lastActiveOrganizationId: null,
        lastActiveAt: now,
        expireAt,
        abandonAt: new Date(Math.min(now.getTime() + lifetimes.idleSeconds * 1000, expireAt.getTime())),
        createdAt: now,
        updatedAt: now,
      };
      // One statement on the sign-in path (a bench holds sign-ins to raw hashing throughput).
      const newClient = clientToken ? { id: clientId, lastActiveSessionId: row.id, signInId: null, signUpId: null, createdAt: now, updatedAt: now, tokenHash: hashToken(clientToken) } : null;
      const clearFailures = input.clearFailures === true;
      const refusal = await store.sessions.openSession({ session: row, newClient, signIn: !row.actor, clearFailures });
      // The password was right even if the session is refused: that is no failure.
      if (refusal && clearFailures) await store.lockout.recordSuccess(input.userId);
      if (refusal === 'user_banned') throw new DomainError('user_banned', 'This user is banned.', { param: 'user_id' });
      if (refusal === 'user_locked') throw new DomainError('user_locked', 'This user is locked.', { param: 'user_id' });
      if (refusal) throw new DomainError('user_not_found', `No user was found with id ${input.userId}.`, { param: 'user_id' });
      const session = present(row, now);
      const client: Client = existing
        ? await loadClient(store, { ...existing, lastActiveSessionId: row.id, updatedAt: now }, '')
        : { id: clientId, sessionIds: [row.id], sessions: [session], lastActiveSessionId: row.id, signInId: null, signUpId: null, createdAt: now, updatedAt: now };
      return { session, client, ...(clientToken ? { clientToken } : {}) };
    },

    async get(id) {
      return present(await load(id), clock.now());
    },

    async list(filter) {
      checkPage(filter.limit, filter.offset);
      if (filter.status !== undefined && !STATUSES.includes(filter.status)) throw new DomainError('invalid_param', 'Unknown session status.', { param: 'status' });
      const now = clock.now();
      const { rows, total } = await store.sessions.listSessions({ ...filter, now });
      return { data: rows.map((r) => present(r, now)), totalCount: total };
    },

    revoke: (id, reason = 'admin') => finish(id, 'revoked', true, { reason }),
    // Signing out (or removing) a session that already ended is not an error: the outcome stands.
    end: (id) => finish(id, 'ended', false, {}),
    remove: (id) => finish(id, 'removed', false, {}),

    async requireActive(id) {
      const row = await load(id);
      const now = clock.now();
      const session = present(row, now);
      if (session.status !== 'active') throw notActive(session);
      if (now.getTime() - row.lastActiveAt.getTime() < TOUCH_INTERVAL_MS) return session;
      const abandonAt = new Date(Math.min(now.getTime() + lifetimes.idleSeconds * 1000, row.expireAt.getTime()));
      await store.sessions.touch(id, now, abandonAt, new Date(now.getTime() - TOUCH_INTERVAL_MS));
      return { ...session, lastActiveAt: now, abandonAt, updatedAt: now };
    },

    async revokeAllForUser(userId, reason) {
      const ids = await store.transaction(async (tx) => {
        const now = clock.now();
        const revoked = await tx.sessions.revokeAllLive(userId, now);
        for (const id of revoked) await tx.events.record({ type: 'session.revoked', subjectId: id, payload: { user_id: userId, reason }, at: now });
        return revoked;
      });
      // Listeners run even when no session row was live (a hard delete cascades them away
      // first): what they hold, such as refresh tokens, is theirs to drop. Every listener runs;
      // the first failure is reported after all have had their turn.
      const failures: unknown[] = [];
      for (const listener of listeners) await listener(userId, reason).catch((e: unknown) => failures.push(e));
      if (failures.length > 0) throw failures[0];
      return ids.length;
    },

    onSessionEnded(listener) {
      endListeners.push(listener);
    },

    onUserRevoked(listener) {
      listeners.push(listener);
    },

    async getClient(id) {
      return loadClient(store, await store.sessions.findClient(id), `with id ${id}`);
    },

    async listClients(page) {
      checkPage(page.limit, page.offset);
      const now = clock.now();
      const { rows, total } = await store.sessions.listClients(page);
      const live = rows.length ? await store.sessions.liveSessionsOfClients(rows.map((r) => r.id), now, CLIENT_SESSIONS_MAX) : [];
      return { data: rows.map((r) => toClient(r, live.filter((s) => s.clientId === r.id), now)), totalCount: total };
    },

    async clientFromToken(token) {
      // Real tokens are 43 characters; anything far off that cannot name a client.
      const row = typeof token === 'string' && token.length > 0 && token.length <= 512 ? await store.sessions.findClientByTokenHash(hashToken(token)) : null;
      return loadClient(store, row, 'for that token');
    },

    /**
     * The client's last active session while it lives; when that one ended (multi-session
     * sign-out of one account), the newest session still live in the client takes its place.
     */
    async lastActiveSession(clientId) {
      const client = await store.sessions.findClient(clientId);
      if (!client) throw clientNotFound(`with id ${clientId}`);
      const now = clock.now();
      if (client.lastActiveSessionId) {
        const row = await store.sessions.findSession(client.lastActiveSessionId);
        if (row && effectiveStatus(row, now) === 'active') return present(row, now);
      }
      const [newest] = await store.sessions.liveSessionsOfClients([clientId], now, 1);
      return newest ? present(newest, now) : null;
    },
  };
}
