import type { FastifyInstance } from 'fastify';
import type { Config } from './config.ts';
import { type Clock, systemClock } from './core/clock.ts';
import { type BreachedPasswords, loadBreachedPasswords } from './core/credentials/breached-passwords.ts';
import { DEFAULT_LOCKOUT } from './core/credentials/lockout.ts';
import { createPasswordHasher, DEFAULT_HASHING, type HashingOptions, type PasswordHasher } from './core/credentials/password-hasher.ts';
import { createMfaService } from './core/credentials/mfa.ts';
import { secretBox } from './core/crypto/secret-box.ts';
import { createSecretKeyService } from './core/keys/secret-keys.ts';
import { createSigningKeys } from './core/tokens/signing-keys.ts';
import { createJwtTemplateService } from './core/tokens/jwt-templates.ts';
import { createSessionTokenService, MAX_SESSION_TOKEN_SECONDS } from './core/tokens/session-tokens.ts';
import { loadEncryptionKey } from './encryption-key.ts';
import { createIdentifierService } from './core/users/identifier-service.ts';
import { createProfileImageService } from './core/users/profile-images.ts';
import { createMembershipService } from './core/organizations/membership-service.ts';
import { createOrganizationService } from './core/organizations/organization-service.ts';
import { createTenantLinkService } from './core/organizations/tenant-links.ts';
import { createUserService } from './core/users/user-service.ts';
import { createSessionService } from './core/sessions/session-service.ts';
import type { RevocationReason } from './core/sessions/types.ts';
import { createAccessListService, createSignUpRestrictions } from './core/instance/access-lists.ts';
import { createInstanceSettings } from './core/instance/instance-settings.ts';
import { createRedirectUrlService } from './core/instance/redirect-urls.ts';
import { createOAuthApplicationService } from './core/oauth/oauth-applications.ts';
import { createOidc } from './oidc/index.ts';
import { createInvitationService } from './core/invitations/invitation-service.ts';
import { createOrganizationInvitationService } from './core/invitations/organization-invitation-service.ts';
import { createSignUpService } from './core/sign-ups/sign-up-service.ts';
import { createSignUpFlow } from './core/sign-ups/sign-up-flow.ts';
import { createSignInService, type SignInLimits } from './core/sign-in/sign-in-service.ts';
import { createActorTokenService, createSignInTokenService } from './core/sign-in-tokens/ticket-service.ts';
import { createOutboxService, localPart } from './core/delivery/outbox-service.ts';
import { createTemplateService } from './core/delivery/template-service.ts';
import { createTransports } from './delivery/create-transports.ts';
import { createOutboxWorker, type WorkerOptions } from './delivery/outbox-worker.ts';
import type { DeliveryLog } from './delivery/transport.ts';
import { createIdentifierVerification } from './core/verification/identifier-verification.ts';
import { createPasswordReset } from './core/verification/password-reset.ts';
import { memoryRateLimiter } from './rate-limit/memory.ts';
import { clerkDialect } from './http/dialects/clerk/index.ts';
import { pterodactylDialect } from './http/dialects/pterodactyl/index.ts';
import { authressDialect } from './http/dialects/authress/index.ts';
import { authressErrorHandler } from './http/dialects/authress/errors.ts';
import { clerkErrorHandler } from './http/dialects/clerk/errors.ts';
import { pterodactylErrorHandler } from './http/dialects/pterodactyl/errors.ts';
import { createUserDeletionWorker, type DeletionWorkerOptions } from './jobs/user-deletion-worker.ts';
import { registerImageRoute } from './http/images-route.ts';
import { registerPages } from './http/pages/index.ts';
import { createHttpServer } from './http/server.ts';
import { openDatabase, type DatabaseHandle } from './storage/db.ts';
import { migrateToLatest } from './storage/migrate.ts';
import { createStore } from './storage/store.ts';
import pkg from '../package.json' with { type: 'json' };

export interface AppOverrides {
  clock?: Clock;
  /** Tests lower argon2's cost; production keeps the security baseline's. */
  hashing?: Partial<HashingOptions>;
  breached?: BreachedPasswords;
  /** Lets a test observe or slow down password checks. */
  wrapHasher?: (hasher: PasswordHasher) => PasswordHasher;
  /** `autoStart: false` leaves delivery to `app.delivery.drain()`; `log` captures its lines. */
  delivery?: { autoStart?: boolean; options?: Partial<WorkerOptions>; log?: DeliveryLog };
  /** `autoStart: false` leaves asynchronous user deletions to `app.deletions.runOnce()`. */
  deletions?: { autoStart?: boolean; options?: Partial<DeletionWorkerOptions> };
  /** Tests lower the hosted sign-in's rate limits to reach them quickly. */
  signInLimits?: Partial<SignInLimits>;
}

/** Opens storage and brings the schema up to date. */
export async function openStorage(config: Config): Promise<DatabaseHandle> {
  const handle = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  await migrateToLatest(handle.db);
  return handle;
}

/**
 * The composition root: config -> storage -> services -> dialects. Everything is created here
 * with explicit dependencies, so a test can build the whole server on any database.
 */
export async function createApp(config: Config, overrides: AppOverrides = {}) {
  const database = await openStorage(config);
  const store = createStore(database.db);
  const clock = overrides.clock ?? systemClock;
  const breached = overrides.breached ?? (await loadBreachedPasswords());
  const baseHasher = createPasswordHasher({
    ...DEFAULT_HASHING,
    ...(config.hashConcurrency ? { concurrency: config.hashConcurrency } : {}),
    ...overrides.hashing,
  });
  const hasher = overrides.wrapHasher ? overrides.wrapHasher(baseHasher) : baseHasher;
  const rules = { requireIdentifier: config.requireIdentifier, requirePassword: false };
  const lockout = { ...DEFAULT_LOCKOUT, threshold: config.lockoutThreshold, durationMs: config.lockoutMinutes * 60_000 };
  const encryptionKey = await loadEncryptionKey(config.encryptionKey, config.dataDir);
  const box = secretBox(encryptionKey);
  const mfa = createMfaService({ store, clock, box, issuer: config.publicUrl ? new URL(config.publicUrl).host : 'Latchkey' });
  const settings = createInstanceSettings({ store, clock });
  const restrictions = createSignUpRestrictions({ store, settings });
  const sessions = createSessionService({ store, clock, lifetimes: { maxSeconds: config.sessionMaxSeconds, idleSeconds: config.sessionIdleSeconds } });
  // Ban, lock, delete and password resets end the user's sessions (and, through the sessions'
  // listeners, what the OpenID provider holds), once the change itself has committed.
  const onSecurityEvent = async (userId: string, reason: RevocationReason) => {
    await sessions.revokeAllForUser(userId, reason);
  };
  const users = createUserService({ store, clock, hasher, breached, rules, lockout, mfa, restrictions, onDeletionRequested: () => deletions.wake(), onSecurityEvent });
  const identifiers = createIdentifierService({ store, clock, rules });
  const secretKeys = createSecretKeyService({ store, clock });
  const profileImages = createProfileImageService({ store, clock });
  const organizations = createOrganizationService({ store, clock, settings });
  const memberships = createMembershipService({ store, clock, settings });
  const tenantLinks = createTenantLinkService({ store, clock });
  const templates = createTemplateService({ store, clock, defaultFromName: localPart(config.delivery.emailFrom) });
  const outbox = createOutboxService({
    store,
    clock,
    templates,
    senders: { email: config.delivery.emailFrom, sms: config.delivery.smsFrom },
    appName: config.publicUrl ? new URL(config.publicUrl).host : 'Latchkey',
    notify: () => delivery.wake(),
  });
  // Until PUBLIC_URL is set, links point at the address the server actually listens on.
  // Every user read builds image URLs from it, so the listening address is looked up once.
  let listening: string | undefined;
  const publicUrl = () => config.publicUrl ?? (listening ??= listeningUrl(http)) ?? `http://localhost:${config.port}`;
  // Session tokens: the issuer is read per token, since without PUBLIC_URL it is known only once listening.
  const issuer = () => config.issuer ?? publicUrl();
  const signingKeys = createSigningKeys({ store, clock, box, maxSessionTokenSeconds: Math.max(config.sessionTokenSeconds, MAX_SESSION_TOKEN_SECONDS) });
  const jwtTemplates = createJwtTemplateService({ store, clock, box });
  const sessionTokens = createSessionTokenService({ keys: signingKeys, templates: jwtTemplates, store, clock, issuer, lifetimeSeconds: config.sessionTokenSeconds });

  const oauthApplications = createOAuthApplicationService({ store, clock });
  const redirects = createRedirectUrlService({ store, clock, publicUrl, callbackUrls: () => oauthApplications.callbackUrls() });
  const oidc = createOidc({
    db: database.db,
    clock,
    apps: oauthApplications,
    users,
    sessions,
    signingKeys,
    issuer,
    configuredIssuer: config.issuer ?? config.publicUrl,
    publicUrl,
    encryptionKey,
    sessionMaxSeconds: config.sessionMaxSeconds,
    secureCookies: (config.publicUrl ?? '').startsWith('https:'),
    trustProxy: config.trustProxy,
    onServerError: (e) => http.log.error({ err: e }, 'OpenID provider error'),
  });
  const instance = {
    settings,
    restrictions,
    redirects,
    accessLists: createAccessListService({ store, clock }),
    invitations: createInvitationService({ store, clock, outbox, restrictions, redirects, createUser: users.create, linkBase: () => `${publicUrl()}/sign-up` }),
    organizationInvitations: createOrganizationInvitationService({ store, clock, outbox, settings, redirects, linkBase: () => `${publicUrl()}/accept-invitation` }),
    signUps: createSignUpService({ store, clock }),
  };

  // ioredis is loaded only when Redis is configured.
  const redis = config.redisUrl ? (await import('./rate-limit/redis.ts')).redisRateLimiter(config.redisUrl) : null;
  const limiter = redis ?? memoryRateLimiter(clock);
  const verification = createIdentifierVerification({ store, clock, outbox, linkBase: () => `${publicUrl()}/verify-email` });
  const passwordReset = createPasswordReset({
    store,
    clock,
    outbox,
    hasher,
    breached,
    limiter,
    lockout,
    linkBase: () => `${publicUrl()}/reset-password`,
    onBackgroundError: (e) => http.log.error({ err: e }, 'password reset request failed'),
    onSecurityEvent,
  });
  // An address that already has an account gets the reset email instead of a sign-up code.
  const signIn = createSignInService({ store, clock, hasher, users, mfa, outbox, limiter, lockout, limits: overrides.signInLimits });
  const signInTokens = createSignInTokenService({ store, clock, publicUrl });
  const actorTokens = createActorTokenService({ store, clock, publicUrl });
  const signUpFlow = createSignUpFlow({ store, clock, outbox, hasher, breached, limiter, restrictions, createUser: users.create, notifyExistingAccount: (email, ip) => passwordReset.request(email, ip) });

  // A fresh instance needs one key to be usable at all; it is shown once, by the caller.
  let firstKey: string | undefined;
  if (config.secretKey) await secretKeys.ensure(config.secretKey, 'LATCHKEY_SECRET_KEY');
  else if ((await secretKeys.countActive()) === 0) firstKey = (await secretKeys.create('first key')).key;

  const http: FastifyInstance = await createHttpServer({
    logLevel: config.logLevel,
    version: pkg.version,
    trustProxy: config.trustProxy,
    dialects: [
      { prefix: '/v1', plugin: clerkDialect({ users, sessions, identifiers, secretKeys, profileImages, publicUrl, clock, mfa, outbox, templates, organizations, memberships, instance, passwordReset, signInTokens, actorTokens, tokens: { sessions, sessionTokens, signingKeys, jwtTemplates }, oauth: { applications: oauthApplications, issuer, verifyAdminToken: oidc.verifyAdminToken } }), errorHandler: clerkErrorHandler },
      {
        prefix: '/compat/pterodactyl/api/application',
        // The panel mails a set-password link to accounts made without a password; a reset does that.
        plugin: pterodactylDialect({ users, secretKeys, sendSetPassword: (email) => passwordReset.request(email, 'pterodactyl-admin') }),
        errorHandler: pterodactylErrorHandler,
      },
      {
        prefix: '/compat/authress/v1',
        plugin: authressDialect({ users, tenantLinks, secretKeys, publicUrl, cursorSecret: encryptionKey }),
        errorHandler: authressErrorHandler,
      },
    ],
  });
  registerImageRoute(http, profileImages);
  const secureCookies = (config.publicUrl ?? '').startsWith('https:');
  await registerPages(http, {
    passwordReset,
    verification,
    secureCookies,
    signIn: { signIn, signInTokens, actorTokens, sessions, users, redirects, secureCookies, cookieMaxAgeSeconds: config.sessionMaxSeconds },
    signUp: { signUps: signUpFlow, invitations: instance.invitations, organizationInvitations: instance.organizationInvitations, redirects, sessions, secureCookies, cookieMaxAgeSeconds: config.sessionMaxSeconds },
  });
  await oidc.register(http);
  const deliveryLog = overrides.delivery?.log ?? http.log.child({ component: 'delivery' });
  const delivery = createOutboxWorker({ store, clock, transports: createTransports(config.delivery, deliveryLog), log: deliveryLog, options: overrides.delivery?.options });
  if (overrides.delivery?.autoStart !== false) delivery.start();
  const deletions = createUserDeletionWorker({ purge: (limit) => users.purgeMarked(limit), log: http.log.child({ component: 'deletions' }), options: overrides.deletions?.options });
  if (overrides.deletions?.autoStart !== false) deletions.start();

  return {
    http,
    database,
    services: { users, sessions, identifiers, secretKeys, hasher, profileImages, mfa, outbox, templates, organizations, memberships, tenantLinks, verification, passwordReset, signUpFlow, signIn, signInTokens, actorTokens, signingKeys, sessionTokens, jwtTemplates, oauthApplications, oidc, ...instance },
    delivery,
    deletions,
    firstKey,
    async close() {
      await http.close();
      await passwordReset.settle();
      await delivery.stop();
      await deletions.stop();
      await redis?.close();
      await oidc.settle();
      await database.close();
    },
  };
}

export type App = Awaited<ReturnType<typeof createApp>>;

function listeningUrl(http: FastifyInstance): string | undefined {
  const a = http.addresses()[0];
  if (!a || typeof a === 'string') return undefined;
  const host = a.address === '0.0.0.0' || a.address === '::' ? 'localhost' : a.family === 'IPv6' ? `[${a.address}]` : a.address;
  return `http://${host}:${a.port}`;
}
