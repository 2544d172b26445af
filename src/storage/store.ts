import type { Kysely } from 'kysely';
import type { SecretKeyStore } from '../core/keys/secret-key-store.ts';
import type { EventStore, Store } from '../core/store.ts';
import { translated } from './db-errors.ts';
import type { Database } from './schema.ts';
import { createImageStore } from './image-store.ts';
import { createLockoutStore } from './lockout-store.ts';
import { createMfaStore } from './mfa-store.ts';
import { createVerificationStore } from './verification-store.ts';
import { createMessageStore, createTemplateStore } from './message-store.ts';
import { createMembershipStore } from './membership-store.ts';
import { createOrganizationStore } from './organization-store.ts';
import { createUserStore } from './user-store.ts';
import { createSessionStore } from './session-store.ts';
import { createInvitationStore, createOrganizationInvitationStore } from './invitation-store.ts';
import { createActorTokenStore, createSignInTokenStore } from './sign-in-token-store.ts';
import { createJwtTemplateStore, createSigningKeyStore } from './token-store.ts';
import { createAccessListStore, createInstanceSettingsStore, createRedirectUrlStore, createSignUpStore } from './instance-store.ts';
import { createOAuthApplicationStore } from './oauth-application-store.ts';
import { createSignUpCodeStore } from './sign-up-code-store.ts';

function createSecretKeyStore(db: Kysely<Database>): SecretKeyStore {
  const toRecord = (r: Database['secret_keys'] extends infer T ? Record<string, any> : never) => ({
    id: r.id,
    name: r.name,
    keyHash: r.key_hash,
    lastFour: r.last_four,
    createdAt: r.created_at,
    revokedAt: r.revoked_at,
  });
  return {
    insert: (k) =>
      translated(async () => {
        await db.insertInto('secret_keys').values({ id: k.id, name: k.name, key_hash: k.keyHash, last_four: k.lastFour, created_at: k.createdAt, revoked_at: k.revokedAt }).execute();
      }),
    findByHash: (hash) =>
      translated(async () => {
        const r = await db.selectFrom('secret_keys').selectAll().where('key_hash', '=', hash).executeTakeFirst();
        return r ? toRecord(r) : null;
      }),
    list: () => translated(async () => (await db.selectFrom('secret_keys').selectAll().orderBy('created_at').execute()).map(toRecord)),
    revoke: (id, at) =>
      translated(async () => {
        const res = await db.updateTable('secret_keys').set({ revoked_at: at }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
        return Number(res.numUpdatedRows) > 0;
      }),
    countActive: () =>
      translated(async () => {
        const r = await db.selectFrom('secret_keys').select((eb) => eb.fn.countAll().as('n')).where('revoked_at', 'is', null).executeTakeFirstOrThrow();
        return Number(r.n);
      }),
  };
}

function createEventStore(db: Kysely<Database>): EventStore {
  return {
    record: (e) =>
      translated(async () => {
        await db.insertInto('events').values({ type: e.type, subject_id: e.subjectId, payload: JSON.stringify(e.payload), created_at: e.at }).execute();
      }),
  };
}

/** The core's Store over one Kysely handle; inside a transaction every repository shares it. */
export function createStore(db: Kysely<Database>): Store {
  const store: Store = {
    users: createUserStore(db),
    secretKeys: createSecretKeyStore(db),
    events: createEventStore(db),
    images: createImageStore(db),
    lockout: createLockoutStore(db),
    mfa: createMfaStore(db),
    verifications: createVerificationStore(db),
    organizations: createOrganizationStore(db),
    memberships: createMembershipStore(db),
    messages: createMessageStore(db),
    templates: createTemplateStore(db),
    invitations: createInvitationStore(db),
    organizationInvitations: createOrganizationInvitationStore(db),
    settings: createInstanceSettingsStore(db),
    accessLists: createAccessListStore(db),
    redirectUrls: createRedirectUrlStore(db),
    signUps: createSignUpStore(db),
    sessions: createSessionStore(db),
    oauthApplications: createOAuthApplicationStore(db),
    signInTokens: createSignInTokenStore(db),
    actorTokens: createActorTokenStore(db),
    signUpCodes: createSignUpCodeStore(db),
    signingKeys: createSigningKeyStore(db),
    jwtTemplates: createJwtTemplateStore(db),
    transaction(fn) {
      if (db.isTransaction) return fn(store);
      return translated(() => db.transaction().execute((trx) => fn(createStore(trx))));
    },
  };
  return store;
}
