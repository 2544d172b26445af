import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { InvitationService } from '../../../core/invitations/invitation-service.ts';
import type { InvitationOrder, InvitationState } from '../../../core/invitations/invitation-store.ts';
import { toClerkInvitation } from './instance-mappers.ts';
import { Deleted, IdParam, Paginated, listOrPage } from './instance-schemas.ts';
import { PageQuery, parseOrderBy } from './organization-schemas.ts';
import { ERROR_RESPONSES, Metadata } from './schemas.ts';

const tags = ['Invitations'];
const Status = Type.String({ enum: ['pending', 'accepted', 'revoked', 'expired'] });

const CreateFields = {
  email_address: Type.String({ maxLength: 320 }),
  public_metadata: Type.Optional(Metadata),
  redirect_url: Type.Optional(Type.String({ maxLength: 2048, description: 'A path on this server or a URL matching a redirect URL of the instance.' })),
  // Beyond the published spec, as the official SDK sends them.
  expires_in_days: Type.Optional(Type.Integer({ minimum: 1, maximum: 365, description: 'Default 30.' })),
  ignore_existing: Type.Optional(Type.Boolean({ description: 'Invite even an address that has a user or a pending invitation; that invitation is then revoked.' })),
  notify: Type.Optional(Type.Boolean({ description: 'false: no email is sent and the answer carries `url`, the only time the link is shown.' })),
  template_slug: Type.Optional(Type.String({ enum: ['invitation'], description: 'Only `invitation`: there is no waitlist.' })),
};
const CreateBody = Type.Object(CreateFields, { additionalProperties: false });

const ListQuery = Type.Object(
  {
    status: Type.Optional(Status),
    // Beyond the published spec, as the official SDK sends them.
    ...PageQuery,
    order_by: Type.String({ pattern: '^[+-]?(created_at|email_address|expires_at)$', default: '-created_at' }),
    query: Type.Optional(Type.String({ maxLength: 256 })),
    paginated: Paginated,
  },
  { additionalProperties: false },
);

const invitation = { 200: Type.Ref('ClerkInvitation'), ...ERROR_RESPONSES };

/** Clerk Backend API: Invitations (to sign up to the instance). */
export function invitationRoutes(invitations: InvitationService, now: () => Date): FastifyPluginAsyncTypebox {
  type Body = { email_address: string; public_metadata?: Record<string, unknown>; redirect_url?: string; expires_in_days?: number; ignore_existing?: boolean; notify?: boolean };
  async function create(b: Body) {
    const { invitation: inv, url } = await invitations.create({
      emailAddress: b.email_address,
      publicMetadata: b.public_metadata,
      redirectUrl: b.redirect_url,
      expiresInDays: b.expires_in_days,
      ignoreExisting: b.ignore_existing,
      notify: b.notify,
    });
    return toClerkInvitation(inv, now(), b.notify === false ? url : undefined);
  }

  return async (app) => {
    app.post('/invitations', { schema: { tags, operationId: 'CreateInvitation', body: CreateBody, response: invitation } }, (req) => create(req.body));

    // Called by the official SDK (createInvitationBulk), absent from the published spec. Each is
    // created on its own: an earlier success stays when a later one fails.
    app.post(
      '/invitations/bulk',
      { schema: { tags, operationId: 'CreateBulkInvitations', body: Type.Array(CreateBody, { minItems: 1, maxItems: 10 }), response: { 200: Type.Array(Type.Ref('ClerkInvitation')), ...ERROR_RESPONSES } } },
      async (req) => {
        const out = [];
        for (const b of req.body) out.push(await create(b));
        return out;
      },
    );

    app.get('/invitations', { schema: { tags, operationId: 'ListInvitations', querystring: ListQuery, response: listOrPage('ClerkInvitation') } }, async (req) => {
      const q = req.query;
      const filter = { states: q.status ? [q.status as InvitationState] : undefined, query: q.query };
      const order = parseOrderBy<InvitationOrder['field']>(q.order_by);
      const at = now();
      const data = (await invitations.list(filter, order, { limit: q.limit, offset: q.offset })).map((i) => toClerkInvitation(i, at));
      return q.paginated ? { data, total_count: await invitations.count(filter) } : data;
    });

    app.post(
      '/invitations/:invitation_id/revoke',
      { schema: { tags, operationId: 'RevokeInvitation', params: IdParam('invitation_id'), response: invitation } },
      async (req) => toClerkInvitation(await invitations.revoke(req.params.invitation_id), now()),
    );

    // Called by the official SDK (deleteInvitation), absent from the published spec.
    app.delete(
      '/invitations/:invitation_id',
      { schema: { tags, operationId: 'DeleteInvitation', params: IdParam('invitation_id'), response: { 200: Deleted('invitation'), ...ERROR_RESPONSES } } },
      async (req) => {
        await invitations.delete(req.params.invitation_id);
        return { object: 'invitation' as const, id: req.params.invitation_id, deleted: true };
      },
    );
  };
}
