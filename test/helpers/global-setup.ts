import pg from 'pg';

/**
 * In CI the PostgreSQL backend is mandatory: an unreachable server fails the run instead of
 * silently testing PGlite alone.
 */
export default async function setup() {
  const url = process.env.DATABASE_URL;
  if (!url) {
    if (process.env.CI) throw new Error('CI is set but DATABASE_URL is not: the PostgreSQL backend cannot be tested');
    return;
  }
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    await client.query('select 1');
  } catch (e) {
    throw new Error(`PostgreSQL at DATABASE_URL is unreachable: ${(e as Error).message}`);
  } finally {
    await client.end().catch(() => {});
  }
}
