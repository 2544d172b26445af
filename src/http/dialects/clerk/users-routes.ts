import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { IdSet, User, UserFilter } from '../../../core/users/types.ts';
import { parseTimestamp } from '../../../core/users/user-input.ts';
import type { UserService } from '../../../core/users/user-service.ts';
import type { ClerkUserJson } from './mappers.ts';
import { DeletedObject, ERROR_RESPONSES, Metadata, Nullable, TotalCount, UserId } from './schemas.ts';

const StringList = Type.Array(Type.String({ maxLength: 320 }), { maxItems: 100 });
const NullableText = Nullable(Type.String({ maxLength: 1024 }));
const IdentificationStatus = Type.Array(Type.String({ enum: ['verified', 'reserved'] }), { maxItems: 100 });

const FilterQuery = {
  email_address: Type.Optional(StringList),
  phone_number: Type.Optional(StringList),
  external_id: Type.Optional(StringList),
  username: Type.Optional(StringList),
  web3_wallet: Type.Optional(StringList),
  user_id: Type.Optional(StringList),
  organization_id: Type.Optional(StringList),
  query: Type.Optional(Type.String({ maxLength: 256 })),
};

const ListQuery = Type.Object(
  {
    ...FilterQuery,
    limit: Type.Integer({ minimum: 1, maximum: 500, default: 10 }),
    offset: Type.Integer({ minimum: 0, maximum: 2_147_483_647, default: 0 }),
    order_by: Type.String({ pattern: '^[+-]?(created_at|updated_at)$', default: '-created_at' }),
  },
  { additionalProperties: false },
);

const CreateBody = Type.Object(
  {
    external_id: Type.Optional(NullableText),
    first_name: Type.Optional(NullableText),
    last_name: Type.Optional(NullableText),
    email_address: Type.Optional(StringList),
    phone_number: Type.Optional(StringList),
    web3_wallet: Type.Optional(StringList),
    username: Type.Optional(NullableText),
    password: Type.Optional(Nullable(Type.String({ maxLength: 4096 }))),
    // Accepted as the official SDK sends them, beyond the published spec.
    email_address_identification_status: Type.Optional(IdentificationStatus),
    phone_number_identification_status: Type.Optional(IdentificationStatus),
    locale: Type.Optional(Type.String({ maxLength: 35 })),
    banned: Type.Optional(Type.Boolean()),
    skip_legal_checks: Type.Optional(Type.Boolean()),
    legal_accepted_at: Type.Optional(Type.String({ maxLength: 64 })),
    password_digest: Type.Optional(Type.String({ maxLength: 4096 })),
    password_hasher: Type.Optional(Type.String({ maxLength: 64 })),
    skip_password_checks: Type.Optional(Type.Boolean()),
    skip_password_requirement: Type.Optional(Type.Boolean()),
    totp_secret: Type.Optional(Type.String({ maxLength: 256 })),
    backup_codes: Type.Optional(Type.Array(Type.String({ maxLength: 128 }), { maxItems: 50 })),
    public_metadata: Type.Optional(Metadata),
    private_metadata: Type.Optional(Metadata),
    unsafe_metadata: Type.Optional(Metadata),
    created_at: Type.Optional(Type.String({ maxLength: 64 })),
    // Latchkey's own: neither the spec nor the SDK has a way to skip the allow- and block-list.
    bypass_restrictions: Type.Optional(
      Type.Boolean({ description: 'Latchkey extension: create the user even if the enabled allowlist or blocklist (PATCH /v1/instance/restrictions) would refuse an identifier.' }),
    ),
  },
  { additionalProperties: false },
);

const UpdateBody = Type.Object(
  {
    external_id: Type.Optional(NullableText),
    first_name: Type.Optional(NullableText),
    last_name: Type.Optional(NullableText),
    primary_email_address_id: Type.Optional(Type.String({ maxLength: 128 })),
    primary_phone_number_id: Type.Optional(Type.String({ maxLength: 128 })),
    primary_web3_wallet_id: Type.Optional(Type.String({ maxLength: 128 })),
    profile_image_id: Type.Optional(Nullable(Type.String({ maxLength: 128 }))),
    locale: Type.Optional(Type.String({ maxLength: 35 })),
    // With no sessions to end yet, signing out of the others is already true.
    sign_out_of_other_sessions: Type.Optional(Type.Boolean()),
    username: Type.Optional(NullableText),
    password: Type.Optional(Nullable(Type.String({ maxLength: 4096 }))),
    skip_password_checks: Type.Optional(Type.Boolean()),
    totp_secret: Type.Optional(Type.String({ maxLength: 256 })),
    backup_codes: Type.Optional(Type.Array(Type.String({ maxLength: 128 }), { maxItems: 50 })),
    public_metadata: Type.Optional(Metadata),
    private_metadata: Type.Optional(Metadata),
    unsafe_metadata: Type.Optional(Metadata),
    created_at: Type.Optional(Type.String({ maxLength: 64 })),
  },
  { additionalProperties: false },
);

const MetadataBody = Type.Object(
  { public_metadata: Type.Optional(Metadata), private_metadata: Type.Optional(Metadata), unsafe_metadata: Type.Optional(Metadata) },
  { additionalProperties: false },
);

/** Clerk's `+id` / `-id` convention: a leading minus excludes, anything else includes. */
function idSet(values?: string[]): IdSet | undefined {
  if (!values?.length) return undefined;
  const set: IdSet = { include: [], exclude: [] };
  for (const v of values) {
    if (v.startsWith('-')) set.exclude.push(v.slice(1));
    else set.include.push(v.startsWith('+') ? v.slice(1) : v);
  }
  return set;
}

function toFilter(q: { [K in keyof typeof FilterQuery]?: any }): UserFilter {
  return {
    emailAddresses: q.email_address,
    phoneNumbers: q.phone_number,
    usernames: q.username,
    web3Wallets: q.web3_wallet,
    externalIds: idSet(q.external_id),
    userIds: idSet(q.user_id),
    organizationIds: idSet(q.organization_id),
    query: q.query,
  };
}

const user = { 200: Type.Ref('ClerkUser'), ...ERROR_RESPONSES };

/** Clerk Backend API: Users. */
export function usersRoutes(users: UserService, present: (u: User) => ClerkUserJson): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/users', { schema: { tags: ['Users'], operationId: 'GetUserList', querystring: ListQuery, response: { 200: Type.Array(Type.Ref('ClerkUser')), ...ERROR_RESPONSES } } }, async (req) => {
      const { limit, offset, order_by } = req.query;
      const direction = order_by.startsWith('-') ? 'desc' : 'asc';
      const field = order_by.replace(/^[+-]/, '') as 'created_at' | 'updated_at';
      return (await users.list(toFilter(req.query), { field, direction }, { limit, offset })).map(present);
    });

    app.get('/users/count', { schema: { tags: ['Users'], operationId: 'GetUsersCount', querystring: Type.Object(FilterQuery, { additionalProperties: false }), response: { 200: TotalCount, ...ERROR_RESPONSES } } }, async (req) => {
      return { object: 'total_count' as const, total_count: await users.count(toFilter(req.query)) };
    });

    app.get('/users/:user_id', { schema: { tags: ['Users'], operationId: 'GetUser', params: UserId, response: user } }, async (req) =>
      present(await users.get(req.params.user_id)),
    );

    app.post('/users', { schema: { tags: ['Users'], operationId: 'CreateUser', body: CreateBody, response: user } }, async (req) => {
      const b = req.body;
      const created = await users.create({
        externalId: b.external_id,
        firstName: b.first_name,
        lastName: b.last_name,
        emailAddresses: b.email_address,
        emailStatuses: b.email_address_identification_status as Array<'verified' | 'reserved'> | undefined,
        phoneNumbers: b.phone_number,
        phoneStatuses: b.phone_number_identification_status as Array<'verified' | 'reserved'> | undefined,
        web3Wallets: b.web3_wallet,
        language: b.locale,
        banned: b.banned,
        legalAcceptedAt: parseTimestamp(b.legal_accepted_at, 'legal_accepted_at'),
        username: b.username,
        password: b.password,
        passwordDigest: b.password_digest,
        passwordHasher: b.password_hasher,
        skipPasswordChecks: b.skip_password_checks,
        skipPasswordRequirement: b.skip_password_requirement,
        totpSecret: b.totp_secret,
        backupCodes: b.backup_codes,
        publicMetadata: b.public_metadata,
        privateMetadata: b.private_metadata,
        unsafeMetadata: b.unsafe_metadata,
        createdAt: parseTimestamp(b.created_at, 'created_at'),
        bypassRestrictions: b.bypass_restrictions,
      });
      return present(created);
    });

    app.patch('/users/:user_id', { schema: { tags: ['Users'], operationId: 'UpdateUser', params: UserId, body: UpdateBody, response: user } }, async (req) => {
      const b = req.body;
      const updated = await users.update(req.params.user_id, {
        externalId: b.external_id,
        firstName: b.first_name,
        lastName: b.last_name,
        primaryEmailAddressId: b.primary_email_address_id,
        primaryPhoneNumberId: b.primary_phone_number_id,
        primaryWeb3WalletId: b.primary_web3_wallet_id,
        profileImageId: b.profile_image_id,
        language: b.locale,
        username: b.username,
        password: b.password,
        skipPasswordChecks: b.skip_password_checks,
        totpSecret: b.totp_secret,
        backupCodes: b.backup_codes,
        publicMetadata: b.public_metadata,
        privateMetadata: b.private_metadata,
        unsafeMetadata: b.unsafe_metadata,
        createdAt: parseTimestamp(b.created_at, 'created_at'),
      });
      return present(updated);
    });

    app.delete('/users/:user_id', { schema: { tags: ['Users'], operationId: 'DeleteUser', params: UserId, response: { 200: DeletedObject, ...ERROR_RESPONSES } } }, async (req) => {
      await users.delete(req.params.user_id);
      return { object: 'user', id: req.params.user_id, deleted: true };
    });

    app.post('/users/:user_id/ban', { schema: { tags: ['Users'], operationId: 'BanUser', params: UserId, response: user } }, async (req) =>
      present(await users.ban(req.params.user_id)),
    );
    app.post('/users/:user_id/unban', { schema: { tags: ['Users'], operationId: 'UnbanUser', params: UserId, response: user } }, async (req) =>
      present(await users.unban(req.params.user_id)),
    );

    app.post('/users/:user_id/lock', { schema: { tags: ['Users'], operationId: 'LockUser', params: UserId, response: user } }, async (req) =>
      present(await users.lock(req.params.user_id)),
    );
    app.post('/users/:user_id/unlock', { schema: { tags: ['Users'], operationId: 'UnlockUser', params: UserId, response: user } }, async (req) =>
      present(await users.unlock(req.params.user_id)),
    );

    app.patch('/users/:user_id/metadata', { schema: { tags: ['Users'], operationId: 'UpdateUserMetadata', params: UserId, body: MetadataBody, response: user } }, async (req) => {
      const b = req.body;
      const merged = await users.mergeMetadata(req.params.user_id, { publicMetadata: b.public_metadata, privateMetadata: b.private_metadata, unsafeMetadata: b.unsafe_metadata });
      return present(merged);
    });

    app.post(
      '/users/:user_id/verify_password',
      {
        schema: {
          tags: ['Users'],
          operationId: 'VerifyPassword',
          params: UserId,
          body: Type.Object({ password: Type.String({ maxLength: 4096 }) }, { additionalProperties: false }),
          response: { 200: Type.Object({ verified: Type.Boolean() }, { additionalProperties: false }), ...ERROR_RESPONSES },
        },
      },
      async (req) => ({ verified: await users.verifyPassword(req.params.user_id, req.body.password) }),
    );

    // GET /users/:user_id/organization_memberships lives in membership-routes.ts.

    // Latchkey has no social connections yet, so no user holds a provider token.
    app.get(
      '/users/:user_id/oauth_access_tokens/:provider',
      {
        schema: {
          tags: ['Users'],
          operationId: 'GetOAuthAccessToken',
          params: Type.Object({ user_id: Type.String({ minLength: 1, maxLength: 128 }), provider: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false }),
          // The SDK asks for the paginated shape, {data, total_count}.
          querystring: Type.Object({ paginated: Type.Optional(Type.Boolean()), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })), offset: Type.Optional(Type.Integer({ minimum: 0 })) }, { additionalProperties: false }),
          response: { 200: Type.Union([Type.Array(Type.Object({})), Type.Object({ data: Type.Array(Type.Object({})), total_count: Type.Integer() })]), ...ERROR_RESPONSES },
        },
      },
      async (req) => {
        await users.get(req.params.user_id);
        return req.query.paginated ? { data: [], total_count: 0 } : [];
      },
    );
  };
}
