import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AccessListService } from '../../../core/instance/access-lists.ts';
import type { InvitationService } from '../../../core/invitations/invitation-service.ts';
import { toClerkListed } from './instance-mappers.ts';
import { Deleted, IdParam, Paginated, listOrPage, pageOf } from './instance-schemas.ts';
import { PageQuery } from './organization-schemas.ts';
import { ERROR_RESPONSES } from './schemas.ts';

const tags = ['Allow-list / Block-list'];
const Identifier = Type.String({ minLength: 1, maxLength: 320, description: 'An email address, `*@domain` for a whole domain, a phone number with its country code, or a web3 wallet.' });

/**
 * Clerk Backend API: the allow- and block-lists. Whether they are enforced is
 * `PATCH /instance/restrictions` (`allowlist`, `blocklist`).
 */
export function accessListRoutes(lists: AccessListService, invitations: InvitationService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/allowlist_identifiers',
      // Paging beyond the published spec, as the official SDK sends it.
      { schema: { tags, operationId: 'ListAllowlistIdentifiers', querystring: Type.Object({ ...PageQuery, limit: Type.Integer({ minimum: 1, maximum: 500, default: 500 }), paginated: Paginated }, { additionalProperties: false }), response: listOrPage('ClerkAllowlistIdentifier') } },
      async (req) => {
        const data = (await lists.list('allow', req.query)).map(toClerkListed);
        return req.query.paginated ? { data, total_count: await lists.count('allow') } : data;
      },
    );

    app.post(
      '/allowlist_identifiers',
      {
        schema: {
          tags,
          operationId: 'CreateAllowlistIdentifier',
          body: Type.Object(
            { identifier: Identifier, notify: Type.Optional(Type.Boolean({ description: 'true: an email address (not a domain) also gets an invitation to sign up, linked as `invitation_id`.' })) },
            { additionalProperties: false },
          ),
          response: { 200: Type.Ref('ClerkAllowlistIdentifier'), ...ERROR_RESPONSES },
        },
      },
      async (req) => {
        const entry = await lists.add('allow', req.body.identifier, async (tx, e) => {
          if (!req.body.notify || e.identifierType !== 'email_address' || e.identifier.startsWith('*@')) return null;
          // In the same transaction: the entry and its invitation exist together or not at all.
          return (await invitations.inviteWithin(tx, e.identifier))?.id ?? null;
        });
        return toClerkListed(entry);
      },
    );

    app.delete(
      '/allowlist_identifiers/:identifier_id',
      { schema: { tags, operationId: 'DeleteAllowlistIdentifier', params: IdParam('identifier_id'), response: { 200: Deleted('allowlist_identifier'), ...ERROR_RESPONSES } } },
      async (req) => {
        const removed = await lists.remove('allow', req.params.identifier_id);
        return { object: 'allowlist_identifier' as const, id: removed.id, deleted: true };
      },
    );

    app.get(
      '/blocklist_identifiers',
      { schema: { tags, operationId: 'ListBlocklistIdentifiers', querystring: Type.Object({ ...PageQuery, limit: Type.Integer({ minimum: 1, maximum: 500, default: 500 }) }, { additionalProperties: false }), response: { 200: pageOf('ClerkBlocklistIdentifier'), ...ERROR_RESPONSES } } },
      async (req) => ({ data: (await lists.list('block', req.query)).map(toClerkListed), total_count: await lists.count('block') }),
    );

    app.post(
      '/blocklist_identifiers',
      {
        schema: {
          tags,
          operationId: 'CreateBlocklistIdentifier',
          body: Type.Object({ identifier: Identifier }, { additionalProperties: false }),
          response: { 200: Type.Ref('ClerkBlocklistIdentifier'), ...ERROR_RESPONSES },
        },
      },
      async (req) => toClerkListed(await lists.add('block', req.body.identifier)),
    );

    app.delete(
      '/blocklist_identifiers/:identifier_id',
      { schema: { tags, operationId: 'DeleteBlocklistIdentifier', params: IdParam('identifier_id'), response: { 200: Deleted('blocklist_identifier'), ...ERROR_RESPONSES } } },
      async (req) => {
        const removed = await lists.remove('block', req.params.identifier_id);
        return { object: 'blocklist_identifier' as const, id: removed.id, deleted: true };
      },
    );
  };
}
