import type { Actor } from '../sessions/types.ts';

/** `pending` until redeemed once (`accepted`) or revoked; an expired token stays `pending` but no longer works. */
export type TicketStatus = 'pending' | 'accepted' | 'revoked';

/** A sign-in token: a single-use link that signs its user in on the hosted pages (`/sign-in/ticket`). */
export interface SignInToken {
  id: string; // sit_...
  userId: string;
  /** SHA-256 of the token; the token itself is shown once, in the answer to the create. */
  tokenHash: string;
  status: TicketStatus;
  expiresAt: Date;
  createdAt: Date;
  updatedAt: Date;
}

/** An actor token: the same, but the session it opens impersonates the user on behalf of `actor`. */
export interface ActorToken extends SignInToken {
  // act_...
  actor: Actor;
  /** The impersonation session's absolute lifetime. */
  sessionMaxDurationSeconds: number;
}

/** Storage for one kind of ticket. Status changes are conditional, so only one caller wins. */
export interface TicketStore<T extends SignInToken> {
  insert(t: T): Promise<void>;
  findById(id: string): Promise<T | null>;
  findByTokenHash(tokenHash: string): Promise<T | null>;
  /**
   * Moves a pending ticket to `status` and returns it, or null when it was not pending (or, with
   * `liveAt`, had expired by then). One conditional UPDATE: of concurrent callers exactly one wins.
   */
  finish(id: string, status: 'accepted' | 'revoked', now: Date, liveAt?: Date): Promise<T | null>;
}

export type SignInTokenStore = TicketStore<SignInToken>;
export type ActorTokenStore = TicketStore<ActorToken>;
