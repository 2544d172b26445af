import { createClerkClient, verifyToken } from '@clerk/backend';
import { decodeJwt, decodeProtectedHeader, exportSPKI, generateKeyPair, importJWK, type JWK, SignJWT } from 'jose';
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../src/core/clock.ts';
import { secretBox } from '../src/core/crypto/secret-box.ts';
import { createSigningKeys, KEY_REFRESH_MS, VERIFIER_SKEW_SECONDS } from '../src/core/tokens/signing-keys.ts';
import { MAX_SESSION_TOKEN_SECONDS } from '../src/core/tokens/session-tokens.ts';
import { openDatabase } from '../src/storage/db.ts';
import { createStore } from '../src/storage/store.ts';
import { BACKENDS, startServer, type TestServer } from './helpers/backends.ts';
import { specCall } from './helpers/spec-call.ts';

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

async function newUser(server: TestServer, email: string): Promise<string> {
  const res = await server.api('/v1/users', { method: 'POST', json: { email_address: [email], first_name: 'Ada', skip_password_requirement: true } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { id: string }).id;
}

async function newSession(server: TestServer, userId: string, actor?: { sub: string }) {
  return (await server.app.services.sessions.create({ userId, ...(actor ? { actor } : {}) })).session;
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

describe.each(BACKENDS)('signing keys and session tokens (%s)', (backend) => {
  let server: TestServer;
  let clerk: ReturnType<typeof createClerkClient>;
  let userId: string;

  beforeAll(async () => {
    server = await startServer(backend);
    clerk = createClerkClient({ secretKey: server.secretKey, apiUrl: server.url });
    userId = await newUser(server, 'ada@example.com');
  });
  afterAll(() => server?.close());

  it('publishes one RS256 key with no private member, behind the secret key', async () => {
    // The spec declares GetJWKS's 200 without a body (so specCall cannot check it); the SDK reads {keys}.
    const res = await server.api('/v1/jwks');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    const body = (await res.json()) as { keys: Array<Record<string, string>> };
    expect(body.keys).toHaveLength(1);
    const key = body.keys[0];
    if (!key) throw new Error('JWKS is empty');
    expect(Object.keys(key).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use']);
    for (const m of PRIVATE_MEMBERS) expect(key).not.toHaveProperty(m);
    expect(key).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig', e: 'AQAB' });
    expect(Buffer.from(key.n as string, 'base64url').length).toBe(256); // RSA-2048
    expect((await fetch(`${server.url}/v1/jwks`)).status).toBe(401);

    // The OpenID provider gets the private half of the same key; the SDK's JWKS call sees the same kid.
    const priv = await server.app.services.signingKeys.privateJwks();
    expect(priv.keys[0]).toMatchObject({ kid: key.kid, n: key.n });
    expect(priv.keys[0]).toHaveProperty('d');
    expect((await clerk.jwks.getJwks()).keys?.map((k) => k.kid)).toEqual([key.kid]);
  });

  it('issues session tokens that the official SDK verifies with jwtKey and through JWKS', async () => {
    const session = await newSession(server, userId);
    const { jwt } = await clerk.sessions.getToken(session.id, '');
    const header = decodeProtectedHeader(jwt);
    const claims = decodeJwt(jwt);
    const { keys } = (await (await server.api('/v1/jwks')).json()) as { keys: JWK[] };
    expect(header).toMatchObject({ alg: 'RS256', typ: 'JWT', kid: keys[0]?.kid });
    expect(claims).toMatchObject({ sid: session.id, sub: userId, iss: server.url });
    expect(Object.keys(claims).sort()).toEqual(['exp', 'iat', 'iss', 'nbf', 'sid', 'sub']);
    expect((claims.exp as number) - (claims.iat as number)).toBe(60);

    const pem = await exportSPKI((await importJWK(keys[0] as JWK, 'RS256')) as CryptoKey);
    const viaPem = await verifyToken(jwt, { jwtKey: pem });
    expect(viaPem).toMatchObject({ sid: session.id, sub: userId });
    const viaJwks = await verifyToken(jwt, { secretKey: server.secretKey, apiUrl: server.url, skipJwksCache: true });
    expect(viaJwks).toMatchObject({ sid: session.id, sub: userId });
    await expect(verifyToken(jwt, { secretKey: server.secretKey, apiUrl: server.url, issuer: 'https://elsewhere.example' })).rejects.toThrow();

    expect(await server.app.services.sessionTokens.verify(jwt)).toMatchObject({ sid: session.id, sub: userId });
  });

  it('honours expires_in_seconds, carries act for impersonation and refuses inactive sessions', async () => {
    const res = await server.api(`/v1/sessions/${(await newSession(server, userId)).id}/tokens`, { method: 'POST', json: { expires_in_seconds: 300 } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { object: string; jwt: string };
    expect(body.object).toBe('token');
    const c = decodeJwt(body.jwt);
    expect((c.exp as number) - (c.iat as number)).toBe(300);

    const bad = await server.api(`/v1/sessions/${(await newSession(server, userId)).id}/tokens`, { method: 'POST', json: { expires_in_seconds: 5 } });
    expect(bad.status).toBe(422);

    const acting = await newSession(server, userId, { sub: 'user_admin' });
    const { jwt } = await clerk.sessions.getToken(acting.id, '');
    expect(decodeJwt(jwt).act).toEqual({ sub: 'user_admin' });

    const ended = await newSession(server, userId);
    await server.app.services.sessions.revoke(ended.id);
    const refused = await server.api(`/v1/sessions/${ended.id}/tokens`, { method: 'POST' });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { errors: Array<{ code: string }> }).errors[0]?.code).toBe('session_not_active');
    await expect(server.app.services.sessionTokens.issue({ ...ended, status: 'revoked' })).rejects.toMatchObject({ code: 'session_not_active' });
    expect((await server.api('/v1/sessions/sess_missing/tokens', { method: 'POST' })).status).toBe(404);
  });

  it('rejects forged tokens in verify() and with 401 from POST /v1/sessions/{id}/verify', async () => {
    const session = await newSession(server, userId);
    const { kid, privateKey } = await server.app.services.signingKeys.current();
    const { keys } = await server.app.services.signingKeys.jwks();
    const publicPem = await exportSPKI((await importJWK(keys[0] as unknown as JWK, 'RS256')) as CryptoKey);
    const now = Math.floor(Date.now() / 1000);
    const claims = { sid: session.id, sub: userId, iss: server.url, iat: now, nbf: now - 10, exp: now + 60 };
    const other = await generateKeyPair('RS256', { modulusLength: 2048 });
    const hs256 = (() => {
      const head = b64({ alg: 'HS256', kid, typ: 'JWT' });
      const body = b64(claims);
      return `${head}.${body}.${createHmac('sha256', publicPem).update(`${head}.${body}`).digest('base64url')}`;
    })();
    const forged: Record<string, string> = {
      'alg none': `${b64({ alg: 'none', kid, typ: 'JWT' })}.${b64(claims)}.`,
      'HS256 with the public key as secret': hs256,
      'unknown kid': await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'not-a-published-kid' }).sign(other.privateKey),
      'bad signature': await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid }).sign(other.privateKey),
      expired: await new SignJWT({ ...claims, iat: now - 600, nbf: now - 600, exp: now - 300 }).setProtectedHeader({ alg: 'RS256', kid }).sign(privateKey),
      'wrong issuer': await new SignJWT({ ...claims, iss: 'https://evil.example' }).setProtectedHeader({ alg: 'RS256', kid }).sign(privateKey),
      'not yet valid': await new SignJWT({ ...claims, nbf: now + 600 }).setProtectedHeader({ alg: 'RS256', kid }).sign(privateKey),
      'garbage': 'not.a.jwt',
    };
    // The control: the same claims signed by the real key pass both checks.
    const genuine = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid }).sign(privateKey);
    expect(await server.app.services.sessionTokens.verify(genuine)).toMatchObject({ sid: session.id });
    const ok = await specCall(server, 'POST', '/sessions/{session_id}/verify', `/sessions/${session.id}/verify`, { token: genuine });
    expect(ok.status).toBe(200);

    for (const [name, token] of Object.entries(forged)) {
      await expect(server.app.services.sessionTokens.verify(token), name).rejects.toMatchObject({ code: 'session_token_invalid' });
      const res = await specCall(server, 'POST', '/sessions/{session_id}/verify', `/sessions/${session.id}/verify`, { token });
      expect(res.status, name).toBe(401);
    }
  });
});

describe.each(BACKENDS)('signing key rotation (%s)', (backend) => {
  const clock = manualClock(new Date('2026-03-01T00:00:00Z'));
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer(backend, {}, { clock });
  });
  afterAll(() => server?.close());

  it('signs with the new key at once, keeps the old one published until its tokens expire, then retires it', async () => {
    const userId = await newUser(server, 'rot@example.com');
    const session = await newSession(server, userId);
    const tokens = server.app.services.sessionTokens;
    const before = await tokens.issue(session, { expiresInSeconds: MAX_SESSION_TOKEN_SECONDS });
    const oldKid = decodeProtectedHeader(before).kid as string;

    const { kid: newKid } = await server.app.services.signingKeys.rotate();
    expect(newKid).not.toBe(oldKid);
    const after = await tokens.issue(session);
    expect(decodeProtectedHeader(after).kid).toBe(newKid);
    const body = (await (await server.api('/v1/jwks')).json()) as { keys: JWK[] };
    expect(body.keys.map((k: JWK) => k.kid)).toEqual([newKid, oldKid]);
    expect(await tokens.verify(before)).toMatchObject({ sid: session.id });

    // Just before the bound the old key is still published; the longest token it signed is still live.
    const boundMs = (MAX_SESSION_TOKEN_SECONDS + VERIFIER_SKEW_SECONDS) * 1000 + KEY_REFRESH_MS;
    clock.advance(MAX_SESSION_TOKEN_SECONDS * 1000 - 1000);
    expect(await tokens.verify(before)).toMatchObject({ sid: session.id });
    clock.advance(boundMs - MAX_SESSION_TOKEN_SECONDS * 1000 + 2000);
    const later = (await (await server.api('/v1/jwks')).json()) as { keys: JWK[] };
    expect(later.keys.map((k: JWK) => k.kid)).toEqual([newKid]);
    await expect(tokens.verify(before)).rejects.toMatchObject({ code: 'session_token_invalid' });

    // The CLI path: a second rotation deletes keys already retired.
    const third = await server.app.services.signingKeys.rotate();
    const rows = (await server.app.database.db.selectFrom('signing_keys' as never).select('kid' as never).execute()) as Array<{ kid: string }>;
    expect(rows.map((r) => r.kid).sort()).toEqual([newKid, third.kid].sort());
  });
});

describe.each(BACKENDS)('the first signing key under a race (%s)', (backend) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer(backend);
  });
  afterAll(() => server?.close());

  it('ends with one current key when several processes create it at once', async () => {
    // On PostgreSQL half the racers use a second pool, as a second server process would.
    const second = backend === 'postgres' ? await openDatabase({ databaseUrl: server.config.databaseUrl, dataDir: 'memory://' }) : null;
    try {
      const box = secretBox(Buffer.alloc(32, 7));
      const stores = [createStore(server.app.database.db), createStore((second ?? server.app.database).db)];
      const racers = Array.from({ length: 6 }, (_, i) => createSigningKeys({ store: stores[i % 2] as ReturnType<typeof createStore>, clock: { now: () => new Date() }, box, maxSessionTokenSeconds: 60 }));
      const kids = (await Promise.all(racers.map((k) => k.current()))).map((k) => k.kid);
      expect(new Set(kids).size).toBe(1);
      const rows = (await server.app.database.db.selectFrom('signing_keys' as never).selectAll().execute()) as Array<{ kid: string; superseded_at: Date | null }>;
      expect(rows).toHaveLength(1);
      expect(rows[0]?.kid).toBe(kids[0]);
      // Every racer publishes the same single key.
      for (const r of racers) expect((await r.jwks()).keys.map((k) => k.kid)).toEqual([kids[0]]);
    } finally {
      await second?.close();
    }
  });
});
