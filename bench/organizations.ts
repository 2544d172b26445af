/**
 * A fast SQL seed of organizations and memberships, for the benchmark. Rows are what the app
 * itself would write (see src/core/organizations/ and migration 0009): a slug per organization,
 * the first member of each an `org:admin` and its `created_by`, the others `org:member`.
 *
 * Members are the users `seedUsers` (bench/db.ts) created, so run that first. Membership j goes
 * to organization ceil(j / perOrg) and to user ((j - 1) mod users) + 1: each organization gets
 * consecutive users, distinct as long as there are at least perOrg users.
 */
import pg from 'pg';
import { openStorage } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { seeded } from './db.ts';

/** The values seeded organization n gets; load generators build requests from these. */
export const seededOrg = {
  id: (n: number) => `org_bench${n}`,
  slug: (n: number) => `bench-org-${n}`,
  name: (n: number) => `Bench Org ${n}`,
};

export interface OrganizationSeedOptions {
  /** Default 10,000. */
  organizations?: number;
  /** Default 100,000. */
  memberships?: number;
  /** How many `seedUsers` users exist (`user_bench1` ... `user_bench<users>`). */
  users: number;
}

export interface OrganizationSeedStats {
  organizations: number;
  memberships: number;
  perOrganization: number;
  seconds: number;
  tablesMb: number;
}

/**
 * Migrates `url` with the app's migrations, then inserts the organizations and memberships in
 * a few set-based statements and analyses both tables.
 * @example await seedOrganizations(db.url, { users: 100_000 }, console.log)
 */
export async function seedOrganizations(url: string, options: OrganizationSeedOptions, log: (s: string) => void = () => {}): Promise<OrganizationSeedStats> {
  const started = performance.now();
  const organizations = options.organizations ?? 10_000;
  const memberships = options.memberships ?? 100_000;
  const perOrganization = Math.ceil(memberships / organizations);
  if (options.users < perOrganization) {
    throw new Error(`seedOrganizations needs at least ${perOrganization} seeded users (one per member of an organization); ${options.users} given.`);
  }
  const storage = await openStorage(loadConfig({ DATABASE_URL: url, LOG_LEVEL: 'warn' }));
  await storage.close();

  const c = new pg.Client({ connectionString: url });
  c.on('error', (e) => console.error(`[bench] PostgreSQL client error: ${e.message}`));
  await c.connect();
  try {
    const users = await c.query<{ n: string }>(`SELECT count(*) AS n FROM users WHERE id = ANY($1)`, [[seeded.id(1), seeded.id(options.users)]]);
    if (Number(users.rows[0].n) !== 2) throw new Error(`seedOrganizations: ${seeded.id(1)} or ${seeded.id(options.users)} is missing; run seedUsers first.`);
    await c.query(`SET synchronous_commit = off`);
    await c.query(`SET maintenance_work_mem = '256MB'`);

    // The creator is the user of the organization's first membership (see the mapping above).
    await c.query(
      `INSERT INTO organizations (id, name, slug, public_metadata, private_metadata, max_allowed_memberships, created_by, created_at, updated_at)
       SELECT 'org_bench' || n, 'Bench Org ' || n, 'bench-org-' || n, '{"tier":"bench"}', '{}', 0,
         'user_bench' || ((((n - 1) * $2::int) % $3::int) + 1),
         timestamptz '2024-01-01' + n * interval '13 seconds', timestamptz '2024-01-01' + n * interval '13 seconds'
       FROM generate_series(1, $1::int) AS n`,
      [organizations, perOrganization, options.users],
    );
    log(`  seeded ${organizations.toLocaleString('en-US')} organizations`);

    const chunk = 250_000;
    for (let from = 1; from <= memberships; from += chunk) {
      const to = Math.min(memberships, from + chunk - 1);
      await c.query(
        `INSERT INTO organization_memberships (id, organization_id, user_id, role, public_metadata, private_metadata, created_at, updated_at)
         SELECT 'orgmem_bench' || j, 'org_bench' || ((j - 1) / $3::int + 1), 'user_bench' || (((j - 1) % $4::int) + 1),
           CASE WHEN (j - 1) % $3::int = 0 THEN 'org:admin' ELSE 'org:member' END, '{}', '{}',
           timestamptz '2024-01-01' + ((j - 1) / $3::int + 1) * interval '13 seconds' + ((j - 1) % $3::int) * interval '1 second',
           timestamptz '2024-01-01' + ((j - 1) / $3::int + 1) * interval '13 seconds' + ((j - 1) % $3::int) * interval '1 second'
         FROM generate_series($1::int, $2::int) AS j`,
        [from, to, perOrganization, options.users],
      );
      log(`  seeded ${to.toLocaleString('en-US')} / ${memberships.toLocaleString('en-US')} memberships`);
    }
    await c.query('VACUUM (ANALYZE) organizations');
    await c.query('VACUUM (ANALYZE) organization_memberships');
    const size = await c.query<{ mb: string }>(
      `SELECT (pg_total_relation_size('organizations') + pg_total_relation_size('organization_memberships')) / 1048576.0 AS mb`,
    );
    return { organizations, memberships, perOrganization, seconds: (performance.now() - started) / 1000, tablesMb: Number(size.rows[0].mb) };
  } finally {
    await c.end();
  }
}

/**
 * Reads a few seeded organizations back through the running app and returns how many disagree
 * with the seed (name, slug, members_count), so a drifted seed shows up as a note, not as numbers.
 */
export async function organizationSeedDrift(appUrl: string, key: string, stats: OrganizationSeedStats, sample = 10): Promise<number> {
  let wrong = 0;
  for (let k = 1; k <= sample; k++) {
    const n = Math.max(1, Math.floor((stats.organizations * k) / sample));
    const expectedMembers = Math.max(0, Math.min(stats.perOrganization, stats.memberships - (n - 1) * stats.perOrganization));
    const res = await fetch(`${appUrl}/v1/organizations/${seededOrg.slug(n)}?include_members_count=true`, { headers: { authorization: `Bearer ${key}` } });
    const body = (await res.json()) as { id?: string; name?: string; members_count?: number };
    if (res.status !== 200 || body.id !== seededOrg.id(n) || body.name !== seededOrg.name(n) || body.members_count !== expectedMembers) wrong++;
  }
  return wrong;
}
