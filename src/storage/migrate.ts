import type { Kysely } from 'kysely';
import { type Migration, Migrator } from 'kysely/migration';
import * as m0001 from './migrations/0001-users.ts';
import * as m0002 from './migrations/0002-password-compromised.ts';
import * as m0003 from './migrations/0003-images-and-legal.ts';
import * as m0004 from './migrations/0004-lockout.ts';
import * as m0005 from './migrations/0005-mfa.ts';
import * as m0006 from './migrations/0006-identifier-order.ts';
import * as m0007 from './migrations/0007-outbox.ts';
import * as m0008 from './migrations/0008-verifications.ts';
import * as m0010 from './migrations/0010-substring-search.ts';
import * as m0009 from './migrations/0009-organizations.ts';
import * as m0011 from './migrations/0011-authress.ts';
import * as m0012 from './migrations/0012-invitations.ts';
import * as m0013 from './migrations/0013-instance-settings.ts';
import * as m0014 from './migrations/0014-sessions.ts';
import * as m0017 from './migrations/0017-sign-in-tokens.ts';
import * as m0016 from './migrations/0016-oidc.ts';
import * as m0015 from './migrations/0015-signing-keys.ts';
import * as m0018 from './migrations/0018-sign-up-codes.ts';
import * as m0019 from './migrations/0019-fillfactor.ts';

/** Migrations in order; names sort lexically, so keep the numeric prefix. */
const MIGRATIONS: Record<string, Migration> = {
  '0001-users': m0001,
  '0002-password-compromised': m0002,
  '0003-images-and-legal': m0003,
  '0004-lockout': m0004,
  '0005-mfa': m0005,
  '0006-identifier-order': m0006,
  '0007-outbox': m0007,
  '0008-verifications': m0008,
  '0010-substring-search': m0010,
  '0009-organizations': m0009,
  '0011-authress': m0011,
  '0012-invitations': m0012,
  '0013-instance-settings': m0013,
  '0014-sessions': m0014,
  '0017-sign-in-tokens': m0017,
  '0016-oidc': m0016,
  '0015-signing-keys': m0015,
  '0018-sign-up-codes': m0018,
  '0019-fillfactor': m0019,
};

/** Brings the schema up to date; safe to run from several processes at once (Kysely takes a lock). */
export async function migrateToLatest(db: Kysely<any>): Promise<string[]> {
  // Unordered: a migration merged later with a lower number still runs on databases that moved on.
  const migrator = new Migrator({ db, provider: { getMigrations: async () => MIGRATIONS }, allowUnorderedMigrations: true });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
