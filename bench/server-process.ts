/**
 * Latchkey alone in a child process, started as `npm start` starts it (same V8 flags, the same
 * release of boot memory), for the memory verdict: the benchmark process also hosts the baseline
 * server, autocannon's bookkeeping and raw hashing, so its RSS says little about the server's.
 * The parent sends the environment; the child answers with its URL, then with its memory.
 */
import { createApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { releaseBootMemory } from '../src/memory.ts';

type Ask = { env: Record<string, string> } | { memory: true } | { stop: true };

let app: Awaited<ReturnType<typeof createApp>> | undefined;
process.on('message', async (m: Ask) => {
  try {
    if ('env' in m) {
      app = await createApp(loadConfig(m.env));
      const url = await app.http.listen({ host: '127.0.0.1', port: 0 });
      releaseBootMemory();
      process.send!({ url });
    } else if ('memory' in m) {
      const u = process.memoryUsage();
      process.send!({ rss: u.rss, heapTotal: u.heapTotal, heapUsed: u.heapUsed, external: u.external });
    } else {
      await app?.close();
      process.send!({ stopped: true });
    }
  } catch (e) {
    process.send!({ error: (e as Error).message });
  }
});
