import { pollingLoop } from './polling-loop.ts';
/** Minimal logger the worker needs; pino's fits. */
export interface JobLog {
  error(obj: object, msg: string): void;
}

export interface DeletionWorkerOptions {
  /** Users hard-deleted per transaction. */
  batchSize: number;
  /** Idle wait between looks for marked users, in real time. */
  pollMs: number;
}

export const DEFAULT_DELETION_OPTIONS: DeletionWorkerOptions = { batchSize: 100, pollMs: 1_000 };

/**
 * Finishes asynchronous user deletions. Each round hard-deletes a batch of users marked for
 * deletion (see src/core/users/user-deletion.ts); rows held by a worker of another process are
 * skipped, not waited for. Because the mark is in the database, a job survives restarts: the
 * first round after start picks up whatever was marked before.
 */
export function createUserDeletionWorker(deps: { purge: (limit: number) => Promise<string[]>; log: JobLog; options?: Partial<DeletionWorkerOptions> }) {
  const o: DeletionWorkerOptions = { ...DEFAULT_DELETION_OPTIONS, ...deps.options };

  /** One round; returns how many users it deleted. */
  async function runOnce(): Promise<number> {
    return (await deps.purge(o.batchSize)).length;
  }

  /** Rounds until no marked user is left. Returns how many it deleted. */
  async function drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await runOnce();
      total += n;
      if (n < o.batchSize) return total;
    }
  }

  // A database hiccup must not stop the worker; the marks stay and the next poll retries.
  const loop = pollingLoop({ runOnce, batchSize: o.batchSize, pollMs: o.pollMs, onError: (e) => deps.log.error({ err: e }, 'user deletion round failed') });

  return {
    runOnce,
    drain,
    start: loop.start,
    /** Runs a round now instead of at the next poll (a deletion was just requested here). */
    wake: loop.wake,
    /** Stops polling and waits for the round in progress. */
    stop: loop.stop,
  };
}

export type UserDeletionWorker = ReturnType<typeof createUserDeletionWorker>;
