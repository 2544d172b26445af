/**
 * The bare baseline: plain Fastify (no logger, no schemas, no auth) with its own pg.Pool, doing
 * the same primary-key read and the same indexed email look-up as Latchkey, and the same
 * membership list and count queries, replying with the rows as JSON; and the floors of the
 * session verify (one read) and the client-credentials grant (one read, one RS256 signature).
 * Runs in the benchmark's process, next to the real app.
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { hash } from '@node-rs/argon2';
import Fastify from 'fastify';
import { generateKeyPair, SignJWT } from 'jose';
import pg from 'pg';
import { boundedGate, DEFAULT_HASHING } from '../src/core/credentials/password-hasher.ts';
import { RAW_ARGON } from './argon-raw.ts';

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
  // The memberships routes, as src/storage/membership-store.ts and organization-rows.ts write them:
  // the owner's primary-key read, then the page (list) and total_count (count) in parallel. Sent as
  // named prepared statements, as the app's pool sends its queries (preparedStatements in
  // src/storage/db.ts), so PostgreSQL plans each once per connection on both sides.
  userExists: 'SELECT * FROM users WHERE id = $1 AND deletion_requested_at IS NULL',
  orgExists: 'SELECT * FROM organizations WHERE id = $1',
  memberships: (column: 'user_id' | 'organization_id') => `SELECT m.id, m.organization_id, m.user_id, m.public_metadata, m.private_metadata, m.tenant_link,
            m.created_at, m.updated_at, r.id AS role_id, r.key AS role_key, r.name AS role_name, r.permissions AS role_permissions,
            u.first_name AS user_first_name, u.last_name AS user_last_name, u.image_id AS user_image_id, u.image_url AS user_image_url,
            coalesce((SELECT i.value FROM identifiers i WHERE i.id = u.primary_email_address_id),
              (SELECT i.value FROM identifiers i WHERE i.id = u.primary_phone_number_id),
              (SELECT i.value FROM identifiers i WHERE i.id = u.primary_web3_wallet_id), u.username) AS user_identifier,
            o.id AS org_id, o.name AS org_name, o.slug AS org_slug, o.image_id AS org_image_id, o.public_metadata AS org_public_metadata,
            o.private_metadata AS org_private_metadata, o.max_allowed_memberships AS org_max_allowed_memberships,
            o.admin_delete_enabled AS org_admin_delete_enabled, o.created_by AS org_created_by, o.created_at AS org_created_at,
            o.updated_at AS org_updated_at, (SELECT count(*) FROM organization_memberships c WHERE c.organization_id = o.id) AS org_members_count
            FROM organization_memberships m JOIN organizations o ON o.id = m.organization_id
            JOIN organization_roles r ON r.key = m.role JOIN users u ON u.id = m.user_id
            WHERE m.${column} = $1 ORDER BY m.created_at DESC, m.id DESC LIMIT $2 OFFSET $3`,
  membershipCount: (column: 'user_id' | 'organization_id') => `SELECT count(*) AS n FROM organization_memberships m WHERE m.${column} = $1`,
  // POST /v1/sessions/{id}/verify's floor: the session's primary-key read.
  sessionById: 'SELECT * FROM sessions WHERE id = $1',
  // The client-credentials grant's floor: the application by client_id (its unique index, the
  // app's own look-up), then one RS256 signature.
  appByClientId: 'SELECT * FROM oauth_applications WHERE client_id = $1',
  // The hashing floor's write: one row into a table with two btree indexes.
  floorInsert: `INSERT INTO events (type, subject_id, payload, created_at) VALUES ('bench.floor', $1, '{}'::jsonb, now())`,
};

type PageQuery = { limit?: string; offset?: string };

export async function startBaseline(databaseUrl: string, poolSize: number): Promise<Baseline> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: poolSize });
  pool.on('error', (e) => console.error(`[bench] baseline pool error: ${e.message}`));
  const app = Fastify({ logger: false });

  app.get<{ Params: { id: string } }>('/users/:id', async (req, reply) => {
    // Named, so PostgreSQL plans it once per connection, as Latchkey's driver does.
    const { rows } = await pool.query({ name: 'baseline_by_id', text: BASELINE_SQL.byId, values: [req.params.id] });
    if (rows.length === 0) return reply.code(404).send({ error: 'not found' });
    return rows[0];
  });

  app.get<{ Querystring: { email_address?: string; limit?: string } }>('/users', async (req) => {
    const email = String(req.query.email_address ?? '').trim().toLowerCase();
    const limit = Math.min(500, Math.max(1, Number(req.query.limit ?? 10) || 10));
    const { rows } = await pool.query({ name: 'baseline_by_email', text: BASELINE_SQL.byEmail, values: [email, limit] });
    return rows;
  });

  // GET /v1/users/{id}/organization_memberships and GET /v1/organizations/{id}/memberships.
  const memberships = (column: 'user_id' | 'organization_id', existsSql: string) => {
    const exists = { name: `bl_${column}_owner`, text: existsSql };
    const list = { name: `bl_${column}_list`, text: BASELINE_SQL.memberships(column) };
    const count = { name: `bl_${column}_count`, text: BASELINE_SQL.membershipCount(column) };
    return async (req: { params: { id: string }; query: PageQuery }, reply: { code(n: number): { send(b: unknown): unknown } }) => {
      const id = req.params.id;
      const limit = Math.min(500, Math.max(1, Number(req.query.limit ?? 10) || 10));
      const offset = Math.max(0, Number(req.query.offset ?? 0) || 0);
      const owner = await pool.query({ ...exists, values: [id] });
      if (owner.rows.length === 0) return reply.code(404).send({ error: 'not found' });
      const [rows, total] = await Promise.all([pool.query({ ...list, values: [id, limit, offset] }), pool.query({ ...count, values: [id] })]);
      return { data: rows.rows, total_count: Number(total.rows[0].n) };
    };
  };
  app.get<{ Params: { id: string }; Querystring: PageQuery }>('/users/:id/organization_memberships', memberships('user_id', BASELINE_SQL.userExists));
  app.get<{ Params: { id: string }; Querystring: PageQuery }>('/organizations/:id/memberships', memberships('organization_id', BASELINE_SQL.orgExists));

  app.post<{ Params: { id: string } }>('/sessions/:id/verify', async (req, reply) => {
    const { rows } = await pool.query({ name: 'baseline_session', text: BASELINE_SQL.sessionById, values: [req.params.id] });
    if (rows.length === 0) return reply.code(404).send({ error: 'not found' });
    return rows[0];
  });

  // The floor of every hashing request: one argon2id hash (Latchkey's parameters) and one insert,
  // no parsing, validation or response to speak of. What a real create-user or sign-in can at
  // best reach against raw hashing on this machine. Hashes run in as many slots as Latchkey's.
  const slot = boundedGate(DEFAULT_HASHING.concurrency, DEFAULT_HASHING.maxQueue);
  app.post('/floor/hash-insert', async () => {
    await slot(() => hash(randomBytes(15).toString('base64'), RAW_ARGON));
    await pool.query({ name: 'baseline_floor_insert', text: BASELINE_SQL.floorInsert, values: [randomUUID()] });
    return { ok: true };
  });

  // A token endpoint cut to the bone: Basic client authentication against the stored SHA-256,
  // one read, one RS256-signed JWT access token. No grant logic, no storage of the token.
  const { privateKey } = await generateKeyPair('RS256', { modulusLength: 2048 });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))));
  app.post<{ Body: Record<string, string> }>('/oauth/token', async (req, reply) => {
    const [id, secret] = Buffer.from(String(req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString().split(':').map(decodeURIComponent);
    const { rows } = await pool.query({ name: 'baseline_oauth_app', text: BASELINE_SQL.appByClientId, values: [id] });
    const digest = createHash('sha256').update(secret ?? '').digest();
    const stored = Buffer.from(rows[0]?.client_secret_sha256 ?? '', 'hex');
    if (!rows[0] || stored.length !== digest.length || !timingSafeEqual(stored, digest)) return reply.code(401).send({ error: 'invalid_client' });
    const scope = req.body?.scope ?? rows[0].scopes;
    const now = Math.floor(Date.now() / 1000);
    const accessToken = await new SignJWT({ client_id: id, scope, jti: randomUUID() })
      .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: 'baseline' })
      .setIssuer('http://baseline')
      .setSubject(id)
      .setAudience('http://baseline/v1')
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(privateKey);
    return reply.header('cache-control', 'no-store').send({ access_token: accessToken, expires_in: 600, token_type: 'Bearer', scope });
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
