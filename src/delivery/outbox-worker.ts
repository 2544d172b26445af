import { pollingLoop } from '../jobs/polling-loop.ts';
import type { Clock } from '../core/clock.ts';
import type { MessageRecord, Settlement } from '../core/delivery/message-store.ts';
import type { Channel } from '../core/delivery/outbox.ts';
import { maskSecrets } from '../core/delivery/template-engine.ts';
import type { Store } from '../core/store.ts';
import { type DeliveryLog, DeliveryError, type Transport } from './transport.ts';

export interface WorkerOptions {
  /** Messages claimed (and sent in parallel) per round. */
  batchSize: number;
  /** Attempts before a message ends `failed`. */
  maxAttempts: number;
  /** Wait before the second attempt; it doubles for each later one, up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** How long a claim lasts: a worker that dies mid-send frees its messages after this. */
  leaseMs: number;
  /** Idle wait between looks at the outbox, in real time. */
  pollMs: number;
}

/** 8 attempts over about an hour: 30 s, 1, 2, 4, 8, 16 and 32 minutes apart. */
export const DEFAULT_WORKER_OPTIONS: WorkerOptions = {
  batchSize: 50,
  maxAttempts: 8,
  baseDelayMs: 30_000,
  maxDelayMs: 60 * 60_000,
  leaseMs: 5 * 60_000,
  pollMs: 1_000,
};

/** The wait after failed attempt number `attempt` (1-based). */
export function retryDelay(attempt: number, o: Pick<WorkerOptions, 'baseDelayMs' | 'maxDelayMs'>): number {
  return Math.min(o.baseDelayMs * 2 ** Math.max(0, attempt - 1), o.maxDelayMs);
}

interface Delivered {
  id: string;
  attempt: number;
  providerId: string | null;
  subject: string | null;
}

export interface WorkerDeps {
  store: Store;
  /** Decides which messages are due and when retries are; tests move it by hand. */
  clock: Clock;
  transports: Record<Channel, Transport>;
  log: DeliveryLog;
  options?: Partial<WorkerOptions>;
}

/**
 * Delivers the outbox. Each round claims due messages (never the same one as another worker, in
 * this process or another), sends them, and records the outcome: `sent` with the body cleared,
 * a retry after an exponential backoff, or `failed` with the last error.
 */
export function createOutboxWorker(deps: WorkerDeps) {
  const { store, clock, transports, log } = deps;
  const o: WorkerOptions = { ...DEFAULT_WORKER_OPTIONS, ...deps.options };

  async function settle(m: MessageRecord, outcome: Settlement): Promise<void> {
    // False means the lease ran out and another worker owns the message now; its outcome counts.
    if (!(await store.messages.settle(m.id, m.attempts, outcome))) log.warn({ message_id: m.id }, 'outbox message was taken over by another worker');
  }

  function maskedContent(m: MessageRecord) {
    const mask = (s: string | null) => (s === null ? null : maskSecrets(s, m.secrets));
    return { subject: mask(m.subject), body: mask(m.body), bodyPlain: mask(m.bodyPlain) };
  }

  /** Delivers one message; a success is returned for `runOnce` to record with the others. */
  async function deliver(m: MessageRecord): Promise<Delivered | null> {
    const transport = transports[m.channel];
    if (m.attempts > o.maxAttempts || m.body === null) {
      // Only a message whose worker died during its last attempt gets here.
      const error = m.body === null ? 'no content to send' : 'abandoned: the last attempt did not finish';
      await settle(m, { status: 'failed', at: clock.now(), lastError: error, content: maskedContent(m), clearSecrets: true });
      return null;
    }
    try {
      const { providerId } = await transport.send({ id: m.id, channel: m.channel, to: m.to, from: m.sender, subject: m.subject, body: m.body, bodyPlain: m.bodyPlain, secrets: m.secrets });
      if (!transport.delivers) {
        await settle(m, { status: 'undelivered', at: clock.now(), lastError: null });
        return null;
      }
      // The body may hold a code or a link: once delivered, only the metadata is kept.
      return { id: m.id, attempt: m.attempts, providerId, subject: m.subject === null ? null : maskSecrets(m.subject, m.secrets) };
    } catch (e) {
      const raw = e instanceof Error ? e.message : String(e);
      const error = maskSecrets(raw, m.secrets).slice(0, 1000);
      const permanent = e instanceof DeliveryError && e.permanent;
      const now = clock.now();
      if (permanent || m.attempts >= o.maxAttempts) {
        log.error({ message_id: m.id, channel: m.channel, attempts: m.attempts, error }, 'outbox message failed');
        await settle(m, { status: 'failed', at: now, lastError: error, content: maskedContent(m), clearSecrets: true });
        return null;
      }
      const nextAttemptAt = new Date(now.getTime() + retryDelay(m.attempts, o));
      log.warn({ message_id: m.id, channel: m.channel, attempts: m.attempts, retry_at: nextAttemptAt.toISOString(), error }, 'outbox message attempt failed');
      await settle(m, { status: 'queued', at: now, nextAttemptAt, lastError: error });
      return null;
    }
  }

  /** One round: claims the due messages and delivers them. Returns how many it claimed. */
  async function runOnce(): Promise<number> {
    const now = clock.now();
    const claimed = await store.messages.claimDue(now, new Date(now.getTime() + o.leaseMs), o.batchSize);
    const outcomes = await Promise.all(
      claimed.map((m) =>
        deliver(m).catch((e) => {
          log.error({ message_id: m.id, err: e }, 'recording an outbox outcome failed');
          return null;
        }),
      ),
    );
    // Successes are recorded together: one statement per round rather than one per message.
    const delivered = outcomes.filter((d): d is Delivered => d !== null);
    const recorded = new Set(await store.messages.markSent(delivered, clock.now()));
    for (const d of delivered) if (!recorded.has(d.id)) log.warn({ message_id: d.id }, 'outbox message was taken over by another worker');
    return claimed.length;
  }

  /** Rounds until nothing is due at the clock's current time. Returns how many it claimed. */
  async function drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await runOnce();
      total += n;
      if (n === 0) return total;
    }
  }

  // A database hiccup must not stop delivery; the next poll tries again.
  const loop = pollingLoop({ runOnce, batchSize: o.batchSize, pollMs: o.pollMs, onError: (e) => log.error({ err: e }, 'outbox round failed') });

  return {
    runOnce,
    drain,
    /** Starts polling; new messages from this process also `wake` it. */
    start: loop.start,
    /** Runs a round soon instead of at the next poll. */
    wake: loop.wake,
    /** Stops polling, waits for the round in progress, and closes the transports. */
    async stop(): Promise<void> {
      await loop.stop();
      for (const t of new Set(Object.values(transports))) await t.close?.();
    },
  };
}

export type OutboxWorker = ReturnType<typeof createOutboxWorker>;
