import { createClerkClient } from '@clerk/backend';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, exportPKCS8, exportSPKI, generateKeyPair, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, startServer, type TestServer } from './helpers/backends.ts';
import { specCall } from './helpers/spec-call.ts';

const errorCode = (body: any) => body?.errors?.[0]?.code as string | undefined;
const param = (body: any) => body?.errors?.[0]?.meta?.param_name as string | undefined;

describe.each(BACKENDS)('JWT templates (%s)', (backend) => {
  let server: TestServer;
  let clerk: ReturnType<typeof createClerkClient>;
  let userId: string;
  let sessionId: string;

  beforeAll(async () => {
    server = await startServer(backend);
    clerk = createClerkClient({ secretKey: server.secretKey, apiUrl: server.url });
    const res = await server.api('/v1/users', {
      method: 'POST',
      json: {
        email_address: ['grace@example.com'],
        phone_number: ['+14155552671'],
        username: 'grace',
        first_name: 'Grace',
        last_name: 'Hopper',
        external_id: 'ext-grace',
        public_metadata: { role: 'admin', tier: { level: 3 } },
        private_metadata: { secret: 'never in a token' },
        unsafe_metadata: { theme: 'dark' },
        skip_password_requirement: true,
      },
    });
    userId = ((await res.json()) as { id: string }).id;
    sessionId = (await server.app.services.sessions.create({ userId })).session.id;
  });
  afterAll(() => server?.close());

  const mint = async (name: string) => {
    const res = await specCall(server, 'POST', '/sessions/{session_id}/tokens/{template_name}', `/sessions/${sessionId}/tokens/${name}`);
    expect(res.status).toBe(200);
    expect(res.body.object).toBe('token');
    return res.body.jwt as string;
  };

  it('creates, reads, lists, updates and deletes templates, per the spec', async () => {
    const created = await specCall(server, 'POST', '/jwt_templates', '/jwt_templates', { name: 'crud', claims: { aud: 'api' } });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ object: 'jwt_template', name: 'crud', claims: { aud: 'api' }, lifetime: 60, allowed_clock_skew: 5, custom_signing_key: false });
    expect(created.body.id).toMatch(/^jtmp_/);
    const id = created.body.id as string;

    expect((await specCall(server, 'GET', '/jwt_templates/{template_id}', `/jwt_templates/${id}`)).body).toEqual(created.body);
    const list = await specCall(server, 'GET', '/jwt_templates', '/jwt_templates');
    expect(list.body.map((t: { id: string }) => t.id)).toContain(id);

    const updated = await specCall(server, 'PATCH', '/jwt_templates/{template_id}', `/jwt_templates/${id}`, { name: 'crud2', lifetime: 3600, allowed_clock_skew: 30 });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ name: 'crud2', claims: { aud: 'api' }, lifetime: 3600, allowed_clock_skew: 30 });

    const deleted = await specCall(server, 'DELETE', '/jwt_templates/{template_id}', `/jwt_templates/${id}`);
    expect(deleted.body).toEqual({ object: 'jwt_template', id, deleted: true });
    const gone = await specCall(server, 'GET', '/jwt_templates/{template_id}', `/jwt_templates/${id}`);
    expect(gone.status).toBe(404);
    expect((await specCall(server, 'DELETE', '/jwt_templates/{template_id}', `/jwt_templates/${id}`)).status).toBe(404);
  });

  it('refuses bad templates with 422 naming the parameter', async () => {
    await specCall(server, 'POST', '/jwt_templates', '/jwt_templates', { name: 'taken', claims: {} });
    const cases: Array<[unknown, string]> = [
      [{ name: 'taken', claims: {} }, 'name'],
      [{ name: 'no/slash', claims: {} }, 'name'],
      [{ claims: {} }, 'name'],
      [{ name: 'noclaims' }, 'claims'],
      [{ name: 'arr', claims: [1] }, 'claims'],
      [{ name: 'reserved', claims: { sub: 'someone else' } }, 'claims'],
      [{ name: 'reserved2', claims: { exp: 1 } }, 'claims'],
      [{ name: 'badcode', claims: { x: '{{user.private_metadata.secret}}' } }, 'claims'],
      [{ name: 'badroot', claims: { x: '{{process.env}}' } }, 'claims'],
      [{ name: 'short', claims: {}, lifetime: 29 }, 'lifetime'],
      [{ name: 'long', claims: {}, lifetime: 315360001 }, 'lifetime'],
      [{ name: 'skew', claims: {}, allowed_clock_skew: 301 }, 'allowed_clock_skew'],
      [{ name: 'nokey', claims: {}, custom_signing_key: true, signing_algorithm: 'RS256' }, 'signing_key'],
      [{ name: 'noalg', claims: {}, custom_signing_key: true, signing_key: 'x'.repeat(40) }, 'signing_algorithm'],
      [{ name: 'badalg', claims: {}, custom_signing_key: true, signing_algorithm: 'none', signing_key: 'x'.repeat(40) }, 'signing_algorithm'],
      [{ name: 'weakhs', claims: {}, custom_signing_key: true, signing_algorithm: 'HS256', signing_key: 'short' }, 'signing_key'],
      [{ name: 'notpem', claims: {}, custom_signing_key: true, signing_algorithm: 'RS256', signing_key: 'not a pem' }, 'signing_key'],
    ];
    for (const [body, name] of cases) {
      const res = await specCall(server, 'POST', '/jwt_templates', '/jwt_templates', body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(param(res.body), JSON.stringify(body)).toBe(name);
    }
    const dup = await specCall(server, 'POST', '/jwt_templates', '/jwt_templates', { name: 'taken', claims: {} });
    expect(errorCode(dup.body)).toBe('form_identifier_exists');
    expect((await server.api(`/v1/sessions/${sessionId}/tokens/no-such-template`, { method: 'POST' })).status).toBe(404);
  });

  it('fills in shortcodes, keeping the JSON type of a whole-value shortcode', async () => {
    await specCall(server, 'POST', '/jwt_templates', '/jwt_templates', {
      name: 'shortcodes',
      lifetime: 120,
      allowed_clock_skew: 20,
      claims: {
        uid: '{{user.id}}',
        first: '{{user.first_name}}',
        last: '{{user.last_name}}',
        email: '{{user.primary_email_address}}',
        phone: '{{user.primary_phone_number}}',
        username: '{{user.username}}',
        external: '{{user.external_id}}',
        meta: '{{user.public_metadata}}',
        role: '{{user.public_metadata.role}}',
        level: '{{ user.public_metadata.tier.level }}',
        theme: '{{user.unsafe_metadata.theme}}',
        missing: '{{user.public_metadata.nope}}',
        fallback: "{{user.public_metadata.nope || 'member'}}",
        greeting: 'Hello {{user.first_name}} {{user.last_name}}{{user.public_metadata.nope}}!',
        actor: '{{session.actor}}',
        nested: { list: ['{{user.username}}', 7, true], org: '{{org.id}}' },
        static: { n: 1, b: false, s: 'plain' },
      },
    });
    const jwt = await mint('shortcodes');
    const c = decodeJwt(jwt);
    expect(c).toMatchObject({
      uid: userId,
      first: 'Grace',
      last: 'Hopper',
      email: 'grace@example.com',
      phone: '+14155552671',
      username: 'grace',
      external: 'ext-grace',
      meta: { role: 'admin', tier: { level: 3 } },
      role: 'admin',
      level: 3,
      theme: 'dark',
      missing: null,
      fallback: 'member',
      greeting: 'Hello Grace Hopper!',
      actor: null,
      nested: { list: ['grace', 7, true], org: null },
      static: { n: 1, b: false, s: 'plain' },
      sid: sessionId,
      sub: userId,
      iss: server.url,
    });
    expect(JSON.stringify(c)).not.toContain('never in a token');
    expect((c.exp as number) - (c.iat as number)).toBe(120);
    expect((c.iat as number) - (c.nbf as number)).toBe(20);
    // Signed with the instance key: the JWKS verifies it.
    const jwks = createLocalJWKSet(await server.app.services.signingKeys.jwks() as never);
    await jwtVerify(jwt, jwks, { issuer: server.url });
    expect(decodeProtectedHeader(jwt).alg).toBe('RS256');
  });

  it('signs with a custom RS256 or HS256 key, which is never shown', async () => {
    const rsa = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
    const pem = await exportPKCS8(rsa.privateKey);
    const rs = await specCall(server, 'POST', '/jwt_templates', '/jwt_templates', { name: 'custom-rs', claims: { aud: 'x' }, custom_signing_key: true, signing_algorithm: 'RS256', signing_key: pem });
    expect(rs.status).toBe(200);
    expect(rs.body).toMatchObject({ custom_signing_key: true, signing_algorithm: 'RS256' });
    expect(JSON.stringify(rs.body)).not.toContain('PRIVATE KEY');
    const rsJwt = await mint('custom-rs');
    expect(decodeProtectedHeader(rsJwt)).toEqual({ alg: 'RS256', typ: 'JWT' });
    const { payload } = await jwtVerify(rsJwt, rsa.publicKey, { issuer: server.url, audience: 'x' });
    expect(payload.sid).toBe(sessionId);
    // Not verifiable as a session token: the instance keys did not sign it.
    await expect(server.app.services.sessionTokens.verify(rsJwt)).rejects.toMatchObject({ code: 'session_token_invalid' });

    const secret = 'a shared secret of at least 32 bytes!!';
    const hs = await specCall(server, 'POST', '/jwt_templates', '/jwt_templates', { name: 'custom-hs', claims: { app: 'hasura' }, custom_signing_key: true, signing_algorithm: 'HS256', signing_key: secret });
    expect(JSON.stringify(hs.body)).not.toContain(secret);
    const hsJwt = await mint('custom-hs');
    await jwtVerify(hsJwt, new TextEncoder().encode(secret), { algorithms: ['HS256'] });
    const listed = await server.api('/v1/jwt_templates');
    expect(await listed.text()).not.toContain(secret);

    // Switching to RS256 without a new key is refused: the kept HS secret is no RSA key.
    const sw = await specCall(server, 'PATCH', '/jwt_templates/{template_id}', `/jwt_templates/${hs.body.id}`, { signing_algorithm: 'RS256' });
    expect(sw.status).toBe(422);
    // Back to the instance key: the JWKS verifies its tokens again.
    const back = await specCall(server, 'PATCH', '/jwt_templates/{template_id}', `/jwt_templates/${hs.body.id}`, { custom_signing_key: false });
    expect(back.body).toMatchObject({ custom_signing_key: false, signing_algorithm: 'RS256' });
    expect(decodeProtectedHeader(await mint('custom-hs')).kid).toBe((await server.app.services.signingKeys.current()).kid);
    expect(await exportSPKI(rsa.publicKey)).toContain('PUBLIC KEY');
  });

  it('works through the official SDK', async () => {
    const t = await clerk.jwtTemplates.create({ name: 'sdk', claims: { email: '{{user.primary_email_address}}' }, lifetime: 300 });
    expect(t.name).toBe('sdk');
    expect(t.lifetime).toBe(300);
    const page = await clerk.jwtTemplates.list({ limit: 100 });
    expect(page.data.map((x) => x.id)).toContain(t.id);
    expect(page.totalCount).toBeGreaterThanOrEqual(1);
    const { jwt } = await clerk.sessions.getToken(sessionId, 'sdk');
    expect(decodeJwt(jwt)).toMatchObject({ email: 'grace@example.com', sub: userId });
    const updated = await clerk.jwtTemplates.update({ templateId: t.id, name: 'sdk', claims: { v: 2 } });
    expect(updated.claims).toEqual({ v: 2 });
    await clerk.jwtTemplates.delete(t.id);
    await expect(clerk.jwtTemplates.get(t.id)).rejects.toMatchObject({ status: 404 });
  });
});
