/**
 * The bare baseline: plain Fastify (no logger, no schemas, no auth) with its own pg.Pool, doing
 * the same primary-key read and the same indexed email look-up as Latchkey, replying with the
 * rows as JSON. Runs in the benchmark's process, next to the real app.
 */
import Fastify from 'fastify';
import pg from 'pg';

export interface Baseline {
  url: string;
  close(): Promise<void>;
}

export const BASELINE_SQL = {
  byId: 'SELECT * FROM users WHERE id = $1',
  // The equivalent of GET /v1/users?email_address=...: the (type, normalized) unique index, then users by id.
  byEmail: `SELECT u.* FROM identifiers i JOIN users u ON u.id = i.user_id
            WHERE i.type = 'email_address' AND i.normalized = $1
            ORDER BY u.created_at DESC, u.id DESC LIMIT $2`,
};

export async function startBaseline(databaseUrl: string, poolSize: number): Promise<Baseline> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: poolSize });
  pool.on('error', (e) => console.error(`[bench] baseline pool error: ${e.message}`));
  const app = Fastify({ logger: false });

  app.get<{ Params: { id: string } }>('/users/:id', async (req, reply) => {
    const { rows } = await pool.query(BASELINE_SQL.byId, [req.params.id]);
    if (rows.length === 0) return reply.code(404).send({ error: 'not found' });
    return rows[0];
  });

  app.get<{ Querystring: { email_address?: string; limit?: string } }>('/users', async (req) => {
    const email = String(req.query.email_address ?? '').trim().toLowerCase();
    const limit = Math.min(500, Math.max(1, Number(req.query.limit ?? 10) || 10));
    const { rows } = await pool.query(BASELINE_SQL.byEmail, [email, limit]);
    return rows;
  });

  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    url,
    async close() {
      await app.close();
      await pool.end();
    },
  };
}
