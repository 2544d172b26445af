/**
 * What the sign-in, session and OpenID provider loads (bench/sessions-load.ts) send, prepared
 * through the app's own HTTP interface before any timing: CSRF cookie and token pairs of the
 * hosted sign-in page, sessions with long-lived session tokens, a client-credentials application,
 * and refresh tokens from whole authorization-code flows through the hosted sign-in form.
 */
import { randomBytes } from 'node:crypto';
import type { RequestVariant } from './load.ts';
import { seeded } from './db.ts';

export const SEED_PASSWORD = 'bench seed password'; // bench/db.ts's seeded digest
const CALLBACK = 'http://localhost:8123/callback';

function ensure(ok: boolean, what: string): void {
  if (!ok) throw new Error(`sanity check failed: ${what}`);
}

/** A minimal browser: a cookie jar by name (one host), manual redirects, form posts. */
class Browser {
  readonly cookies = new Map<string, string>();

  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size) headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const i = pair.indexOf('=');
      const value = pair.slice(i + 1).trim();
      if (value === '' || /max-age=0|expires=thu, 01 jan 1970/i.test(line)) this.cookies.delete(pair.slice(0, i).trim());
      else this.cookies.set(pair.slice(0, i).trim(), value);
    }
    return res;
  }

  /** Follows redirects until one points at `stopAt` (its URL is returned) or a page answers. */
  async follow(url: string, stopAt: string): Promise<{ location?: string; res: Response; url: string }> {
    let current = url;
    let res = await this.fetch(current);
    for (let hops = 0; hops < 20; hops++) {
      if (res.status < 300 || res.status >= 400) return { res, url: current };
      const next = new URL(res.headers.get('location') as string, current).href;
      await res.arrayBuffer();
      if (next.startsWith(stopAt)) return { location: next, res, url: current };
      current = next;
      res = await this.fetch(current);
    }
    throw new Error('too many redirects');
  }

  postForm(url: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
    return this.fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(fields).toString() });
  }
}

const csrfField = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';

async function inBatches<T>(count: number, width: number, one: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let from = 0; from < count; from += width) out.push(...(await Promise.all(Array.from({ length: Math.min(width, count - from) }, (_, k) => one(from + k)))));
  return out;
}

/**
 * Sign-in form posts: `pairs` browsers each GET /sign-in once for their CSRF cookie and token
 * (the token is a double-submit value, valid for as long as the cookie), then `count` posts, each
 * a random seeded user's email and password with one of those browsers' cookie and token.
 */
export async function signInVariants(lkUrl: string, users: number, pairs: number, count: number): Promise<RequestVariant[]> {
  const csrf = await inBatches(pairs, 10, async () => {
    const b = new Browser();
    const res = await b.fetch(`${lkUrl}/sign-in`);
    const token = csrfField(await res.text());
    ensure(res.status === 200 && token.length > 0 && b.cookies.get('lk_csrf') === token, 'GET /sign-in sets the lk_csrf cookie and its form token');
    return token;
  });
  return Array.from({ length: count }, (_, i) => {
    const n = 1 + Math.floor(Math.random() * users);
    const token = csrf[i % csrf.length];
    return { headers: { cookie: `lk_csrf=${token}` }, body: new URLSearchParams({ csrf: token, identifier: seeded.email(n), password: SEED_PASSWORD }).toString() };
  });
}

/** One sign-in post answered as a browser sees it: a 303 that sets the client cookie. */
export async function checkSignIn(lkUrl: string, v: RequestVariant): Promise<void> {
  const res = await fetch(`${lkUrl}/sign-in`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...v.headers }, body: v.body, redirect: 'manual' });
  await res.arrayBuffer();
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith('__latchkey_client='));
  ensure(res.status === 303 && !!cookie && cookie.length > '__latchkey_client=;'.length, `POST /sign-in answers 303 with __latchkey_client (got ${res.status})`);
}

export interface VerifyPool {
  /** Requests to the app (`/v1/sessions/{id}/verify`) and to the baseline (`/sessions/{id}/verify`). */
  latchkey: RequestVariant[];
  baseline: RequestVariant[];
}

/** `count` sessions of seeded users, each with a session token valid for an hour. */
export async function verifyPool(lkUrl: string, key: string, users: number, count: number): Promise<VerifyPool> {
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  const made = await inBatches(count, 10, async (i) => {
    const n = 1 + Math.floor(((i + 0.5) * users) / count);
    const s = await fetch(`${lkUrl}/v1/sessions`, { method: 'POST', headers, body: JSON.stringify({ user_id: seeded.id(n) }) });
    const session = (await s.json()) as { id: string; status: string };
    ensure(s.status === 200 && session.status === 'active', `POST /v1/sessions (${s.status})`);
    const t = await fetch(`${lkUrl}/v1/sessions/${session.id}/tokens`, { method: 'POST', headers, body: JSON.stringify({ expires_in_seconds: 3600 }) });
    const { jwt } = (await t.json()) as { jwt: string };
    ensure(t.status === 200 && typeof jwt === 'string', `POST /v1/sessions/{id}/tokens (${t.status})`);
    return { id: session.id, body: JSON.stringify({ token: jwt }) };
  });
  return { latchkey: made.map((m) => ({ path: `/v1/sessions/${m.id}/verify`, body: m.body })), baseline: made.map((m) => ({ path: `/sessions/${m.id}/verify`, body: m.body })) };
}

export interface OAuthClient {
  clientId: string;
  secret: string;
  /** `Basic base64(urlencoded id : urlencoded secret)`, RFC 6749 section 2.3.1. */
  basic: string;
}

export async function createOAuthApp(lkUrl: string, key: string, fields: Record<string, unknown>): Promise<OAuthClient> {
  const res = await fetch(`${lkUrl}/v1/oauth_applications`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: `Bench ${randomBytes(3).toString('hex')}`, callback_url: CALLBACK, ...fields }),
  });
  const a = (await res.json()) as { client_id: string; client_secret: string };
  ensure(res.status === 200 && !!a.client_secret, `POST /v1/oauth_applications (${res.status})`);
  return { clientId: a.client_id, secret: a.client_secret, basic: `Basic ${Buffer.from(`${encodeURIComponent(a.client_id)}:${encodeURIComponent(a.client_secret)}`).toString('base64')}` };
}

/** Posts a form to a token endpoint with Basic client authentication. */
export async function tokenRequest(url: string, client: OAuthClient, fields: Record<string, string>): Promise<{ status: number; body: Record<string, any> }> {
  const res = await fetch(url, { method: 'POST', headers: { authorization: client.basic, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

/**
 * One refresh token per seeded user in `users`: each in its own browser, the authorization-code
 * flow of a confidential first-party application through the hosted sign-in form, the code
 * exchanged at the token endpoint.
 */
export async function refreshTokens(lkUrl: string, client: OAuthClient, users: number[]): Promise<string[]> {
  return inBatches(users.length, 5, async (i) => {
    const b = new Browser();
    const q = new URLSearchParams({ client_id: client.clientId, redirect_uri: CALLBACK, response_type: 'code', scope: 'openid offline_access', prompt: 'consent', state: randomBytes(8).toString('hex') });
    let step = await b.follow(`${lkUrl}/oauth/authorize?${q}`, CALLBACK);
    if (!step.location) {
      const html = await step.res.text();
      const redirectUrl = new URL(step.url).searchParams.get('redirect_url') ?? '';
      ensure(step.url.includes('/sign-in') && redirectUrl.startsWith('/interaction/'), `authorize leads to the sign-in page (stopped at ${step.url}, ${step.res.status})`);
      const posted = await b.postForm(`${lkUrl}/sign-in`, { csrf: csrfField(html), identifier: seeded.email(users[i]), password: SEED_PASSWORD, redirect_url: redirectUrl });
      ensure(posted.status === 303, `sign-in during authorization (${posted.status})`);
      step = await b.follow(new URL(posted.headers.get('location') as string, lkUrl).href, CALLBACK);
    }
    const code = step.location ? new URL(step.location).searchParams.get('code') : null;
    ensure(!!code, `authorization ends at the callback with a code (stopped at ${step.url}, ${step.res.status})`);
    const t = await tokenRequest(`${lkUrl}/oauth/token`, client, { grant_type: 'authorization_code', code: code as string, redirect_uri: CALLBACK });
    ensure(t.status === 200 && typeof t.body.refresh_token === 'string', `code exchange gives a refresh token (${t.status} ${JSON.stringify(t.body).slice(0, 200)})`);
    return t.body.refresh_token as string;
  });
}
