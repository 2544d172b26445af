import type { Clock } from '../clock.ts';
import { DomainError, type ErrorCode } from '../errors.ts';
import { newId } from '../ids.ts';
import type { Actor } from '../sessions/types.ts';
import type { Store } from '../store.ts';
import { hashToken, newToken } from '../verification/one-time.ts';
import type { ActorToken, SignInToken, TicketStore } from './types.ts';

export const SIGN_IN_TOKEN_DEFAULT_SECONDS = 30 * 24 * 3600;
export const ACTOR_TOKEN_DEFAULT_SECONDS = 3600;
export const ACTOR_SESSION_DEFAULT_SECONDS = 1800;
/** Ten years: long enough for any use, short enough that the date arithmetic stays sane. */
const MAX_SECONDS = 10 * 365 * 24 * 3600;
const MAX_ACTOR_JSON = 4096;

interface Kind<T extends SignInToken> {
  idPrefix: string;
  event: string;
  notFound: ErrorCode;
  notPending: ErrorCode;
  invalid: ErrorCode;
  label: string;
  table: (s: Store) => TicketStore<T>;
}

const SIGN_IN: Kind<SignInToken> = {
  idPrefix: 'sit',
  event: 'sign_in_token',
  notFound: 'sign_in_token_not_found',
  notPending: 'sign_in_token_not_pending',
  invalid: 'sign_in_token_invalid',
  label: 'sign-in token',
  table: (s) => s.signInTokens,
};

const ACTOR: Kind<ActorToken> = {
  idPrefix: 'act',
  event: 'actor_token',
  notFound: 'actor_token_not_found',
  notPending: 'actor_token_not_pending',
  invalid: 'actor_token_invalid',
  label: 'actor token',
  table: (s) => s.actorTokens,
};

function seconds(value: number | undefined, fallback: number, param: string): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < 1 || v > MAX_SECONDS) throw new DomainError('invalid_param', `${param} must be a whole number of seconds from 1 to ${MAX_SECONDS}.`, { param });
  return v;
}

export interface TicketDeps {
  store: Store;
  clock: Clock;
  /** Where the landing pages live: `${publicUrl}`; links are `<base>/sign-in/ticket?token=` and `<base>/impersonate?token=`. */
  publicUrl: () => string;
}

/**
 * The life of a single-use ticket: created with its token shown once, revoked while pending, or
 * redeemed once. Redemption is one conditional update, so two browsers racing with the same link
 * cannot both get a session.
 */
function ticketService<T extends SignInToken>(deps: TicketDeps, kind: Kind<T>) {
  const { store, clock } = deps;
  const notFound = (id: string) => new DomainError(kind.notFound, `No ${kind.label} was found with id ${id}.`, { param: `${kind.event}_id` });
  const invalid = () => new DomainError(kind.invalid, `This ${kind.label} is not valid: it is unknown, used, revoked or expired.`, { param: 'token' });

  /** A pending, unexpired token of a user who exists and is neither banned nor locked; else `<kind>_invalid`. */
  async function usable(token: string): Promise<T> {
    const now = clock.now();
    const found = token.length > 0 && token.length <= 128 ? await kind.table(store).findByTokenHash(hashToken(token)) : null;
    if (!found || found.status !== 'pending' || found.expiresAt <= now) throw invalid();
    const user = await store.users.findById(found.userId);
    if (!user || user.banned || (user.lockedUntil && user.lockedUntil > now)) throw invalid();
    return found;
  }

  return {
    /** Stores the token's hash and returns the token once, with nothing else able to show it again. */
    async create(userId: string, expiresInSeconds: number, extra: (base: SignInToken) => T): Promise<{ record: T; token: string }> {
      return store.transaction(async (tx) => {
        if (!(await tx.users.findById(userId))) throw new DomainError('user_not_found', `No user was found with id ${userId}.`, { param: 'user_id' });
        const now = clock.now();
        const { token, hash } = newToken();
        const record = extra({ id: newId(kind.idPrefix), userId, tokenHash: hash, status: 'pending', expiresAt: new Date(now.getTime() + expiresInSeconds * 1000), createdAt: now, updatedAt: now });
        await kind.table(tx).insert(record);
        await tx.events.record({ type: `${kind.event}.created`, subjectId: record.id, payload: { user_id: userId }, at: now });
        return { record, token };
      });
    },

    async get(id: string): Promise<T> {
      const found = await kind.table(store).findById(id);
      if (!found) throw notFound(id);
      return found;
    },

    /** Revokes a pending token; a used or already revoked one cannot be. */
    async revoke(id: string): Promise<T> {
      return store.transaction(async (tx) => {
        const now = clock.now();
        const done = await kind.table(tx).finish(id, 'revoked', now);
        if (!done) {
          if (!(await kind.table(tx).findById(id))) throw notFound(id);
          throw new DomainError(kind.notPending, `This ${kind.label} was already used or revoked.`, { param: `${kind.event}_id` });
        }
        await tx.events.record({ type: `${kind.event}.revoked`, subjectId: id, payload: { user_id: done.userId }, at: now });
        return done;
      });
    },

    /** Whether a token could be redeemed now; the confirm page uses it to tell the user early. */
    peek: usable,

    /** Marks the token accepted; exactly one of concurrent callers gets the record. A banned or locked user's token does not work. */
    async redeem(token: string): Promise<T> {
      const found = await usable(token);
      return store.transaction(async (tx) => {
        const now = clock.now();
        const done = await kind.table(tx).finish(found.id, 'accepted', now, now);
        if (!done) throw invalid();
        await tx.events.record({ type: `${kind.event}.accepted`, subjectId: found.id, payload: { user_id: found.userId }, at: now });
        return done;
      });
    },
  };
}

export function createSignInTokenService(deps: TicketDeps) {
  const base = ticketService(deps, SIGN_IN);
  return {
    ...base,
    /** `POST /v1/sign_in_tokens`: the token and its landing URL, shown only now. */
    async create(input: { userId: string; expiresInSeconds?: number }): Promise<{ record: SignInToken; token: string; url: string }> {
      const ttl = seconds(input.expiresInSeconds, SIGN_IN_TOKEN_DEFAULT_SECONDS, 'expires_in_seconds');
      const made = await base.create(input.userId, ttl, (b) => b);
      return { ...made, url: `${deps.publicUrl()}/sign-in/ticket?token=${made.token}` };
    },
  };
}

export function createActorTokenService(deps: TicketDeps) {
  const base = ticketService(deps, ACTOR);
  return {
    ...base,
    /** `POST /v1/actor_tokens`: `actor.sub` names who impersonates; the session it opens lasts `sessionMaxDurationSeconds`. */
    async create(input: { userId: string; actor: Record<string, unknown>; expiresInSeconds?: number; sessionMaxDurationSeconds?: number }): Promise<{ record: ActorToken; token: string; url: string }> {
      const actor = input.actor;
      if (!actor || typeof actor !== 'object' || Array.isArray(actor) || typeof actor.sub !== 'string' || actor.sub.trim() === '' || actor.sub.length > 256) {
        throw new DomainError('invalid_param', 'actor must be an object with a sub: the id of who impersonates.', { param: 'actor' });
      }
      if (JSON.stringify(actor).length > MAX_ACTOR_JSON) throw new DomainError('invalid_param', `actor must be at most ${MAX_ACTOR_JSON} bytes of JSON.`, { param: 'actor' });
      const ttl = seconds(input.expiresInSeconds, ACTOR_TOKEN_DEFAULT_SECONDS, 'expires_in_seconds');
      const sessionSeconds = seconds(input.sessionMaxDurationSeconds, ACTOR_SESSION_DEFAULT_SECONDS, 'session_max_duration_in_seconds');
      const made = await base.create(input.userId, ttl, (b) => ({ ...b, actor: actor as Actor, sessionMaxDurationSeconds: sessionSeconds }));
      return { ...made, url: `${deps.publicUrl()}/impersonate?token=${made.token}` };
    },
  };
}

export type SignInTokenService = ReturnType<typeof createSignInTokenService>;
export type ActorTokenService = ReturnType<typeof createActorTokenService>;
