/**
 * The loop shared by background workers: run rounds back to back while each fills its batch,
 * then wait `pollMs`; `wake` runs a round at once (or right after the current one). A failing
 * round is reported and retried at the next poll, never allowed to stop the loop.
 */
export function pollingLoop(opts: { runOnce: () => Promise<number>; batchSize: number; pollMs: number; onError: (e: unknown) => void }) {
  let running = false;
  let timer: NodeJS.Timeout | null = null;
  let round: Promise<void> | null = null;
  let again = false;

  function schedule(ms: number): void {
    if (!running) return;
    timer = setTimeout(tick, ms);
    timer.unref?.();
  }

  function tick(): void {
    timer = null;
    round = (async () => {
      do {
        again = false;
        try {
          while (running && (await opts.runOnce()) === opts.batchSize) {}
        } catch (e) {
          opts.onError(e);
        }
      } while (running && again);
    })().finally(() => {
      round = null;
      schedule(opts.pollMs);
    });
  }

  return {
    start(): void {
      if (running) return;
      running = true;
      schedule(0);
    },
    wake(): void {
      if (!running) return;
      if (round) again = true;
      else if (timer) {
        clearTimeout(timer);
        schedule(0);
      }
    },
    /** Stops polling and waits for the round in progress. */
    async stop(): Promise<void> {
      running = false;
      if (timer) clearTimeout(timer);
      timer = null;
      await round;
    },
  };
}
