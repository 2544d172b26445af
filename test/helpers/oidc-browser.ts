import * as client from 'openid-client';
import { expect } from 'vitest';

/**
 * A minimal browser over fetch: keeps cookies (by name; the tests use one host), follows
 * redirects by hand so a test can stop at the application's callback, and posts forms.
 */
export class TestBrowser {
  readonly cookies = new Map<string, string>();

  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size) headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) {
      const pair = line.split(';')[0];
      const i = pair.indexOf('=');
      const name = pair.slice(0, i).trim();
      const value = pair.slice(i + 1).trim();
      if (value === '' || /max-age=0|expires=thu, 01 jan 1970/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }

  /** Follows redirects from `url` until one points at `stopAt` (returned), or a page answers (returned as a Response). */
  async follow(url: string, stopAt: string, init: RequestInit = {}): Promise<{ location?: string; res: Response; url: string }> {
    let current = url;
    let res = await this.fetch(current, init);
    for (let hops = 0; hops < 20; hops++) {
      if (res.status < 300 || res.status >= 400) return { res, url: current };
      const next = new URL(res.headers.get('location') as string, current).href;
      if (next.startsWith(stopAt)) return { location: next, res, url: current };
      await res.arrayBuffer();
      current = next;
      res = await this.fetch(current);
    }
    throw new Error('too many redirects');
  }

  /** Posts a urlencoded form. */
  postForm(url: string, fields: Record<string, string>): Promise<Response> {
    return this.fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
  }
}

/** The value of the hidden `csrf` field of a page. */
export function csrfOf(html: string): string {
  const m = /name="csrf" value="([^"]+)"/.exec(html);
  expect(m, 'page has a csrf field').not.toBeNull();
  return (m as RegExpExecArray)[1];
}

/** The OAuth error code a rejected grant carries, however openid-client wraps it. */
export async function oauthError(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'no error';
  } catch (e: any) {
    return e.error ?? e.cause?.[0]?.parameters?.error ?? e.cause?.error ?? String(e);
  }
}

/**
 * An authorization request as a careful client makes it: PKCE (S256), a random state and nonce,
 * and `prompt=consent` so that `offline_access` yields a refresh token. Returns the URL and the
 * values the client keeps to check the callback and redeem the code.
 */
export async function authorizationRequest(config: client.Configuration, redirectUri: string, scope: string) {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope,
    prompt: 'consent',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  });
  return { url, verifier, state, nonce };
}

/** The authorization code a callback URL carries; fails the test if the callback carries an error instead. */
export function codeAt(step: { location?: string; url: string }): string {
  const callback = step.location;
  expect(callback, `stopped at ${step.url}, not at the callback`).toBeDefined();
  const params = new URL(callback as string).searchParams;
  expect(params.get('error'), params.get('error_description') ?? '').toBeNull();
  expect(params.get('code')).toMatch(/^[A-Za-z0-9_-]{20,}$/);
  return params.get('code') as string;
}
