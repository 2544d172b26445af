/**
 * A browser-ish HTTP client for the hosted pages: keeps every cookie the server sets (by name,
 * honouring deletions), never follows redirects by itself, and reads form fields out of pages.
 */
export interface PageResponse {
  status: number;
  headers: Headers;
  html: string;
  /** The Location header of a redirect, if any. */
  location: string | null;
}

export interface PageClient {
  get(path: string): Promise<PageResponse>;
  post(path: string, fields: Record<string, string>): Promise<PageResponse>;
  /** Follows redirects (GET) from a response until a page answers, at most 10 hops. */
  follow(r: PageResponse): Promise<PageResponse & { path: string }>;
  cookie(name: string): string | undefined;
  cookies: Map<string, string>;
}

/** `headers` go with every request (e.g. `x-forwarded-for`, to give each client its own address). */
export function pageClient(base: string, headers: Record<string, string> = {}): PageClient {
  const jar = new Map<string, string>();
  const header = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');

  function remember(res: Response) {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const i = pair.indexOf('=');
      const name = pair.slice(0, i).trim();
      const value = pair.slice(i + 1).trim();
      const expired = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a) || (/^\s*expires=/i.test(a) && new Date(a.split('=')[1]) <= new Date()));
      if (expired || value === '') jar.delete(name);
      else jar.set(name, value);
    }
  }

  async function wrap(res: Response): Promise<PageResponse> {
    remember(res);
    return { status: res.status, headers: res.headers, html: await res.text(), location: res.headers.get('location') };
  }

  const client: PageClient = {
    cookies: jar,
    cookie: (name) => jar.get(name),
    async get(path) {
      return wrap(await fetch(new URL(path, base), { headers: { ...headers, cookie: header() }, redirect: 'manual' }));
    },
    async post(path, fields) {
      return wrap(
        await fetch(new URL(path, base), {
          method: 'POST',
          headers: { ...headers, cookie: header(), 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams(fields).toString(),
          redirect: 'manual',
        }),
      );
    },
    async follow(r) {
      let current = r;
      let path = '';
      for (let hop = 0; current.location && hop < 10; hop++) {
        const u = new URL(current.location, base);
        path = u.pathname + u.search;
        current = await client.get(path);
      }
      return { ...current, path };
    },
  };
  return client;
}

/** The value of a named input (hidden or not) in a page. */
export function inputValue(html: string, name: string): string {
  const re = new RegExp(`<input[^>]*name="${name}"[^>]*>`);
  const tag = re.exec(html)?.[0] ?? '';
  return (/value="([^"]*)"/.exec(tag)?.[1] ?? '').replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>');
}

export const csrfOf = (html: string) => inputValue(html, 'csrf');

/** The 6-digit code in an email's text. */
export const codeIn = (text: string) => /\b(\d{6})\b/.exec(text)?.[1] ?? '';

/** The first link in an email's HTML whose URL contains `needle`. */
export function linkIn(html: string, needle: string): string {
  for (const m of html.matchAll(/href="([^"]+)"/g)) {
    const url = m[1].replace(/&amp;/g, '&').replace(/&#x3D;/g, '=');
    if (url.includes(needle)) return url;
  }
  return '';
}
