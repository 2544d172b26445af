import { type CompiledQuery, type Kysely, sql } from 'kysely';
import type { NewIdentifier, NewUser, UserStore } from '../core/users/user-store.ts';
import type { Identifier } from '../core/users/types.ts';
import { translated } from './db-errors.ts';
import type { Database } from './schema.ts';
import { compiledShapes } from './compiled-shapes.ts';
import { applyUserFilter, identifierRow, patchColumns, searchText, SEARCH_SQL, termsShape, toUser, userColumns, userFilterTerms } from './user-rows.ts';

/**
 * The read by primary key is the hottest query there is: it is compiled once, not rebuilt by the
 * query builder on every request, and run with new parameters on any connection.
 */
let byIdQuery: CompiledQuery | undefined;
/** The same for the other unique keys (Pterodactyl reads users by numeric id on its hot path). */
const byKeyQueries = new Map<string, CompiledQuery>();
/** Below this offset a list page is read in one pass (see list). */
const FLAT_LIST_MAX_OFFSET = 100;
/** List and count SQL per filter shape (see compiled-shapes.ts). */
export const userListShapes = compiledShapes();

/** The users repository over Kysely; every call translates database errors to domain errors. */
export function createUserStore(db: Kysely<Database>): UserStore {
  // A user marked for deletion is gone as far as every read is concerned.
  const selectUsers = () => db.selectFrom('users').select(userColumns).where('users.deletion_requested_at', 'is', null);

  return {
    findById: (id) =>
      translated(async () => {
        byIdQuery ??= selectUsers().where('users.id', '=', '').compile();
        const { rows } = await db.executeQuery<Record<string, unknown>>({ ...byIdQuery, parameters: [id] });
        return rows[0] ? toUser(rows[0]) : null;
      }),

    findBy: (key, value) =>
      translated(async () => {
        let query = byKeyQueries.get(key);
        if (!query) byKeyQueries.set(key, (query = selectUsers().where(`users.${key}`, '=', '' as never).compile()));
        const { rows } = await db.executeQuery<Record<string, unknown>>({ ...query, parameters: [value] });
        return rows[0] ? toUser(rows[0]) : null;
      }),

    lockForUpdate: (id) =>
      translated(async () => {
        const locked = await db.selectFrom('users').select('id').where('id', '=', id).where('deletion_requested_at', 'is', null).forUpdate().executeTakeFirst();
        if (!locked) return null;
        const row = await selectUsers().where('users.id', '=', id).executeTakeFirstOrThrow();
        return toUser(row);
      }),

    list: (filter, order, page) =>
      translated(async () => {
        const terms = userFilterTerms(filter);
        const parameters = [...terms.flatMap((t) => t.values), page.limit, page.offset];
        if (page.offset < FLAT_LIST_MAX_OFFSET) {
          // A first page reads the rows directly: PostgreSQL folds identifiers into the few rows
          // the LIMIT keeps, and there is no second pass over users.
          const flatKey = `flat|${order.field}|${order.direction}|${termsShape(terms)}`;
          const { rows } = await userListShapes.execute(db, flatKey, parameters, () =>
            applyUserFilter(db.selectFrom('users').select((eb) => userColumns(eb)), terms)
              .orderBy(`users.${order.field}`, order.direction)
              .orderBy('users.id', order.direction)
              .limit(page.limit)
              .offset(page.offset),
          );
          return rows.map(toUser);
        }
        const key = `list|${order.field}|${order.direction}|${termsShape(terms)}`;
        // Deep pages pick the page's ids first, then fold identifiers into those rows only: the
        // skipped rows must not each pay for the identifiers subquery.
        const { rows } = await userListShapes.execute(db, key, parameters, () => {
          const ids = applyUserFilter(db.selectFrom('users').select(['users.id', `users.${order.field} as sort_key`]), terms)
            .orderBy(`users.${order.field}`, order.direction)
            .orderBy('users.id', order.direction)
            .limit(page.limit)
            .offset(page.offset);
          return db
            .selectFrom(ids.as('page'))
            .innerJoin('users', 'users.id', 'page.id')
            .select((eb) => userColumns(eb as never))
            .orderBy('page.sort_key', order.direction)
            .orderBy('page.id', order.direction);
        });
        return rows.map(toUser);
      }),

    count: (filter) =>
      translated(async () => {
        const terms = userFilterTerms(filter);
        const { rows } = await userListShapes.execute(db, `count|${termsShape(terms)}`, terms.flatMap((t) => t.values), () =>
          applyUserFilter(db.selectFrom('users').select((eb) => eb.fn.countAll().as('n')), terms),
        );
        return Number((rows[0] as { n: unknown }).n);
      }),

    insert: (u, identifiers = []) =>
      translated(async () => {
        const row = await db
          .insertInto('users')
          .values(userRow(u, identifiers))
          .returning('numeric_id')
          .executeTakeFirstOrThrow();
        // One statement for all identifiers; the identity column keeps their given order.
        if (identifiers.length) await db.insertInto('identifiers').values(identifiers.map(identifierRow)).execute();
        return { numericId: Number(row.numeric_id) };
      }),

    insertWithEvent: (u, identifiers, event) =>
      translated(async () => {
        // Data-modifying CTEs run as one statement: all rows or none, with no BEGIN/COMMIT round
        // trips. The identifiers' foreign key is checked at the end of the statement, when the
        // user row exists.
        let q = db.with('u', (w) => w.insertInto('users').values(userRow(u, identifiers)).returning('numeric_id'));
        if (identifiers.length) q = q.with('i', (w) => w.insertInto('identifiers').values(identifiers.map(identifierRow)).returning('id')) as typeof q;
        const row = await q
          .with('e', (w) => w.insertInto('events').values({ type: event.type, subject_id: event.subjectId, payload: JSON.stringify(event.payload), created_at: event.at }).returning('id'))
          .selectFrom('u')
          .select('numeric_id')
          .executeTakeFirstOrThrow();
        return { numericId: Number(row.numeric_id) };
      }),

    update: (id, patch) =>
      translated(async () => {
        const res = await db.updateTable('users').set(patchColumns(patch)).where('id', '=', id).executeTakeFirst();
        return Number(res.numUpdatedRows) > 0;
      }),

    delete: (id) =>
      translated(async () => {
        const res = await db.deleteFrom('users').where('id', '=', id).where('deletion_requested_at', 'is', null).executeTakeFirst();
        return Number(res.numDeletedRows) > 0;
      }),

    markForDeletion: (id, at) =>
      translated(async () => {
        const res = await db.updateTable('users').set({ deletion_requested_at: at }).where('id', '=', id).where('deletion_requested_at', 'is', null).executeTakeFirst();
        return Number(res.numUpdatedRows) > 0;
      }),

    purgeMarkedForDeletion: (limit) =>
      translated(async () => {
        // Identifiers, credentials, verifications and memberships go by foreign-key cascade.
        const rows = await db
          .deleteFrom('users')
          .where('id', 'in', (eb) =>
            eb.selectFrom('users').select('id').where('deletion_requested_at', 'is not', null).orderBy('deletion_requested_at').orderBy('id').limit(limit).forUpdate().skipLocked(),
          )
          .returning('id')
          .execute();
        return rows.map((r) => r.id);
      }),

    findPassword: (id) =>
      translated(async () => {
        const row = await db.selectFrom('users').select(['password_digest', 'password_hasher']).where('id', '=', id).where('deletion_requested_at', 'is', null).executeTakeFirst();
        return row?.password_digest && row.password_hasher ? { digest: row.password_digest, hasher: row.password_hasher } : null;
      }),

    rehashPassword: (id, expected, digest, hasher) =>
      translated(async () => {
        const res = await db
          .updateTable('users')
          .set({ password_digest: digest, password_hasher: hasher })
          .where('id', '=', id)
          .where('password_digest', '=', expected)
          .executeTakeFirst();
        return Number(res.numUpdatedRows) > 0;
      }),

    findIdentifier: (id) =>
      translated(async () => {
        // An identifier of a user marked for deletion is gone with its user.
        const r = await db
          .selectFrom('identifiers')
          .selectAll('identifiers')
          .where('identifiers.id', '=', id)
          .where((eb) => eb.not(eb.exists(eb.selectFrom('users').select('users.id').whereRef('users.id', '=', 'identifiers.user_id').where('users.deletion_requested_at', 'is not', null))))
          .executeTakeFirst();
        if (!r) return null;
        const ident: Identifier = {
          id: r.id,
          userId: r.user_id,
          type: r.type as Identifier['type'],
          value: r.value,
          verified: r.verified,
          verificationStrategy: r.verification_strategy,
          verificationAttempts: r.verification_attempts,
          verificationExpiresAt: r.verification_expires_at,
          createdAt: r.created_at,
          updatedAt: r.updated_at,
        };
        return ident;
      }),

    insertIdentifier: (i) =>
      translated(async () => {
        await db.insertInto('identifiers').values(identifierRow(i)).execute();
      }),

    updateIdentifier: (id, patch) =>
      translated(async () => {
        await db
          .updateTable('identifiers')
          .set({
            ...(patch.verified !== undefined ? { verified: patch.verified } : {}),
            ...(patch.verificationStrategy !== undefined ? { verification_strategy: patch.verificationStrategy } : {}),
            ...(patch.verificationAttempts !== undefined ? { verification_attempts: patch.verificationAttempts } : {}),
            ...(patch.verificationExpiresAt !== undefined ? { verification_expires_at: patch.verificationExpiresAt } : {}),
            updated_at: patch.updatedAt,
          })
          .where('id', '=', id)
          .execute();
      }),

    deleteIdentifier: (id) =>
      translated(async () => {
        const res = await db.deleteFrom('identifiers').where('id', '=', id).executeTakeFirst();
        return Number(res.numDeletedRows) > 0;
      }),

    refreshSearch: (userId) =>
      translated(async () => {
        await sql`UPDATE users SET search = ${SEARCH_SQL} WHERE id = ${userId}`.execute(db);
      }),
  };
}

/** The users row of a new user; `search` is computed from the user and its identifiers' values. */
function userRow(u: NewUser, identifiers: NewIdentifier[]) {
  return {
    id: u.id,
    uuid: u.uuid,
    external_id: u.externalId,
    username: u.username,
    first_name: u.firstName,
    last_name: u.lastName,
    display_name: u.displayName,
    language: u.language,
    is_admin: u.isAdmin,
    image_url: null,
    public_metadata: JSON.stringify(u.publicMetadata),
    private_metadata: JSON.stringify(u.privateMetadata),
    unsafe_metadata: JSON.stringify(u.unsafeMetadata),
    password_digest: u.passwordDigest,
    password_hasher: u.passwordHasher,
    banned: u.banned ?? false,
    legal_accepted_at: u.legalAcceptedAt ?? null,
    locked_until: null,
    primary_email_address_id: u.primaryEmailAddressId ?? null,
    primary_phone_number_id: u.primaryPhoneNumberId ?? null,
    primary_web3_wallet_id: u.primaryWeb3WalletId ?? null,
    last_sign_in_at: null,
    search: searchText(u, identifiers.map((i) => i.value)),
    created_at: u.createdAt,
    updated_at: u.updatedAt,
  };
}
