import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { InvitationState, OrganizationInvitation } from '../../../core/invitations/invitation-store.ts';
import type { OrganizationInvitationService } from '../../../core/invitations/organization-invitation-service.ts';
import { toClerkOrganizationInvitation } from './instance-mappers.ts';
import { pageOf } from './instance-schemas.ts';
import { roleKeyFromClerk } from './organization-mappers.ts';
import { OrganizationId, PageQuery } from './organization-schemas.ts';
import { ERROR_RESPONSES, Metadata, Nullable, UserId } from './schemas.ts';

const tags = ['Organization Invitations'];
const Status = Type.String({ enum: ['pending', 'accepted', 'revoked', 'expired'] });
const StatusList = Type.Array(Status, { maxItems: 100 });

const CreateFields = {
  email_address: Type.String({ maxLength: 320 }),
  // Required by the spec, optional in Clerk's current API and SDK: without it nobody is checked.
  inviter_user_id: Type.Optional(Nullable(Type.String({ maxLength: 128, description: 'When given, must be a member whose role may manage memberships.' }))),
  role: Type.String({ minLength: 1, maxLength: 64, description: '`admin` / `basic_member` (the spec) or a role key such as `org:admin`.' }),
  public_metadata: Type.Optional(Metadata),
  private_metadata: Type.Optional(Metadata),
  redirect_url: Type.Optional(Type.String({ maxLength: 2048, description: 'A path on this server or a URL matching a redirect URL of the instance.' })),
  expires_in_days: Type.Optional(Type.Integer({ minimum: 1, maximum: 365, description: 'Default 30.' })),
};
const CreateBody = Type.Object(CreateFields, { additionalProperties: false });
const InvitationParams = Type.Object(
  { organization_id: Type.String({ minLength: 1, maxLength: 128 }), invitation_id: Type.String({ minLength: 1, maxLength: 128 }) },
  { additionalProperties: false },
);

const one = { 200: Type.Ref('ClerkOrganizationInvitation'), ...ERROR_RESPONSES };
const page = { 200: pageOf('ClerkOrganizationInvitation'), ...ERROR_RESPONSES };

/** Clerk Backend API: Organization Invitations, and a user's own list of them. */
export function organizationInvitationRoutes(invitations: OrganizationInvitationService, now: () => Date): FastifyPluginAsyncTypebox {
  const present = (i: OrganizationInvitation) => toClerkOrganizationInvitation(i, now());
  const presentPage = (p: { data: OrganizationInvitation[]; total: number }) => ({ data: p.data.map(present), total_count: p.total });
  type Body = { email_address: string; role: string; inviter_user_id?: string | null; public_metadata?: Record<string, unknown>; private_metadata?: Record<string, unknown>; redirect_url?: string; expires_in_days?: number };
  const create = (organizationId: string, b: Body) =>
    invitations.create(organizationId, {
      emailAddress: b.email_address,
      roleKey: roleKeyFromClerk(b.role),
      inviterUserId: b.inviter_user_id,
      publicMetadata: b.public_metadata,
      privateMetadata: b.private_metadata,
      redirectUrl: b.redirect_url,
      expiresInDays: b.expires_in_days,
    });

  return async (app) => {
    app.post(
      '/organizations/:organization_id/invitations',
      { schema: { tags, operationId: 'CreateOrganizationInvitation', params: OrganizationId, body: CreateBody, response: one } },
      async (req) => present(await create(req.params.organization_id, req.body)),
    );

    // Called by the official SDK (createOrganizationInvitationBulk), absent from the published spec.
    app.post(
      '/organizations/:organization_id/invitations/bulk',
      { schema: { tags, operationId: 'CreateOrganizationInvitationBulk', params: OrganizationId, body: Type.Array(CreateBody, { minItems: 1, maxItems: 10 }), response: page } },
      async (req) => {
        const data = [];
        for (const b of req.body) data.push(await create(req.params.organization_id, b));
        return presentPage({ data, total: data.length });
      },
    );

    // Called by the official SDK (getOrganizationInvitationList), absent from the published spec.
    app.get(
      '/organizations/:organization_id/invitations',
      {
        schema: { tags, operationId: 'ListOrganizationInvitations', params: OrganizationId, querystring: Type.Object({ ...PageQuery, status: Type.Optional(StatusList) }, { additionalProperties: false }), response: page },
      },
      async (req) => presentPage(await invitations.listForOrganization(req.params.organization_id, req.query.status as InvitationState[] | undefined, req.query)),
    );

    app.get(
      '/organizations/:organization_id/invitations/pending',
      { schema: { tags, operationId: 'ListPendingOrganizationInvitations', params: OrganizationId, querystring: Type.Object(PageQuery, { additionalProperties: false }), response: page } },
      async (req) => presentPage(await invitations.listForOrganization(req.params.organization_id, ['pending'], req.query)),
    );

    // Called by the official SDK (getOrganizationInvitation), absent from the published spec.
    app.get(
      '/organizations/:organization_id/invitations/:invitation_id',
      { schema: { tags, operationId: 'GetOrganizationInvitation', params: InvitationParams, response: one } },
      async (req) => present(await invitations.get(req.params.organization_id, req.params.invitation_id)),
    );

    app.post(
      '/organizations/:organization_id/invitations/:invitation_id/revoke',
      {
        schema: {
          tags,
          operationId: 'RevokeOrganizationInvitation',
          params: InvitationParams,
          // Required by the spec, optional in Clerk's current API and SDK.
          body: Type.Optional(Type.Object({ requesting_user_id: Type.Optional(Nullable(Type.String({ maxLength: 128 }))) }, { additionalProperties: false })),
          response: one,
        },
      },
      async (req) => present(await invitations.revoke(req.params.organization_id, req.params.invitation_id, req.body?.requesting_user_id)),
    );

    // Called by the official SDK (users.getOrganizationInvitationList), absent from the published spec.
    app.get(
      '/users/:user_id/organization_invitations',
      {
        schema: {
          tags: ['Users'],
          operationId: 'GetUserOrganizationInvitations',
          params: UserId,
          querystring: Type.Object({ ...PageQuery, status: Type.Optional(Status) }, { additionalProperties: false }),
          response: page,
        },
      },
      async (req) => presentPage(await invitations.listForUser(req.params.user_id, req.query.status ? [req.query.status as InvitationState] : undefined, req.query)),
    );
  };
}
