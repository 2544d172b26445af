import type { Clock } from '../clock.ts';
import { DomainError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { Store } from '../store.ts';

export interface RedirectUrl {
  id: string;
  /** Normalised by the WHATWG URL parser, so equal URLs are stored once. */
  url: string;
  createdAt: Date;
  updatedAt: Date;
}

/** A duplicate surfaces as `redirect_url_exists`. */
export interface RedirectUrlStore {
  insert(r: RedirectUrl): Promise<void>;
  findById(id: string): Promise<RedirectUrl | null>;
  /** All of them, newest first: an instance has a handful. */
  list(): Promise<RedirectUrl[]>;
  delete(id: string): Promise<boolean>;
}

const MAX_URL = 2048;
/** Schemes that run code or read local data rather than navigate. */
const FORBIDDEN_SCHEMES = new Set(['javascript:', 'data:', 'vbscript:', 'file:', 'blob:', 'about:', 'filesystem:']);
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

function invalid(message: string, param = 'url'): DomainError {
  return new DomainError('invalid_param', message, { param });
}

/**
 * Checks and normalises a redirect URL: `https://...`, `http://` only to a loopback host (as
 * RFC 8252 allows native apps), or an app's own scheme (`my-app://callback`). No credentials.
 */
export function normalizeRedirectUrl(input: string, param = 'url'): string {
  const value = input.trim();
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw invalid(`${param} must be an absolute URL such as https://app.example.com/callback or my-app://callback.`, param);
  }
  if (value.length > MAX_URL) throw invalid(`${param} must be at most ${MAX_URL} characters.`, param);
  if (FORBIDDEN_SCHEMES.has(u.protocol)) throw invalid(`${param} cannot use the ${u.protocol} scheme.`, param);
  if (u.username || u.password) throw invalid(`${param} must not carry credentials.`, param);
  if ((u.protocol === 'https:' || u.protocol === 'http:') && !u.hostname) throw invalid(`${param} needs a host.`, param);
  if (u.protocol === 'http:' && !LOOPBACK.has(u.hostname)) throw invalid(`${param} must use https (http is allowed only for localhost).`, param);
  if (!/^\/\//.test(value.slice(u.protocol.length))) throw invalid(`${param} must be written scheme://host...`, param);
  return u.href;
}

/** `/path` on the target starts at a segment boundary of `/prefix`. */
function pathWithin(path: string, prefix: string): boolean {
  if (path === prefix || prefix === '/' || prefix === '') return true;
  return path.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`);
}

/** Redirect URLs: where the hosted pages (sign-up, invitations, OAuth later) may send a user. */
export function createRedirectUrlService(deps: { store: Store; clock: Clock; publicUrl: () => string; /** OAuth applications' callback URLs, allowed like registered redirect URLs. */ callbackUrls?: () => Promise<string[]> }) {
  const { store, clock } = deps;

  return {
    async create(url: string): Promise<RedirectUrl> {
      const normalized = normalizeRedirectUrl(url);
      return store.transaction(async (tx) => {
        const now = clock.now();
        const r: RedirectUrl = { id: newId('ru'), url: normalized, createdAt: now, updatedAt: now };
        await tx.redirectUrls.insert(r);
        await tx.events.record({ type: 'redirect_url.created', subjectId: r.id, payload: { url: normalized }, at: now });
        return r;
      });
    },

    list: () => store.redirectUrls.list(),

    async get(id: string): Promise<RedirectUrl> {
      const r = await store.redirectUrls.findById(id);
      if (!r) throw new DomainError('redirect_url_not_found', `No redirect URL was found with id ${id}.`, { param: 'id' });
      return r;
    },

    async delete(id: string): Promise<RedirectUrl> {
      return store.transaction(async (tx) => {
        const r = await tx.redirectUrls.findById(id);
        if (!r || !(await tx.redirectUrls.delete(id))) throw new DomainError('redirect_url_not_found', `No redirect URL was found with id ${id}.`, { param: 'id' });
        await tx.events.record({ type: 'redirect_url.deleted', subjectId: id, payload: {}, at: clock.now() });
        return r;
      });
    },

    /**
     * Whether a hosted page may send the user to `target`. Allowed: a path on this server
     * (`/dashboard`, never `//host`), any URL on PUBLIC_URL's origin, and a URL with the scheme,
     * host and port of a registered redirect URL whose path lies within the registered path
     * (`https://app.test/cb` allows `https://app.test/cb/x?y`, not `https://app.test/cbx`). Query
     * and fragment are free. OAuth applications' callback URLs count as registered redirect URLs.
     * @example await redirects.isAllowedRedirect('https://app.example.com/after-sign-up')
     */
    async isAllowedRedirect(target: string): Promise<boolean> {
      if (typeof target !== 'string' || target.length === 0 || target.length > MAX_URL) return false;
      // A path, but not a protocol-relative URL or a backslash trick browsers read as one.
      if (target.startsWith('/')) return !/^\/[/\\]/.test(target) && !/[\u0000-\u001f]/.test(target);
      let u: URL;
      try {
        u = new URL(target);
      } catch {
        return false;
      }
      if (FORBIDDEN_SCHEMES.has(u.protocol) || u.username || u.password) return false;
      if ((u.protocol === 'http:' || u.protocol === 'https:') && u.origin === new URL(deps.publicUrl()).origin) return true;
      const entries = [...(await store.redirectUrls.list()).map((r) => r.url), ...((await deps.callbackUrls?.()) ?? [])];
      for (const entry of entries) {
        const e = new URL(entry);
        if (e.protocol === u.protocol && e.host === u.host && pathWithin(u.pathname, e.pathname)) return true;
      }
      return false;
    },
  };
}

export type RedirectUrlService = ReturnType<typeof createRedirectUrlService>;
