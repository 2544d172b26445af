import type { Clock } from '../clock.ts';
import { DomainError } from '../errors.ts';
import type { Store } from '../store.ts';

/**
 * Deletion in two steps, for dialects whose delete is asynchronous (Authress answers 202).
 *
 * `requestUserDeletion` marks the user in one transaction: from then on every read, in every
 * dialect, treats the user as gone, and the user's memberships (the access it was granted) are
 * removed at once. The mark is the durable job: `purgeMarkedUsers` (run by the deletion worker,
 * on any node, after any restart) hard-deletes marked rows, and the foreign-key cascades take the
 * identifiers, credentials, verifications and sessions with them.
 */
export interface DeletionDeps {
  store: Store;
  clock: Clock;
}

/** Marks a user for deletion; `user_not_found` when absent or already marked. */
export async function requestUserDeletion(deps: DeletionDeps, id: string): Promise<void> {
  await deps.store.transaction(async (tx) => {
    const now = deps.clock.now();
    if (!(await tx.users.markForDeletion(id, now))) {
      throw new DomainError('user_not_found', `No user was found with id ${id}.`, { param: 'user_id' });
    }
    const organizations = await tx.memberships.deleteAllForUser(id);
    for (const organizationId of organizations) {
      await tx.events.record({ type: 'organization.membership.deleted', subjectId: organizationId, payload: { user_id: id, reason: 'user.deletion_requested' }, at: now });
    }
    await tx.events.record({ type: 'user.deletion_requested', subjectId: id, payload: {}, at: now });
  });
}

/** Hard-deletes up to `limit` marked users in one transaction; returns their ids. */
export async function purgeMarkedUsers(deps: DeletionDeps, limit: number): Promise<string[]> {
  return deps.store.transaction(async (tx) => {
    const ids = await tx.users.purgeMarkedForDeletion(limit);
    const now = deps.clock.now();
    for (const id of ids) await tx.events.record({ type: 'user.deleted', subjectId: id, payload: { asynchronous: true }, at: now });
    return ids;
  });
}
