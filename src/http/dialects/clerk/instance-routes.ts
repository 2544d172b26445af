import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import type { InstanceSettings } from '../../../core/instance/instance-settings.ts';
import { toClerkInstance, toClerkInstanceSettings, toClerkOrganizationSettings, toClerkRestrictions } from './instance-mappers.ts';
import { ERROR_RESPONSES, Nullable } from './schemas.ts';

const StoredOnly = 'Stored and echoed; it changes nothing on a self-hosted server.';
const Flag = (description: string) => Type.Optional(Nullable(Type.Boolean({ description })));
const Text = (max: number, description: string) => Type.Optional(Nullable(Type.String({ maxLength: max, description })));

const InstanceBody = Type.Object(
  {
    test_mode: Flag(StoredOnly),
    hibp: Flag(`${StoredOnly} New passwords are always checked against the offline breached-password list.`),
    enhanced_email_deliverability: Flag(`${StoredOnly} Emails go through SMTP_URL.`),
    support_email: Text(320, 'An email address. Stored for the hosted pages to show.'),
    clerk_js_version: Text(64, StoredOnly),
    development_origin: Text(2048, `An http(s) origin. ${StoredOnly}`),
    allowed_origins: Type.Optional(Type.Array(Type.String({ maxLength: 512 }), { maxItems: 100, description: 'Origins (https://app.example.com, chrome-extension://<id>) the browser-facing endpoints to come will accept.' })),
    experimental_allowed_origins: Type.Optional(Type.Array(Type.String({ maxLength: 512 }), { maxItems: 100, description: 'Deprecated spelling of allowed_origins.' })),
    cookieless_dev: Type.Optional(Type.Boolean({ description: `Deprecated spelling of url_based_session_syncing. ${StoredOnly}` })),
    url_based_session_syncing: Type.Optional(Type.Boolean({ description: StoredOnly })),
    preferred_sign_in_strategy_when_password_required: Type.Optional(Nullable(Type.String({ enum: ['password', 'otp', ''], description: StoredOnly }))),
  },
  { additionalProperties: false },
);

const RestrictionsBody = Type.Object(
  {
    allowlist: Flag('Enforced: only identifiers on the allowlist may be used by new users (admin creation, invitations, sign-up).'),
    blocklist: Flag('Enforced: identifiers on the blocklist (and their subaddresses, and `*@domain` entries) are refused.'),
    block_email_subaddresses: Flag('Enforced: addresses with `+`, `=` or `#` in the local part are refused.'),
    block_disposable_email_domains: Flag(`${StoredOnly} Latchkey ships no list of disposable domains; block them with \`*@domain\` entries.`),
    ignore_dots_for_gmail_addresses: Flag(StoredOnly),
  },
  { additionalProperties: false },
);

const OrganizationSettingsBody = Type.Object(
  {
    enabled: Flag('Enforced: off refuses new organizations, memberships and invitations (403 organization_not_enabled_in_instance); existing ones stay readable and deletable.'),
    max_allowed_memberships: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 2_147_483_647, description: 'The member limit of organizations created without one (0 = no limit).' }))),
    admin_delete_enabled: Flag('`admin_delete_enabled` of organizations created from now on.'),
    domains_enabled: Flag(`${StoredOnly} There are no verified domains yet.`),
    domains_enrollment_modes: Type.Optional(Type.Array(Type.String({ enum: ['automatic_invitation', 'automatic_suggestion'] }), { maxItems: 2, description: StoredOnly })),
    creator_role_id: Text(128, 'The role (id such as `role_admin`, or key such as `org:admin`) an organization creator gets.'),
    domains_default_role_id: Text(128, StoredOnly),
  },
  { additionalProperties: false },
);

const AuthConfigBody = Type.Object(
  {
    restricted_to_allowlist: Flag('The same switch as `allowlist` of PATCH /instance/restrictions.'),
    from_email_address: Text(64, `A local part. ${StoredOnly} The From address is EMAIL_FROM and each template's from_email_name.`),
    progressive_sign_up: Flag(StoredOnly),
    session_token_template: Text(256, StoredOnly),
    enhanced_email_deliverability: Flag(StoredOnly),
    test_mode: Flag(StoredOnly),
  },
  { additionalProperties: false },
);

const DomainBody = Type.Object(
  {
    home_url: Type.Optional(Type.String({ maxLength: 2048, description: `An http(s) URL. ${StoredOnly} Links use PUBLIC_URL.` })),
    is_secondary: Type.Optional(Type.Boolean({ description: StoredOnly })),
  },
  { additionalProperties: false },
);

const Restrictions = Type.Object(
  {
    object: Type.Literal('instance_restrictions'),
    allowlist: Type.Boolean(),
    blocklist: Type.Boolean(),
    block_email_subaddresses: Type.Boolean(),
    block_disposable_email_domains: Type.Boolean(),
    ignore_dots_for_gmail_addresses: Type.Boolean(),
  },
  { additionalProperties: false },
);

const OrganizationSettings = Type.Object(
  {
    object: Type.Literal('organization_settings'),
    enabled: Type.Boolean(),
    max_allowed_memberships: Type.Integer(),
    max_allowed_roles: Type.Integer(),
    max_allowed_permissions: Type.Integer(),
    creator_role: Type.String(),
    admin_delete_enabled: Type.Boolean(),
    domains_enabled: Type.Boolean(),
    slug_disabled: Type.Boolean(),
    domains_enrollment_modes: Type.Array(Type.String()),
    domains_default_role: Type.String(),
  },
  { additionalProperties: false },
);

const InstanceSettingsReply = Type.Object(
  {
    object: Type.Literal('instance_settings'),
    id: Type.String(),
    restricted_to_allowlist: Type.Boolean(),
    from_email_address: Type.Optional(Type.String()),
    progressive_sign_up: Type.Boolean(),
    enhanced_email_deliverability: Type.Boolean(),
  },
  { additionalProperties: false },
);

const Instance = Type.Object(
  { object: Type.Literal('instance'), id: Type.String(), environment_type: Type.String(), allowed_origins: Type.Array(Type.String()) },
  { additionalProperties: false },
);

const NoContent = Type.Null({ description: 'No body' });

/**
 * Clerk Backend API: Instance Settings and Beta Features. Everything is stored in the database and
 * read on each use, so a change applies at once on every server process.
 */
export function instanceRoutes(settings: InstanceSettings): FastifyPluginAsyncTypebox {
  return async (app) => {
    // Called by the official SDK (instance.get), absent from the published spec.
    app.get('/instance', { schema: { tags: ['Instance Settings'], operationId: 'GetInstance', response: { 200: Instance, ...ERROR_RESPONSES } } }, async () =>
      toClerkInstance(await settings.instance()),
    );

    app.patch('/instance', { schema: { tags: ['Instance Settings'], operationId: 'UpdateInstance', body: InstanceBody, response: { 204: NoContent, ...ERROR_RESPONSES } } }, async (req, reply) => {
      const b = req.body ?? {};
      await settings.updateInstance({
        testMode: b.test_mode,
        hibp: b.hibp,
        enhancedEmailDeliverability: b.enhanced_email_deliverability,
        supportEmail: b.support_email,
        clerkJsVersion: b.clerk_js_version,
        developmentOrigin: b.development_origin,
        allowedOrigins: b.allowed_origins ?? b.experimental_allowed_origins,
        urlBasedSessionSyncing: b.url_based_session_syncing ?? b.cookieless_dev,
        preferredSignInStrategyWhenPasswordRequired: b.preferred_sign_in_strategy_when_password_required as '' | 'password' | 'otp' | null | undefined,
      } as Parameters<InstanceSettings['updateInstance']>[0]);
      return (reply as FastifyReply).code(204).send();
    });

    app.patch(
      '/instance/restrictions',
      { schema: { tags: ['Instance Settings'], operationId: 'UpdateInstanceRestrictions', body: RestrictionsBody, response: { 200: Restrictions, ...ERROR_RESPONSES } } },
      async (req) => {
        const b = req.body ?? {};
        return toClerkRestrictions(
          await settings.updateRestrictions({
            allowlist: b.allowlist ?? undefined,
            blocklist: b.blocklist ?? undefined,
            blockEmailSubaddresses: b.block_email_subaddresses ?? undefined,
            blockDisposableEmailDomains: b.block_disposable_email_domains ?? undefined,
            ignoreDotsForGmailAddresses: b.ignore_dots_for_gmail_addresses ?? undefined,
          }),
        );
      },
    );

    // Called by the official SDK (getOrganizationSettings), absent from the published spec.
    app.get(
      '/instance/organization_settings',
      { schema: { tags: ['Instance Settings'], operationId: 'GetInstanceOrganizationSettings', response: { 200: OrganizationSettings, ...ERROR_RESPONSES } } },
      async () => toClerkOrganizationSettings(await settings.organizations()),
    );

    app.patch(
      '/instance/organization_settings',
      { schema: { tags: ['Instance Settings'], operationId: 'UpdateInstanceOrganizationSettings', body: OrganizationSettingsBody, response: { 200: OrganizationSettings, ...ERROR_RESPONSES } } },
      async (req) => {
        const b = req.body ?? {};
        return toClerkOrganizationSettings(
          await settings.updateOrganizations({
            enabled: b.enabled ?? undefined,
            maxAllowedMemberships: b.max_allowed_memberships ?? undefined,
            adminDeleteEnabled: b.admin_delete_enabled ?? undefined,
            domainsEnabled: b.domains_enabled ?? undefined,
            domainsEnrollmentModes: b.domains_enrollment_modes,
            creatorRoleId: b.creator_role_id,
            domainsDefaultRoleId: b.domains_default_role_id,
          }),
        );
      },
    );

    app.patch(
      '/beta_features/instance_settings',
      { schema: { tags: ['Beta Features'], operationId: 'UpdateInstanceAuthConfig', body: AuthConfigBody, response: { 200: InstanceSettingsReply, ...ERROR_RESPONSES } } },
      async (req) => {
        const b = req.body ?? {};
        if (b.enhanced_email_deliverability != null || b.test_mode != null) {
          await settings.updateInstance({ enhancedEmailDeliverability: b.enhanced_email_deliverability ?? undefined, testMode: b.test_mode ?? undefined });
        }
        const r = await settings.updateAuth({
          restrictedToAllowlist: b.restricted_to_allowlist,
          fromEmailAddress: b.from_email_address ?? undefined,
          progressiveSignUp: b.progressive_sign_up ?? undefined,
          sessionTokenTemplate: b.session_token_template ?? undefined,
        });
        return toClerkInstanceSettings(r.auth, r.restrictions, r.instance);
      },
    );

    const changeDomain = async (body: { home_url?: string } | undefined) => {
      if (body?.home_url !== undefined) await settings.updateInstance({ homeUrl: body.home_url });
    };
    app.put('/beta_features/domain', { schema: { tags: ['Beta Features'], operationId: 'UpdateProductionInstanceDomain', body: DomainBody, response: { 202: NoContent, ...ERROR_RESPONSES } } }, async (req, reply) => {
      await changeDomain(req.body);
      // Empty, as Clerk answers: the official SDK reads a JSON body here as a resource.
      return (reply as FastifyReply).code(202).send();
    });
    // Called by the official SDK (betaFeatures.changeDomain), absent from the published spec.
    app.post('/beta_features/change_domain', { schema: { tags: ['Beta Features'], operationId: 'ChangeProductionInstanceDomain', body: DomainBody, response: { 202: NoContent, ...ERROR_RESPONSES } } }, async (req, reply) => {
      await changeDomain(req.body);
      // Empty, as Clerk answers: the official SDK reads a JSON body here as a resource.
      return (reply as FastifyReply).code(202).send();
    });
  };
}
