import pg from 'pg';

/**
 * Waits until no session is connected to the database `url` names.
 *
 * pg's Pool.end() resolves once it has *asked* its clients to close, not once the server has let
 * them go; a `DROP DATABASE ... WITH (FORCE)` issued straight after then terminates sessions whose
 * sockets are still open, and the FATAL it sends surfaces as an uncaught 'error' on the pool
 * (src/storage/db.ts attaches no pool error listener). Waiting for the sessions to end first keeps
 * the drop quiet.
 */
export async function waitForNoSessions(url: string | undefined, timeoutMs = 10_000): Promise<void> {
  const base = process.env.DATABASE_URL;
  if (!url || !base) return;
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { rows } = await admin.query<{ n: string }>('select count(*) as n from pg_stat_activity where datname = $1', [name]);
      if (Number(rows[0].n) === 0 || Date.now() > deadline) return;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  } finally {
    await admin.end();
  }
}
