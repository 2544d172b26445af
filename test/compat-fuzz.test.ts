/**
 * Property-based fuzzing of the compatibility dialects (Pterodactyl, Authress) on a real
 * listening server, in the manner of clerk-fuzz.test.ts. Random requests (path ids, query
 * strings, bodies, content types, auth headers) go to every route, and every response must be:
 *  - below 500, and not a redirect;
 *  - for 4xx: `application/json` with exactly the dialect's own error envelope;
 *  - for 2xx: the dialect's success shape (or an empty body for 202/204).
 *
 * Path ids, tenant ids and body user ids are often real (users and organizations made beforehand,
 * a new user for each one deleted), so a good share of requests reach the database. FUZZ_SCALE multiplies the runs (default 1);
 * FUZZ_STATS=1 prints the statuses seen.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, startServer, type TestServer } from './helpers/backends.ts';

const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
const stats = new Map<string, number>();
const runs = (n: number) => Math.max(5, Math.round(n * SCALE));

interface Real {
  ids: string[];
  numericIds: number[];
  externalIds: string[];
  organizations: string[];
}

/** A real value, picked when the request is built (the pools grow and shrink meanwhile). */
class RealRef {
  readonly kind: keyof Real;
  readonly index: number;
  constructor(kind: keyof Real, index: number) {
    this.kind = kind;
    this.index = index;
  }
  [fc.toStringMethod](): string {
    return `real(${this.kind}#${this.index})`;
  }
}

const text = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 8 }),
  fc.constantFrom('', ' ', '0', '-1', '1.5', '1e3', '9007199254740993', 'null', 'true', '%', '../x', 'a/b', 'user_', 'org_', '\u0000', 'é', 'x'.repeat(200)),
);
/** Mostly a real id of the kind, sometimes random text. */
const slot = (kind: keyof Real): fc.Arbitrary<RealRef | string> =>
  fc.oneof({ weight: 2, arbitrary: fc.nat(30).map((index) => new RealRef(kind, index)) }, { weight: 1, arbitrary: text });
const jsonValue = fc.jsonValue({ maxDepth: 2 });
const auth = fc.oneof({ weight: 8, arbitrary: fc.constant('valid') }, { weight: 1, arbitrary: fc.constantFrom('none', 'wrong', 'basic', 'long') });

interface Shape {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT';
  /** Path with `{kind}` placeholders filled from Real or random text. */
  path: string;
  params: Array<keyof Real>;
  query: Record<string, fc.Arbitrary<string | RealRef>>;
  body?: Record<string, fc.Arbitrary<unknown>>;
  /** Body fields present in most runs, so that a good share of requests can succeed. */
  required?: string[];
}

const maybe = <T,>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
const intText = fc.oneof(fc.integer({ min: -5, max: 400 }).map(String), text);

/** Mostly a plausible value, sometimes anything. */
const mostly = <T, U>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<U>): fc.Arbitrary<T | U> => fc.oneof({ weight: 3, arbitrary: good }, { weight: 1, arbitrary: bad });
const PANEL_REQUIRED = ['email', 'username', 'first_name', 'last_name'];
const PANEL_BODY = {
  email: mostly(fc.emailAddress(), jsonValue),
  username: mostly(fc.stringMatching(/^[a-z][a-z0-9_]{2,12}$/), jsonValue),
  first_name: mostly(fc.string({ minLength: 1, maxLength: 12 }), jsonValue),
  last_name: mostly(fc.string({ minLength: 1, maxLength: 12 }), jsonValue),
  external_id: fc.oneof(text, fc.constant(null)),
  password: fc.oneof(fc.constant('a sturdy fuzz passphrase'), text, fc.constant(null)),
  language: fc.oneof(fc.constantFrom('en', 'de', 'pt-BR'), text),
  root_admin: fc.oneof(fc.boolean(), jsonValue),
};

const DIALECTS: Array<{ name: 'pterodactyl' | 'authress'; base: string; shapes: Shape[] }> = [
  {
    name: 'pterodactyl',
    base: '/compat/pterodactyl/api/application',
    shapes: [
      {
        method: 'GET',
        path: '/users',
        params: [],
        query: {
          'filter[email]': text,
          'filter[username]': text,
          'filter[uuid]': text,
          'filter[external_id]': text,
          sort: fc.constantFrom('id', '-id', 'uuid', '-uuid', 'name'),
          page: mostly(fc.integer({ min: 1, max: 3 }).map(String), intText),
          per_page: mostly(fc.integer({ min: 1, max: 100 }).map(String), intText),
          include: fc.constantFrom('servers', '', 'x'),
        },
      },
      { method: 'GET', path: '/users/{numericIds}', params: ['numericIds'], query: { include: fc.constantFrom('servers', 'nope') } },
      { method: 'GET', path: '/users/external/{externalIds}', params: ['externalIds'], query: { include: fc.constantFrom('servers', '') } },
      { method: 'POST', path: '/users', params: [], query: {}, body: PANEL_BODY, required: PANEL_REQUIRED },
      { method: 'PATCH', path: '/users/{numericIds}', params: ['numericIds'], query: {}, body: PANEL_BODY, required: PANEL_REQUIRED },
      { method: 'DELETE', path: '/users/{numericIds}', params: ['numericIds'], query: {} },
    ],
  },
  {
    name: 'authress',
    base: '/compat/authress/v1',
    shapes: [
      {
        method: 'GET',
        path: '/users',
        params: [],
        query: {
          limit: mostly(fc.integer({ min: 1, max: 100 }).map(String), intText),
          cursor: text,
          filter: mostly(fc.constantFrom('fuzz', 'FX-1', 'example', 'user_', '%', '_'), text),
          tenantId: fc.oneof(slot('organizations'), fc.constantFrom('org_x', 'a:b.c-d_e')),
        },
      },
      { method: 'GET', path: '/users/{ids}', params: ['ids'], query: {} },
      { method: 'DELETE', path: '/users/{ids}', params: ['ids'], query: {} },
      { method: 'PATCH', path: '/tenants/{organizations}/users', params: ['organizations'], query: {}, body: { userId: fc.oneof({ weight: 4, arbitrary: slot('ids') }, { weight: 1, arbitrary: jsonValue }) } },
    ],
  },
];

/** The dialect's error envelope, exactly. */
function assertEnvelope(dialect: 'pterodactyl' | 'authress', status: number, body: any): void {
  if (dialect === 'authress') {
    expect(Object.keys(body).sort()).toEqual(['errorCode', 'title']);
    expect(body.errorCode).toMatch(/^[A-Z][A-Za-z]+$/);
    expect(typeof body.title === 'string' && body.title.length > 0).toBe(true);
    return;
  }
  expect(Object.keys(body)).toEqual(['errors']);
  expect(body.errors).toHaveLength(1);
  const e = body.errors[0];
  expect(e.status).toBe(String(status));
  expect(e.code).toMatch(/^[A-Z][A-Za-z]+$/);
  expect(typeof e.detail === 'string' && e.detail.length > 0).toBe(true);
  if (e.meta !== undefined) expect(Object.keys(e.meta).sort()).toEqual(['rule', 'source_field']);
}

/** The dialect's success shapes. */
function assertSuccess(dialect: 'pterodactyl' | 'authress', status: number, body: any): void {
  if (dialect === 'authress') {
    const identity = (u: any) => {
      expect(Object.keys(u).every((k) => ['userId', 'name', 'picture', 'email'].includes(k))).toBe(true);
      expect(typeof u.userId === 'string' && typeof u.name === 'string' && u.name.length > 0).toBe(true);
    };
    expect(status).toBe(200);
    if ('users' in body) {
      body.users.forEach(identity);
      expect(typeof body.links.self.href).toBe('string');
    } else identity(body);
    return;
  }
  expect([200, 201]).toContain(status);
  if (body.object === 'list') {
    for (const u of body.data) expect(u.object).toBe('user');
    expect(typeof body.meta.pagination.total).toBe('number');
  } else {
    expect(body.object).toBe('user');
    expect(Number.isInteger(body.attributes.id)).toBe(true);
  }
}

describe.each(BACKENDS)('compatibility dialect fuzzing (%s)', (backend) => {
  let server: TestServer;
  const real: Real = { ids: [], numericIds: [], externalIds: [], organizations: [] };
  let made = 0;

  async function makeUser(): Promise<void> {
    const n = made++;
    const res = await server.api('/compat/pterodactyl/api/application/users', {
      method: 'POST',
      json: { email: `fuzz${n}@example.com`, username: `fuzz_${n}`, first_name: 'Fuzz', last_name: `${n}`, external_id: `fx-${n}`, password: 'a sturdy fuzz passphrase' },
    });
    const a = ((await res.json()) as any).attributes;
    const [u] = (await (await server.api(`/v1/users?external_id=fx-${n}`)).json()) as any[];
    real.ids.push(u.id);
    real.numericIds.push(a.id);
    real.externalIds.push(`fx-${n}`);
  }

  function resolve(v: RealRef | string): string {
    if (typeof v === 'string') return v;
    const list = real[v.kind];
    return list.length ? String(list[v.index % list.length]) : 'missing';
  }

  /** Replaces every RealRef in a generated body by the value it points at now. */
  function materialize(v: unknown): unknown {
    if (v instanceof RealRef) return resolve(v);
    if (Array.isArray(v)) return v.map(materialize);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, materialize(x)]));
    return v;
  }

  async function send(dialect: (typeof DIALECTS)[number], method: string, path: string, headers: Record<string, string>, body?: string): Promise<number> {
    const res = await fetch(`${server.url}${dialect.base}${path}`, { method, headers, body });
    const raw = await res.text();
    const key = `${dialect.name} ${method} ${path.split('?')[0].replace(/\/[^/]+$/, '/…')} -> ${res.status}`;
    stats.set(key, (stats.get(key) ?? 0) + 1);
    const where = `${method} ${dialect.base}${path} ${body ?? ''} -> ${res.status} ${raw.slice(0, 500)}`;
    expect(res.status, where).toBeLessThan(500);
    expect(res.status >= 300 && res.status < 400, where).toBe(false);
    if (res.status === 202 || res.status === 204) {
      expect(raw, where).toBe('');
      return res.status;
    }
    const type = res.headers.get('content-type');
    expect(type === 'application/json' || (dialect.name === 'authress' && res.ok && type === 'application/links+json'), `${where} (content-type ${type})`).toBe(true);
    const parsed = JSON.parse(raw);
    try {
      if (res.status >= 400) assertEnvelope(dialect.name, res.status, parsed);
      else assertSuccess(dialect.name, res.status, parsed);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n  ${where}`);
    }
    return res.status;
  }

  function headersFor(kind: string): Record<string, string> {
    const key = server.secretKey;
    if (kind === 'valid') return { authorization: `Bearer ${key}` };
    if (kind === 'wrong') return { authorization: `Bearer ${key.slice(0, -2)}xx` };
    if (kind === 'basic') return { authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}` };
    if (kind === 'long') return { authorization: `Bearer ${key}${'a'.repeat(600)}` };
    return {};
  }

  beforeAll(async () => {
    server = await startServer(backend, {}, { deletions: { options: { pollMs: 50 } } });
    for (let i = 0; i < 4; i++) await makeUser();
    for (let i = 0; i < 2; i++) {
      const res = await server.api('/v1/organizations', { method: 'POST', json: { name: `Fuzz tenant ${i}` } });
      real.organizations.push(((await res.json()) as any).id);
    }
  });
  afterAll(async () => {
    await server?.close();
    if (process.env.FUZZ_STATS) console.log([...stats.entries()].sort().map(([k, v]) => `  ${k}: ${v}`).join('\n'));
    stats.clear();
  });

  for (const dialect of DIALECTS) {
    for (const shape of dialect.shapes) {
      it(`${dialect.name} ${shape.method} ${shape.path} stays in its envelope`, async () => {
        const known = fc.record(Object.fromEntries(Object.entries(shape.query).map(([k, a]) => [k, maybe(a)])), { requiredKeys: [] });
        // Now and then an unknown parameter too, which every dialect refuses.
        const queryArb = fc.oneof({ weight: 5, arbitrary: known }, { weight: 1, arbitrary: fc.tuple(known, fc.string({ minLength: 1, maxLength: 8 }), text).map(([q, k, v]) => ({ ...q, [k]: v })) });
        const bodyArb = shape.body
          ? fc.oneof(
              { weight: 4, arbitrary: fc.record(shape.body, { requiredKeys: shape.required ?? Object.keys(shape.body) }).map((b) => ({ kind: 'json' as const, value: b })) },
              { weight: 1, arbitrary: fc.record(shape.body, { requiredKeys: [] }).map((b) => ({ kind: 'json' as const, value: b })) },
              { weight: 1, arbitrary: fc.constantFrom('{"email": [', 'null', '[]', '"text"', '', 'x'.repeat(50)).map((t) => ({ kind: 'raw' as const, value: t })) },
              // Anything at all, and known fields beside an unknown one.
              { weight: 1, arbitrary: jsonValue.map((v) => ({ kind: 'json' as const, value: v })) },
              { weight: 1, arbitrary: fc.tuple(fc.record(shape.body, { requiredKeys: [] }), fc.string({ minLength: 1, maxLength: 8 }), jsonValue).map(([b, k, v]) => ({ kind: 'json' as const, value: { ...b, [k]: v } })) },
            )
          : fc.constant(undefined);
        const typeArb = fc.oneof({ weight: 6, arbitrary: fc.constant('application/json') }, { weight: 1, arbitrary: fc.constantFrom('text/plain', 'application/xml', 'application/json; charset=utf-8') });
        await fc.assert(
          fc.asyncProperty(slot(shape.params[0] ?? 'ids'), queryArb, bodyArb, typeArb, auth, async (id, query, body, type, who) => {
            const target = resolve(id);
            const filled = shape.path.replace(/\{\w+\}/, () => encodeURIComponent(target));
            const search = new URLSearchParams();
            for (const [k, v] of Object.entries(query)) if (v !== undefined) search.append(k, resolve(v as string | RealRef));
            const headers = headersFor(who);
            let payload: string | undefined;
            if (body) {
              headers['content-type'] = type;
              payload = body.kind === 'json' ? JSON.stringify(materialize(body.value)) : (body.value as string);
            }
            const qs = search.toString();
            const status = await send(dialect, shape.method, `${filled}${qs ? `?${qs}` : ''}`, headers, payload);
            if (shape.method === 'DELETE' && status < 300) {
              // A deleted user leaves the pools, and a new one takes its place.
              const at = shape.params[0] === 'ids' ? real.ids.indexOf(target) : real.numericIds.indexOf(Number(target));
              if (at >= 0) for (const list of [real.ids, real.numericIds, real.externalIds]) list.splice(at, 1);
              await makeUser();
            }
          }),
          { numRuns: runs(shape.method === 'GET' ? 200 : 150) },
        );
      }, 120_000);
    }

    it(`${dialect.name}: unserved methods, paths and malformed escapes answer in its envelope`, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom('GET', 'PUT', 'POST', 'PATCH', 'DELETE', 'OPTIONS'),
          fc.constantFrom('/', '/nope', '/users/%', '/users/%E2%82', '/users/%zz', '/tenants', '/tenants/x', '/users/1/extra', `/users/${'9'.repeat(40)}`),
          async (method, path) => {
            const served = dialect.shapes.some((s) => s.method === method && new RegExp(`^${s.path.replace(/\{\w+\}/g, '[^/]+')}$`).test(path));
            fc.pre(!served);
            await send(dialect, method, path, headersFor('valid'));
          },
        ),
        { numRuns: runs(40) },
      );
    });
  }
});
