import { describe, expect, it } from 'vitest';
import {
  assertJsonContentType,
  assertMatchesSchema,
  assertMatchesSpec,
  findOperation,
  resolveResponse,
  specErrors,
  specOperations,
} from './helpers/clerk-spec.ts';

/** A user exactly as the spec describes it, with one verified and one unverified email. */
function validUser(): Record<string, any> {
  return {
    id: 'user_2abc',
    object: 'user',
    external_id: null,
    primary_email_address_id: 'idn_1',
    primary_phone_number_id: null,
    primary_web3_wallet_id: null,
    username: 'alice',
    first_name: 'Alice',
    last_name: null,
    profile_image_url: '',
    image_url: '',
    public_metadata: { plan: 'pro' },
    private_metadata: null,
    unsafe_metadata: {},
    gender: null,
    birthday: null,
    email_addresses: [
      {
        id: 'idn_1',
        object: 'email_address',
        email_address: 'alice@example.com',
        reserved: false,
        verification: { status: 'verified', strategy: 'admin', attempts: null, expire_at: null },
        linked_to: [],
      },
      { id: 'idn_2', object: 'email_address', email_address: 'alice@example.org', reserved: false, verification: null, linked_to: [] },
    ],
    phone_numbers: [],
    web3_wallets: [],
    password_enabled: true,
    two_factor_enabled: false,
    totp_enabled: false,
    backup_code_enabled: false,
    external_accounts: [],
    last_sign_in_at: null,
    banned: false,
    updated_at: 1_700_000_000_000,
    created_at: 1_700_000_000_000,
  };
}

const clerkError = { errors: [{ message: 'not found', long_message: 'No user was found.', code: 'resource_not_found' }] };

describe('Clerk spec validator', () => {
  it('loads the operations of the shared spec', () => {
    expect(specOperations().length).toBeGreaterThan(20);
    expect(findOperation('get', '/users/{user_id}').operationId).toBe('GetUser');
    // Parameter names and the /v1 prefix do not matter; route syntax is understood too.
    expect(findOperation('GET', '/v1/email_addresses/{id}').operationId).toBe('GetEmailAddress');
    expect(findOperation('patch', '/phone_numbers/:id').operationId).toBe('UpdatePhoneNumber');
    expect(() => findOperation('put', '/users/{user_id}')).toThrow(/no operation PUT/);
  });

  it('accepts a valid User', () => {
    expect(() => assertMatchesSpec('get', '/users/{user_id}', 200, validUser())).not.toThrow();
    expect(() => assertMatchesSpec('get', '/users', 200, [validUser(), validUser()])).not.toThrow();
  });

  it('rejects a User with a property the spec does not have', () => {
    const body = { ...validUser(), password_digest: '$argon2id$...' };
    expect(() => assertMatchesSpec('get', '/users/{user_id}', 200, body)).toThrow(/password_digest/);
  });

  it('rejects a string created_at', () => {
    const body = { ...validUser(), created_at: '2024-01-01T00:00:00Z' };
    expect(() => assertMatchesSpec('get', '/users/{user_id}', 200, body)).toThrow(/\/created_at must be integer/);
  });

  it('rejects a fractional int64 and null where the spec does not allow it', () => {
    expect(specErrors('get', '/users/{user_id}', 200, { ...validUser(), updated_at: 1.5 })).not.toEqual([]);
    expect(specErrors('get', '/users/{user_id}', 200, { ...validUser(), image_url: null })).not.toEqual([]);
    expect(specErrors('get', '/users/{user_id}', 200, { ...validUser(), public_metadata: null })).not.toEqual([]);
    expect(specErrors('get', '/users/{user_id}', 200, { ...validUser(), object: 'email_address' })).not.toEqual([]);
  });

  it('honours nullable: true, including next to oneOf', () => {
    expect(specErrors('get', '/users/{user_id}', 200, { ...validUser(), first_name: null, private_metadata: null, last_sign_in_at: null })).toEqual([]);
    const unverified = { id: 'idn_3', object: 'email_address', email_address: 'b@example.com', reserved: false, verification: null, linked_to: [] };
    expect(specErrors('get', '/email_addresses/{email_address_id}', 200, unverified)).toEqual([]);
    // ...but a non-null verification must still be one of the spec's kinds.
    const bad = { ...unverified, verification: { status: 'verified', strategy: 'carrier_pigeon' } };
    expect(specErrors('get', '/email_addresses/{email_address_id}', 200, bad)).not.toEqual([]);
  });

  it('validates nested $refs (email addresses inside a user)', () => {
    const user = validUser();
    user.email_addresses[0].verification = { status: 'verified', strategy: 'admin', attempts: 'three' };
    expect(() => assertMatchesSpec('get', '/users/{user_id}', 200, user)).toThrow(/email_addresses\/0\/verification/);
    const user2 = validUser();
    delete user2.email_addresses[1].linked_to;
    expect(() => assertMatchesSpec('get', '/users/{user_id}', 200, user2)).toThrow(/linked_to/);
  });

  it('checks the other success shapes', () => {
    expect(specErrors('get', '/users/count', 200, { object: 'total_count', total_count: 3 })).toEqual([]);
    expect(specErrors('get', '/users/count', 200, { object: 'total_count', total_count: '3' })).not.toEqual([]);
    expect(specErrors('delete', '/users/{user_id}', 200, { object: 'user', id: 'user_1', deleted: true })).toEqual([]);
    expect(specErrors('delete', '/users/{user_id}', 200, { object: 'user', id: 'user_1' })).not.toEqual([]);
    expect(specErrors('post', '/users/{user_id}/verify_password', 200, { verified: true })).toEqual([]);
    expect(specErrors('post', '/users/{user_id}/verify_password', 200, { verified: 'yes' })).not.toEqual([]);
    expect(specErrors('get', '/users/{user_id}/oauth_access_tokens/{provider}', 200, [])).toEqual([]);
    expect(specErrors('get', '/users/{user_id}/oauth_access_tokens/{provider}', 200, [{ junk: 1 }])).not.toEqual([]);
    expect(specErrors('get', '/users/{user_id}/organization_memberships', 200, { data: [], total_count: 0 })).toEqual([]);
    expect(specErrors('get', '/users/{user_id}/organization_memberships', 200, { data: [] })).not.toEqual([]);
  });

  it('validates error bodies, falling back to ClerkErrors for unlisted 4xx', () => {
    expect(() => assertMatchesSpec('get', '/users/{user_id}', 404, clerkError)).not.toThrow();
    expect(() => assertMatchesSpec('get', '/users/{user_id}', 404, { errors: [{ message: 'x', long_message: 'y' }] })).toThrow(/code/);
    expect(() => assertMatchesSpec('get', '/users/{user_id}', 404, { error: 'Not Found', statusCode: 404 })).toThrow(/errors/);
    // GetUser lists no 422 and no 429: the generic ClerkErrors schema applies.
    expect(resolveResponse('get', '/users/{user_id}', 422).statusKey).toBe('fallback');
    expect(() => assertMatchesSpec('get', '/users/{user_id}', 429, clerkError)).not.toThrow();
    expect(() => assertMatchesSpec('get', '/users/{user_id}', 422, { message: 'bad' })).toThrow();
    // VerifyPassword's 422 is described in words only: Clerk's envelope is still required.
    expect(() => assertMatchesSpec('post', '/users/{user_id}/verify_password', 422, clerkError)).not.toThrow();
    expect(() => assertMatchesSpec('post', '/users/{user_id}/verify_password', 422, { verified: false })).toThrow();
  });

  it('refuses statuses the spec does not describe outside 4xx', () => {
    expect(() => assertMatchesSpec('get', '/users/{user_id}', 201, validUser())).toThrow(/no 201 response/);
    expect(() => assertMatchesSpec('get', '/users/{user_id}', 500, clerkError)).toThrow(/no 500 response/);
  });

  it('checks the Content-Type is exactly application/json', () => {
    expect(() => assertJsonContentType('application/json')).not.toThrow();
    expect(() => assertJsonContentType(new Headers({ 'content-type': 'application/json' }))).not.toThrow();
    expect(() => assertJsonContentType(new Response('{}', { headers: { 'content-type': 'application/json' } }))).not.toThrow();
    expect(() => assertJsonContentType('application/json; charset=utf-8')).toThrow(/charset/);
    expect(() => assertJsonContentType('text/plain')).toThrow();
    expect(() => assertJsonContentType(new Headers())).toThrow(/no Content-Type/);
    expect(() => assertJsonContentType(null)).toThrow();
  });
});

describe('Clerk spec component schemas', () => {
  it('validates a body against a named component schema', () => {
    expect(() => assertMatchesSchema('User', validUser())).not.toThrow();
    expect(() => assertMatchesSchema('User', { ...validUser(), extra: 1 })).toThrow(/extra/);
    expect(() => assertMatchesSchema('ClerkErrors', clerkError)).not.toThrow();
    expect(() => assertMatchesSchema('ClerkErrors', { errors: [{ code: 'x' }] })).toThrow(/message/);
    expect(() => assertMatchesSchema('NoSuchSchema', {})).toThrow(/Unresolvable/);
  });
});

describe('Clerk spec responses without content', () => {
  it('wants an empty body where the spec describes none (PATCH /instance 204)', () => {
    expect(() => assertMatchesSpec('patch', '/instance', 204, undefined)).not.toThrow();
    expect(() => assertMatchesSpec('patch', '/instance', 204, { ok: true })).toThrow(/empty/);
  });
});
