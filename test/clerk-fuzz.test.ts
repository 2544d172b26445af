/**
 * Property-based fuzzing of every route of the Clerk dialect (/v1) on a real listening server.
 *
 * For each backend, random requests (path ids, query strings, bodies, content types, auth
 * headers) go to each route, and every response must be:
 *  - below 500, and not a redirect;
 *  - `application/json` exactly (or a 204 with no body, where the spec has one);
 *  - a well-formed Clerk error (`{errors: [{message, long_message, code}]}`, non-empty strings)
 *    when it is 4xx;
 *  - valid against the Clerk Backend API spec for that operation and status.
 *
 * Generated values refer to real users and identifiers through {@link PoolRef}s, resolved when a
 * request is sent, so a fraction of requests hit real rows and reach the database.
 *
 * The routes are the ones the server documents in its own /v1/openapi.json, so a new route is
 * fuzzed from its documented schemas as soon as it exists; TUNED adds hand-written generators
 * for the routes that need them. Routes the official SDK calls but the published spec does not
 * list are fuzzed too; a tuned one's 2xx bodies are checked against a component schema of the
 * spec (User, EmailAddress, ...), an untuned one's only for being JSON.
 * FUZZ_SCALE multiplies the runs per route (default 1); FUZZ_ONLY=<regex> fuzzes only the matching
 * routes (e.g. 'POST /users$'); FUZZ_STATS=1 prints the status codes seen.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, type TestServer, startServer } from './helpers/backends.ts';
import { assertJsonContentType, assertMatchesSchema, assertMatchesSpec, findOperation } from './helpers/clerk-spec.ts';

const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
const runs = (n: number) => Math.max(5, Math.round(n * SCALE));
const KNOWN_PASSWORD = 'Corr3ct-Latch!key';
/** Per route, generation and shrinking together; FUZZ_SCALE stretches it with the runs. */
const ROUTE_TIME_LIMIT_MS = 20_000 * Math.max(1, SCALE);

// ---------------------------------------------------------------------------------------------
// References to real rows, resolved when a request is sent.

type PoolKind = 'user' | 'email' | 'phone' | 'web3' | 'organization' | 'slug' | 'anyId' | 'emailValue' | 'phoneValue' | 'username' | 'externalId';
type Transform = 'none' | 'plus' | 'minus' | 'upper' | 'suffix' | 'spaced';

class PoolRef {
  readonly kind: PoolKind;
  readonly index: number;
  readonly transform: Transform;
  constructor(kind: PoolKind, index: number, transform: Transform = 'none') {
    this.kind = kind;
    this.index = index;
    this.transform = transform;
  }
  [fc.toStringMethod](): string {
    return `ref(${this.kind}#${this.index}${this.transform === 'none' ? '' : `,${this.transform}`})`;
  }
}

class Pool {
  readonly lists: Record<PoolKind, string[]> = {
    user: [],
    email: [],
    phone: [],
    web3: [],
    organization: [],
    slug: [],
    anyId: [],
    emailValue: [],
    phoneValue: [],
    username: [],
    externalId: [],
  };

  add(kind: PoolKind, value: unknown): void {
    if (typeof value !== 'string' || value === '') return;
    const list = this.lists[kind];
    const at = list.indexOf(value);
    if (at >= 0) list.splice(at, 1);
    list.push(value);
    if (list.length > 40) list.shift();
  }

  remove(kind: PoolKind, value: unknown): void {
    const list = this.lists[kind];
    const at = list.indexOf(value as string);
    if (at >= 0) list.splice(at, 1);
  }

  resolve(ref: PoolRef): string {
    const list = this.lists[ref.kind];
    const base = list.length ? list[ref.index % list.length] : `missing_${ref.kind}`;
    switch (ref.transform) {
      case 'plus':
        return `+${base}`;
      case 'minus':
        return `-${base}`;
      case 'upper':
        return base.toUpperCase();
      case 'suffix':
        return `${base}x`;
      case 'spaced':
        return ` ${base} `;
      default:
        return base;
    }
  }

  /** Deep-copies a generated value, replacing every PoolRef by what it points at now. */
  materialize(value: unknown): unknown {
    if (value instanceof PoolRef) return this.resolve(value);
    if (Array.isArray(value)) return value.map((v) => this.materialize(v));
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        // defineProperty keeps keys such as "__proto__" as data, so they reach the server.
        Object.defineProperty(out, k, { value: this.materialize(v), enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    return value;
  }

  /** Learns ids and values from a successful response. */
  learn(body: unknown): void {
    if (Array.isArray(body)) {
      for (const b of body) this.learn(b);
      return;
    }
    if (!body || typeof body !== 'object') return;
    const b = body as Record<string, any>;
    if (b.deleted === true) {
      const kinds: Record<string, PoolKind> = { user: 'user', email_address: 'email', phone_number: 'phone', web3_wallet: 'web3', organization: 'organization' };
      const kind = kinds[b.object as string];
      if (kind) this.remove(kind, b.id);
      this.remove('anyId', b.id);
      return;
    }
    // Whatever else answers: ids and slugs of any object, and the items of `{data: [...]}` lists.
    this.add('anyId', b.id);
    this.add('slug', b.slug);
    if (Array.isArray(b.data)) this.learn(b.data);
    if (b.object === 'organization') this.add('organization', b.id);
    if (b.object === 'user') {
      this.add('user', b.id);
      this.add('username', b.username);
      this.add('externalId', b.external_id);
      for (const e of b.email_addresses ?? []) this.learn(e);
      for (const p of b.phone_numbers ?? []) this.learn(p);
      for (const w of b.web3_wallets ?? []) this.learn(w);
    } else if (b.object === 'web3_wallet') {
      this.add('web3', b.id);
    } else if (b.object === 'email_address') {
      this.add('email', b.id);
      this.add('emailValue', b.email_address);
    } else if (b.object === 'phone_number') {
      this.add('phone', b.id);
      this.add('phoneValue', b.phone_number);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Value generators.

const SPECIAL_STRINGS = [
  '', ' ', '\u0000', 'a\u0000b', '\ud800', 'x\udfff', '\u{1F600}', 'İ', 'ß', 'ﬀ', '\u202e', '\u200b', 'ǅ', 'K',
  '%', '_', '%_\\', '\\', "'", '"', '<script>', 'null', 'true', '0', '-1', "'; DROP TABLE users; --", '\n', '\t\r',
];

const weirdString = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 15 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 15 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 15 }) },
  { weight: 2, arbitrary: fc.constantFrom(...SPECIAL_STRINGS) },
  { weight: 1, arbitrary: fc.string({ minLength: 250, maxLength: 400 }) },
);

const HUGE_STRINGS = ['x'.repeat(5000), 'é'.repeat(3000), '\u{1F600}'.repeat(2000), 'y'.repeat(200_000)];

function deepNest(depth: number): unknown {
  let v: unknown = 'leaf';
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { a: v };
  return v;
}

/** Anything at all: wrong types, huge strings, deep nesting. */
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 2, arbitrary: fc.constantFrom<unknown>(null, true, false, 0, -1, 1.5, 1e308, -1e308, Number.MAX_SAFE_INTEGER, 2 ** 63, [], {}, [null], ['a'], { a: null }, '') },
  { weight: 2, arbitrary: weirdString },
  { weight: 1, arbitrary: fc.constantFrom(...HUGE_STRINGS) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 400 }).map(deepNest) },
);

// Strings JSON allows but databases may not: NUL, lone surrogates.
const TRICKY_TEXT = ['\u0000', 'a\u0000b', '\ud800', 'x\udfff'];
const metaKey = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 10 }) },
  { weight: 1, arbitrary: weirdString },
  { weight: 1, arbitrary: fc.constantFrom('', 'a.b', '$where', 'constructor', 'toString', ...TRICKY_TEXT) },
);
const metaValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.constantFrom(...TRICKY_TEXT) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 2, stringUnit: 'binary' }) },
  { weight: 1, arbitrary: weirdString },
  { weight: 1, arbitrary: fc.constant(null) },
);
/** Clerk metadata: objects of any keys, sometimes right at the 8 KB limit or deeply nested. */
const metadata: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: fc.dictionary(metaKey, metaValue, { maxKeys: 5 }) },
  { weight: 1, arbitrary: fc.constant({}) },
  { weight: 1, arbitrary: fc.integer({ min: 8100, max: 8250 }).map((n) => ({ blob: 'x'.repeat(n) })) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 1500 }).map((n) => ({ deep: deepNest(n) })) },
);

const ref = (kind: PoolKind, transforms: Transform[] = ['none']) =>
  fc.tuple(fc.nat(), fc.constantFrom(...transforms)).map(([i, t]) => new PoolRef(kind, i, t));

const VALID_PHONES = ['+14155552671', '+447911123456', '+33612345678', '+4915112345678', '+61412345678', '+818012345678', '14155550123', '+1 (415) 555-1234'];
const hex40 = fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF'), minLength: 40, maxLength: 40 });

const emailish = fc.oneof(
  { weight: 4, arbitrary: fc.emailAddress() },
  { weight: 2, arbitrary: ref('emailValue', ['none', 'upper', 'spaced']) },
  { weight: 2, arbitrary: weirdString },
  { weight: 1, arbitrary: fc.tuple(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }), fc.constantFrom('example.com', 'exämple.org', 'x.y')).map(([l, d]) => `${l}@${d}`) },
);
const phoneish = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...VALID_PHONES) },
  { weight: 2, arbitrary: ref('phoneValue', ['none', 'spaced', 'suffix']) },
  { weight: 2, arbitrary: fc.stringMatching(/^\+?[0-9 ()-]{1,24}$/) },
  { weight: 1, arbitrary: weirdString },
);
const web3ish = fc.oneof({ weight: 3, arbitrary: hex40.map((h) => `0x${h}`) }, { weight: 1, arbitrary: weirdString });
const usernameish = fc.oneof(
  { weight: 3, arbitrary: fc.stringMatching(/^[A-Za-z0-9_.-]{3,64}$/) },
  { weight: 1, arbitrary: ref('username', ['none', 'upper']) },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: weirdString },
);
const nullableText = fc.oneof(
  { weight: 3, arbitrary: weirdString },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.string({ minLength: 250, maxLength: 1100 }) },
);
const externalIdish = fc.oneof({ weight: 3, arbitrary: nullableText }, { weight: 1, arbitrary: ref('externalId') });
const passwordish = fc.oneof(
  { weight: 2, arbitrary: fc.constant(KNOWN_PASSWORD) },
  { weight: 3, arbitrary: fc.string({ minLength: 8, maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 4, maxLength: 20 }) },
  { weight: 1, arbitrary: fc.constantFrom('password123', 'short', '', 'ﬀﬀﬀﬀﬀﬀﬀﬀ', 'x'.repeat(1025), 'é'.repeat(1100), '\u0000'.repeat(9)) },
  { weight: 1, arbitrary: fc.constant(null) },
);
const digestish = fc.oneof(
  fc.constantFrom(
    '5f4dcc3b5aa765d61d8327deb882cf99',
    '$2b$04$abcdefghijklmnopqrstuu3zJqI7q6bY3r8Mqz1m5iFvH0a2XoS9e',
    'pbkdf2_sha256$1000$c2FsdHNhbHQ=$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXoxMjM0NTY=',
    '$argon2id$v=19$m=1024,t=1,p=1$c29tZXNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA',
  ),
  fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 32, maxLength: 64 }),
  weirdString,
);
const hasherish = fc.oneof(
  fc.constantFrom('bcrypt', 'md5', 'sha256', 'pbkdf2_sha256', 'pbkdf2_sha256_django', 'pbkdf2_sha1', 'scrypt_firebase', 'argon2i', 'argon2id'),
  weirdString,
);
const timestampish = fc.oneof(
  { weight: 2, arbitrary: fc.date({ min: new Date(-8.64e15), max: new Date(8.64e15), noInvalidDate: true }).map((d) => d.toISOString()) },
  { weight: 2, arbitrary: fc.date({ min: new Date('1960-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString()) },
  { weight: 1, arbitrary: fc.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?$/) },
  { weight: 1, arbitrary: fc.constantFrom('1970-01-01T00:00:00+14:00', '9999-12-31T23:59:59-14:00', '2020-02-30T00:00', '0000-01-01T00:00:00Z', '2024-13-45T99:99') },
  { weight: 1, arbitrary: weirdString },
);
const boolish = fc.oneof({ weight: 3, arbitrary: fc.boolean() }, { weight: 1, arbitrary: fc.constant(null) });
const stringList = (item: fc.Arbitrary<unknown>) =>
  fc.oneof({ weight: 5, arbitrary: fc.array(item, { maxLength: 3 }) }, { weight: 1, arbitrary: item }, { weight: 1, arbitrary: fc.array(item, { minLength: 99, maxLength: 102 }) });
const identifierIdish = (kind: 'email' | 'phone') =>
  fc.oneof({ weight: 3, arbitrary: ref(kind) }, { weight: 1, arbitrary: ref(kind === 'email' ? 'phone' : 'email') }, { weight: 1, arbitrary: ref('user') }, { weight: 1, arbitrary: weirdString });

// ---------------------------------------------------------------------------------------------
// Query strings.

type QueryValue = string | PoolRef;

const numberish = fc.oneof(
  fc.integer({ min: -5, max: 600 }).map(String),
  fc.constantFrom('-1', '0', '1', '500', '501', '2147483647', '2147483648', '9999999999999999999999', '1e3', '1e309', '1.5', '-0', '0x10', 'NaN', 'Infinity', '', ' 5', '+5', '٣'),
);
const filterValue = (item: fc.Arbitrary<QueryValue>) => fc.oneof({ weight: 3, arbitrary: item }, { weight: 1, arbitrary: weirdString }, { weight: 1, arbitrary: numberish });

const FILTER_QUERY: Record<string, fc.Arbitrary<QueryValue>> = {
  email_address: filterValue(fc.oneof(ref('emailValue', ['none', 'upper']), fc.emailAddress())),
  phone_number: filterValue(fc.oneof(ref('phoneValue'), fc.constantFrom(...VALID_PHONES))),
  external_id: filterValue(ref('externalId', ['none', 'plus', 'minus'])),
  username: filterValue(ref('username', ['none', 'upper'])),
  web3_wallet: filterValue(hex40.map((h) => `0x${h}`)),
  user_id: filterValue(ref('user', ['none', 'plus', 'minus'])),
  organization_id: filterValue(fc.oneof(ref('organization', ['none', 'plus', 'minus']), fc.constantFrom('org_1', '-org_1', '+org_2'))),
  query: filterValue(fc.oneof(ref('emailValue'), ref('username'), fc.string({ maxLength: 6 }), fc.constantFrom('%', '_', '\\', 'example', 'USER_'))),
};
const PAGE_QUERY: Record<string, fc.Arbitrary<QueryValue>> = { limit: numberish, offset: numberish };
const LIST_QUERY: Record<string, fc.Arbitrary<QueryValue>> = {
  ...FILTER_QUERY,
  ...PAGE_QUERY,
  order_by: fc.oneof(fc.constantFrom('created_at', '-created_at', '+created_at', 'updated_at', '-updated_at', '+updated_at', 'id', '--created_at', 'created_at;', ''), weirdString),
};

function queryArb(known: Record<string, fc.Arbitrary<QueryValue>>): fc.Arbitrary<Array<[string, QueryValue]>> {
  const names = Object.keys(known);
  const knownPair = names.length
    ? fc.constantFrom(...names).chain((k) => fc.tuple(fc.constant(k), fc.oneof({ weight: 4, arbitrary: known[k] }, { weight: 1, arbitrary: weirdString })))
    : fc.tuple(fc.constant('limit'), numberish);
  const randomPair = fc.tuple(fc.oneof(fc.string({ maxLength: 12 }), weirdString, fc.constantFrom('limit[]', 'user_id[0]', '__proto__', 'constructor')), weirdString);
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant([] as Array<[string, QueryValue]>) },
    { weight: names.length ? 6 : 1, arbitrary: fc.array(knownPair, { minLength: 1, maxLength: 6 }) },
    { weight: 1, arbitrary: fc.array(fc.oneof(knownPair, randomPair), { minLength: 1, maxLength: 6 }) },
  );
}

// ---------------------------------------------------------------------------------------------
// Bodies.

interface MultipartPart {
  name: string;
  value?: string;
  file?: { bytes: Uint8Array; type: string; filename: string };
}

type BodySpec =
  | { kind: 'none' }
  | { kind: 'json'; value: unknown; contentType: string }
  | { kind: 'raw'; text: string; contentType: string }
  | { kind: 'multipart'; parts: MultipartPart[] };

const RAW_NOT_JSON = [
  '{', '{"a":', 'nul', '[1,]', "{'a':1}", '{"a":1}}', '\u0000', 'NaN', '{"a":NaN}', '{"a":1e999}', 'undefined', '\ufeff{}', '{"a":"\\ud800"}',
  '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{"x":1}}}', '{"email_address":["a@b.co"],"email_address":["c@d.co"]}',
  `${'['.repeat(300_000)}${']'.repeat(300_000)}`, `{"a":"${'z'.repeat(1_100_000)}"}`,
];
const OTHER_CONTENT_TYPES = [
  'application/json; charset=utf-8', 'APPLICATION/JSON', 'application/json; charset=latin1', 'application/json;charset=utf-16',
  'text/plain', 'application/x-www-form-urlencoded', 'application/vnd.api+json', 'multipart/form-data; boundary=x', 'application/jsonx',
];

const PNG_1X1 = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');
const GIF_1X1 = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');
const fileBytes: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom<Uint8Array>(PNG_1X1, GIF_1X1) },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 300 }) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((tail) => Buffer.concat([PNG_1X1.subarray(0, 16), tail])) },
  {
    weight: 1,
    arbitrary: fc.constantFrom<Uint8Array>(
      Buffer.alloc(0),
      Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
      Buffer.from('%PDF-1.4\n'),
      Buffer.concat([PNG_1X1, Buffer.alloc(1024 * 1024)]),
    ),
  },
);
const multipartBody: fc.Arbitrary<BodySpec> = fc
  .array(
    fc.oneof(
      { weight: 4, arbitrary: fc.record({ name: fc.constantFrom('file', 'file', 'image', ''), file: fc.record({ bytes: fileBytes, type: fc.constantFrom('image/png', 'image/gif', 'text/plain', 'application/octet-stream', ''), filename: fc.oneof(fc.constantFrom('a.png', 'x.svg', ''), weirdString) }) }) },
      { weight: 1, arbitrary: fc.record({ name: fc.oneof(fc.constantFrom('file', 'user_id'), weirdString), value: weirdString }) },
    ),
    { minLength: 0, maxLength: 7 },
  )
  .map((parts): BodySpec => ({ kind: 'multipart', parts }));

function bodyArb(
  fields: Record<string, fc.Arbitrary<unknown>>,
  weights: { none: number; fields: number; multipart?: number },
  plausible?: fc.Arbitrary<Record<string, unknown>>,
): fc.Arbitrary<BodySpec> {
  const names = Object.keys(fields);
  const fieldValue = (k: string) => fc.oneof({ weight: 8, arbitrary: fields[k] }, { weight: 1, arbitrary: anyValue });
  const mostlyValid = names.length
    ? fc.record(Object.fromEntries(names.map((k) => [k, fieldValue(k)])), { requiredKeys: [] })
    : fc.constant({} as Record<string, unknown>);
  const randomKey = fc.oneof(fc.constantFrom(...(names.length ? names : ['x'])), fc.string({ maxLength: 12 }), fc.constantFrom('__proto__', 'constructor', 'toString', '', 'object', 'id'));
  const withExtras = fc.tuple(mostlyValid, fc.dictionary(randomKey, anyValue, { maxKeys: 3 })).map(([a, b]) => ({ ...b, ...a }));
  const json = (value: fc.Arbitrary<unknown>) => value.map((v): BodySpec => ({ kind: 'json', value: v, contentType: 'application/json' }));
  return fc.oneof(
    { weight: weights.none, arbitrary: fc.constant<BodySpec>({ kind: 'none' }) },
    { weight: 1, arbitrary: fc.constant<BodySpec>({ kind: 'raw', text: '', contentType: 'application/json' }) },
    { weight: weights.fields, arbitrary: json(mostlyValid) },
    { weight: 2, arbitrary: json(withExtras) },
    { weight: 2, arbitrary: json(fc.jsonValue({ maxDepth: 3 })) },
    { weight: 1, arbitrary: json(fc.dictionary(randomKey, anyValue, { maxKeys: 4 })) },
    { weight: 1, arbitrary: fc.oneof(fc.constantFrom(...RAW_NOT_JSON), fc.string({ maxLength: 40 })).map((text): BodySpec => ({ kind: 'raw', text, contentType: 'application/json' })) },
    {
      weight: 1,
      arbitrary: fc.tuple(mostlyValid, fc.constantFrom(...OTHER_CONTENT_TYPES)).map(([v, contentType]): BodySpec => ({ kind: 'json', value: v, contentType })),
    },
    { weight: weights.multipart ?? 1, arbitrary: multipartBody },
    { weight: plausible ? 8 : 0, arbitrary: json(plausible ?? fc.constant({})) },
  );
}

// ---------------------------------------------------------------------------------------------
// Routes: every route the Clerk dialect registers.

type ParamKind = 'user' | 'email' | 'phone' | 'web3' | 'organization' | 'slug' | 'provider' | 'other' | { enum: string[] };
type OffSpec = { schema: string } | { as: { method: string; path: string } };
type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/** What the fuzzer knows of a route beyond what the server documents. */
interface Tuning {
  /** Path parameters, in order; by default guessed from their names. */
  params?: ParamKind[];
  /**
   * For routes the official SDK calls but the published spec does not list: what a 2xx body must
   * match instead, a component schema of the spec or the response of a sibling operation.
   */
  offSpec?: OffSpec;
  /** Query parameters, over those derived from the documented schema. */
  query?: Record<string, fc.Arbitrary<QueryValue>>;
  /** Body fields, instead of those derived from the documented schema. */
  body?: Record<string, fc.Arbitrary<unknown>>;
  /** Bodies that should mostly succeed, so fuzzed values reach the database and the mappers. */
  plausible?: fc.Arbitrary<Record<string, unknown>>;
  /** Mostly multipart bodies (file uploads). */
  multipart?: boolean;
  /** Runs per backend before FUZZ_SCALE: more where bodies and queries have more to explore. */
  runs?: number;
}

interface Route {
  method: Method;
  /** Clerk-style path template; each `{...}` is filled from `params`, in order. */
  path: string;
  params: ParamKind[];
  offSpec?: OffSpec;
  /** In the Clerk spec: responses are checked against its operation. */
  inSpec: boolean;
  /** Hand-tuned below, rather than fuzzed from the documented schema alone. */
  tuned: boolean;
  query: Record<string, fc.Arbitrary<QueryValue>>;
  body?: Record<string, fc.Arbitrary<unknown>>;
  plausible?: fc.Arbitrary<Record<string, unknown>>;
  multipart: boolean;
  runs: number;
}

const METADATA_FIELDS = { public_metadata: metadata, private_metadata: metadata, unsafe_metadata: metadata };
const CREATE_USER = {
  external_id: externalIdish,
  first_name: nullableText,
  last_name: nullableText,
  email_address: stringList(emailish),
  phone_number: stringList(phoneish),
  web3_wallet: stringList(web3ish),
  username: usernameish,
  password: passwordish,
  password_digest: digestish,
  password_hasher: hasherish,
  skip_password_checks: fc.boolean(),
  skip_password_requirement: fc.boolean(),
  ...METADATA_FIELDS,
  created_at: timestampish,
};
const UPDATE_USER = {
  external_id: externalIdish,
  first_name: nullableText,
  last_name: nullableText,
  primary_email_address_id: identifierIdish('email'),
  primary_phone_number_id: identifierIdish('phone'),
  primary_web3_wallet_id: fc.oneof(ref('web3'), weirdString, ref('email')),
  username: usernameish,
  password: passwordish,
  skip_password_checks: fc.boolean(),
  ...METADATA_FIELDS,
  created_at: timestampish,
};
// Valid by the server's rules, yet still odd: unicode names, metadata with any JSON, old dates.
const someText = fc.oneof(fc.string({ minLength: 1, maxLength: 30 }), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }), weirdString);
const freshEmail = fc.tuple(fc.stringMatching(/^[a-z][a-z0-9._+-]{0,15}$/), fc.nat(), fc.constantFrom('example.com', 'exämple.org', 'sub.example.co')).map(([l, n, d]) => `${l}.${n}@${d}`);
const strongPassword = fc.string({ minLength: 2, maxLength: 30 }).map((x) => `Zq9!${x}#Lk`);
const smallMetadata = fc.dictionary(fc.string({ maxLength: 8 }), metaValue, { maxKeys: 3 });
const plausibleDate = fc.date({ min: new Date('1970-01-02'), max: new Date('9999-12-30'), noInvalidDate: true }).map((d) => d.toISOString());
const PLAUSIBLE_USER_FIELDS = {
  first_name: someText,
  last_name: someText,
  username: fc.stringMatching(/^[a-z][a-z0-9_.-]{5,30}$/),
  external_id: fc.uuid(),
  password: strongPassword,
  public_metadata: smallMetadata,
  private_metadata: smallMetadata,
  unsafe_metadata: smallMetadata,
  created_at: plausibleDate,
};
const plausibleCreate = fc.record(
  { email_address: fc.array(freshEmail, { minLength: 1, maxLength: 2 }), web3_wallet: hex40.map((h) => [`0x${h}`]), ...PLAUSIBLE_USER_FIELDS },
  { requiredKeys: ['email_address'] },
);
const plausibleUpdate = fc.record(
  { ...PLAUSIBLE_USER_FIELDS, primary_email_address_id: ref('email'), primary_phone_number_id: ref('phone'), skip_password_checks: fc.boolean() },
  { requiredKeys: [] },
);
const totpCodeish = fc.oneof(
  { weight: 3, arbitrary: fc.stringMatching(/^[0-9]{6}$/) },
  { weight: 1, arbitrary: fc.stringMatching(/^[a-z0-9]{8,12}$/) },
  { weight: 1, arbitrary: fc.constantFrom('000000', '123456', ' 123456 ', '12345', '1234567', '') },
  { weight: 1, arbitrary: weirdString },
);
const userIdish = fc.oneof({ weight: 4, arbitrary: ref('user') }, { weight: 1, arbitrary: ref('email') }, { weight: 1, arbitrary: weirdString });
const INVITATION_QUERY = { ...PAGE_QUERY, status: fc.oneof(fc.constantFrom('pending', 'accepted', 'revoked', 'expired', 'null', ''), weirdString) };

/**
 * Hand-tuned routes, keyed by method and Clerk-style path. Every other route the server
 * documents is fuzzed from its documented schemas alone.
 */
const TUNED: Record<string, Tuning> = {
  'GET /users': { params: [], query: LIST_QUERY, runs: 100 },
  'POST /users': { params: [], body: CREATE_USER, plausible: plausibleCreate, runs: 100 },
  'GET /users/count': { params: [], query: FILTER_QUERY, runs: 70 },
  'GET /users/{user_id}': { params: ['user'], runs: 35 },
  'PATCH /users/{user_id}': { params: ['user'], body: UPDATE_USER, plausible: plausibleUpdate, runs: 100 },
  'DELETE /users/{user_id}': { params: ['user'], runs: 30 },
  'POST /users/{user_id}/ban': { params: ['user'], runs: 30 },
  'POST /users/{user_id}/unban': { params: ['user'], runs: 30 },
  'PATCH /users/{user_id}/metadata': { params: ['user'], body: METADATA_FIELDS, runs: 100 },
  'POST /users/{user_id}/verify_password': { params: ['user'], body: { password: passwordish }, plausible: fc.constant({ password: KNOWN_PASSWORD }), runs: 50 },
  'GET /users/{user_id}/organization_memberships': { params: ['user'], query: PAGE_QUERY, runs: 35 },
  'GET /users/{user_id}/oauth_access_tokens/{provider}': { params: ['user', 'provider'], runs: 30 },
  'POST /users/{user_id}/verify_totp': { params: ['user'], body: { code: totpCodeish }, runs: 40 },
  'DELETE /users/{user_id}/mfa': { params: ['user'], runs: 25 },
  'POST /email_addresses': {
    params: [],
    body: { user_id: userIdish, email_address: emailish, verified: boolish, primary: boolish },
    plausible: fc.record({ user_id: ref('user'), email_address: freshEmail, verified: boolish, primary: boolish }, { requiredKeys: ['user_id', 'email_address'] }),
    runs: 70,
  },
  'GET /email_addresses/{email_address_id}': { params: ['email'], runs: 30 },
  'PATCH /email_addresses/{email_address_id}': { params: ['email'], body: { verified: boolish, primary: boolish }, runs: 50 },
  'DELETE /email_addresses/{email_address_id}': { params: ['email'], runs: 30 },
  'POST /phone_numbers': {
    params: [],
    body: { user_id: userIdish, phone_number: phoneish, verified: boolish, primary: boolish },
    plausible: fc.record({ user_id: ref('user'), phone_number: fc.integer({ min: 1000, max: 9999 }).map((n) => `+1415557${n}`), verified: boolish, primary: boolish }, { requiredKeys: ['user_id', 'phone_number'] }),
    runs: 70,
  },
  'GET /phone_numbers/{phone_number_id}': { params: ['phone'], runs: 30 },
  'PATCH /phone_numbers/{phone_number_id}': { params: ['phone'], body: { verified: boolish, primary: boolish }, runs: 50 },
  'DELETE /phone_numbers/{phone_number_id}': { params: ['phone'], runs: 30 },
  // Called by the official SDK, absent from the published spec.
  'PUT /users/{user_id}/metadata': { params: ['user'], body: METADATA_FIELDS, offSpec: { schema: 'User' }, runs: 50 },
  'POST /users/{user_id}/remove_password': { params: ['user'], body: { sign_out_of_other_sessions: boolish }, offSpec: { schema: 'User' }, runs: 30 },
  'POST /users/{user_id}/password/set_compromised': { params: ['user'], body: { revoke_all_sessions: boolish }, offSpec: { schema: 'User' }, runs: 30 },
  'POST /users/{user_id}/password/unset_compromised': { params: ['user'], offSpec: { schema: 'User' }, runs: 30 },
  'PUT /users/{user_id}/email_address': { params: ['user'], body: { email_address: emailish }, plausible: fc.record({ email_address: freshEmail }), offSpec: { schema: 'EmailAddress' }, runs: 40 },
  'PUT /users/{user_id}/phone_number': {
    params: ['user'],
    body: { phone_number: phoneish },
    plausible: fc.record({ phone_number: fc.integer({ min: 1000, max: 9999 }).map((n) => `+1415558${n}`) }),
    offSpec: { schema: 'PhoneNumber' },
    runs: 40,
  },
  'DELETE /users/{user_id}/web3_wallets/{web3_wallet_identification_id}': { params: ['user', 'web3'], offSpec: { schema: 'DeletedObject' }, runs: 30 },
  'DELETE /users/{user_id}/passkeys/{passkey_identification_id}': { params: ['user', 'other'], offSpec: { schema: 'DeletedObject' }, runs: 25 },
  'DELETE /users/{user_id}/external_accounts/{external_account_id}': { params: ['user', 'other'], offSpec: { schema: 'DeletedObject' }, runs: 25 },
  'GET /users/{user_id}/organization_invitations': { params: ['user'], query: INVITATION_QUERY, offSpec: { schema: 'OrganizationInvitations' }, runs: 35 },
  'POST /users/{user_id}/profile_image': { params: ['user'], multipart: true, offSpec: { schema: 'User' }, runs: 50 },
  'DELETE /users/{user_id}/profile_image': { params: ['user'], offSpec: { schema: 'User' }, runs: 30 },
  'POST /users/{user_id}/lock': { params: ['user'], offSpec: { schema: 'User' }, runs: 30 },
  'POST /users/{user_id}/unlock': { params: ['user'], offSpec: { schema: 'User' }, runs: 30 },
  'DELETE /users/{user_id}/totp': { params: ['user'], offSpec: { as: { method: 'delete', path: '/users/{user_id}/mfa' } }, runs: 25 },
  'DELETE /users/{user_id}/backup_code': { params: ['user'], offSpec: { as: { method: 'delete', path: '/users/{user_id}/mfa' } }, runs: 25 },
  'GET /instance/organization_settings': { params: [], offSpec: { schema: 'OrganizationSettings' }, runs: 10 },
  'GET /organizations/{organization_id}/invitations': { params: ['organization'], query: { ...PAGE_QUERY, status: INVITATION_QUERY.status }, offSpec: { schema: 'OrganizationInvitations' }, runs: 40 },
  'POST /organizations/{organization_id}/invitations/bulk': { params: ['organization'], offSpec: { schema: 'OrganizationInvitations' }, runs: 30 },
  'GET /organizations/{organization_id}/invitations/{invitation_id}': { params: ['organization', 'other'], offSpec: { schema: 'OrganizationInvitation' }, runs: 30 },
  'DELETE /invitations/{invitation_id}': { params: ['other'], offSpec: { schema: 'DeletedObject' }, runs: 30 },
  'GET /sign_ups/{id}': { params: ['other'], offSpec: { schema: 'SignUp' }, runs: 20 },
  'POST /beta_features/change_domain': { params: [], offSpec: { as: { method: 'put', path: '/beta_features/domain' } }, runs: 20 },
};

/** `POST /users/{}`: the same for any spelling of the parameters. */
const routeKey = (method: string, path: string) => `${method.toUpperCase()} ${path.replace(/\{[^}]*\}/g, '{}')}`;
const TUNED_BY_KEY = new Map(Object.entries(TUNED).map(([k, t]) => [routeKey(k.split(' ')[0], k.split(' ')[1]), { path: k.split(' ')[1], tuning: t }]));

// -- Values derived from a documented JSON schema, for routes and fields nobody tuned by hand.

/** Fields whose meaning is known by name, wherever they appear. */
const FIELDS_BY_NAME: Record<string, fc.Arbitrary<unknown>> = {
  user_id: userIdish,
  email_address_id: identifierIdish('email'),
  phone_number_id: identifierIdish('phone'),
  organization_id: fc.oneof({ weight: 3, arbitrary: ref('organization') }, { weight: 1, arbitrary: weirdString }),
  public_metadata: metadata,
  private_metadata: metadata,
  unsafe_metadata: metadata,
  email_address: emailish,
  phone_number: phoneish,
  password: passwordish,
  created_at: timestampish,
};

type JsonSchema = Record<string, any>;

function stringFromSchema(schema: JsonSchema): fc.Arbitrary<string> {
  const options: fc.Arbitrary<string>[] = [weirdString];
  if (typeof schema.pattern === 'string') {
    try {
      options.push(fc.stringMatching(new RegExp(schema.pattern)), fc.stringMatching(new RegExp(schema.pattern)));
    } catch {
      // A pattern fast-check cannot generate from: random strings only.
    }
  }
  const max = schema.maxLength;
  if (typeof max === 'number' && max <= 4096) options.push(fc.integer({ min: Math.max(0, max - 1), max: max + 1 }).map((n) => 'x'.repeat(n)));
  if (typeof schema.minLength === 'number') options.push(fc.constant(''));
  return fc.oneof(...options);
}

/** Mostly valid values for `schema`, with boundary and wrong ones mixed in. */
function fromSchema(schema: JsonSchema | undefined, name = '', depth = 0): fc.Arbitrary<unknown> {
  if (FIELDS_BY_NAME[name]) return FIELDS_BY_NAME[name];
  if (!schema || typeof schema !== 'object' || depth > 3) return anyValue;
  if (Array.isArray(schema.enum)) return fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...schema.enum) }, { weight: 1, arbitrary: weirdString });
  const types: string[] = ([] as string[]).concat(schema.type ?? []);
  const options: fc.Arbitrary<unknown>[] = [];
  if (schema.nullable === true || types.includes('null')) options.push(fc.constant(null));
  for (const t of types) {
    if (t === 'string') options.push(stringFromSchema(schema));
    else if (t === 'boolean') options.push(fc.boolean());
    else if (t === 'integer' || t === 'number') {
      const edges = [schema.minimum, schema.maximum, schema.minimum - 1, schema.maximum + 1].filter((n) => Number.isFinite(n));
      options.push(fc.integer({ min: -5, max: 1000 }), ...(edges.length ? [fc.constantFrom(...edges)] : []), ...(t === 'number' ? [fc.double({ noNaN: true })] : []));
    } else if (t === 'object') {
      const props = Object.entries((schema.properties ?? {}) as Record<string, JsonSchema>);
      options.push(props.length ? fc.record(Object.fromEntries(props.map(([k, v]) => [k, fromSchema(v, k, depth + 1)])), { requiredKeys: [] }) : metadata);
    } else if (t === 'array') options.push(fc.array(fromSchema(schema.items, '', depth + 1), { maxLength: 3 }));
  }
  return options.length ? fc.oneof(...options) : anyValue;
}

const asQueryValue = (v: unknown): QueryValue =>
  v instanceof PoolRef || typeof v === 'string' ? v : v === null ? 'null' : typeof v === 'object' ? JSON.stringify(v) : String(v);

function guessParam(name: string, schema: JsonSchema, path: string): ParamKind {
  if (Array.isArray(schema?.enum)) return { enum: schema.enum.map(String) };
  if (name === 'user_id') return 'user';
  if (name === 'organization_id') return 'organization';
  if (name === 'slug') return 'slug';
  if (name === 'provider') return 'provider';
  if (name === 'id' || name.endsWith('_id')) {
    if (path.startsWith('/email_addresses') || name.startsWith('email')) return 'email';
    if (path.startsWith('/phone_numbers') || name.startsWith('phone')) return 'phone';
    if (name.startsWith('web3')) return 'web3';
  }
  return 'other';
}

// -- The routes the server documents, each merged with its tuning.

interface Documented {
  method: Method;
  path: string;
  operationId?: string;
  params: Array<{ name: string; schema: JsonSchema }>;
  query: Array<{ name: string; schema: JsonSchema }>;
  body: JsonSchema | null;
}

/** Reads the server's own OpenAPI document: the dialect's routes, as served. */
async function discoverRoutes(server: TestServer): Promise<Documented[]> {
  const doc = (await (await fetch(`${server.url}/v1/openapi.json`)).json()) as { paths: Record<string, Record<string, any>> };
  const out: Documented[] = [];
  for (const [p, item] of Object.entries(doc.paths)) {
    for (const [m, op] of Object.entries(item)) {
      if (!['get', 'post', 'patch', 'put', 'delete'].includes(m)) continue;
      const parameters = (op.parameters ?? []) as Array<{ in: string; name: string; schema: JsonSchema }>;
      out.push({
        method: m.toUpperCase() as Method,
        path: p.replace(/^\/v1/, ''),
        operationId: op.operationId,
        params: parameters.filter((x) => x.in === 'path').map(({ name, schema }) => ({ name, schema })),
        query: parameters.filter((x) => x.in === 'query').map(({ name, schema }) => ({ name, schema })),
        body: op.requestBody?.content?.['application/json']?.schema ?? null,
      });
    }
  }
  return out;
}

function specHas(method: string, path: string): boolean {
  try {
    findOperation(method, path);
    return true;
  } catch {
    return false;
  }
}

function toRoute(d: Documented): Route {
  const tuned = TUNED_BY_KEY.get(routeKey(d.method, d.path));
  const t: Tuning = tuned?.tuning ?? {};
  // Tuned routes keep the spec's spelling of the path (nicer names); the order of `{}` is the same.
  const path = tuned?.path ?? d.path;
  const documentedQuery = Object.fromEntries(
    d.query.map(({ name, schema }) => [name, fromSchema(schema?.type === 'array' ? schema.items : schema, name).map(asQueryValue)]),
  );
  const documentedBody = d.body?.properties ? Object.fromEntries(Object.entries(d.body.properties as Record<string, JsonSchema>).map(([k, v]) => [k, fromSchema(v, k)])) : undefined;
  return {
    method: d.method,
    path,
    params: t.params ?? d.params.map((p) => guessParam(p.name, p.schema, d.path)),
    offSpec: t.offSpec,
    inSpec: specHas(d.method, path),
    tuned: tuned !== undefined,
    query: { ...documentedQuery, ...t.query },
    body: t.body ?? documentedBody,
    plausible: t.plausible,
    multipart: t.multipart ?? (/\/(profile_image|logo)$/.test(d.path) && d.method !== 'DELETE'),
    runs: t.runs ?? 15,
  };
}

// The routes must be known before the tests are declared, so one server boots now; the PGlite
// suite below goes on using it rather than booting another.
let spareServer: TestServer | null = await startServer('pglite');
const DOCUMENTED = await discoverRoutes(spareServer);
afterAll(async () => {
  await spareServer?.close();
});
const ROUTES: Route[] = DOCUMENTED.map(toRoute);

const routeName = (r: Route) => `${r.method} ${r.path}${r.tuned ? '' : ' [from its schema]'}`;

// ---------------------------------------------------------------------------------------------
// Path ids.

type PathId = PoolRef | { text: string } | { raw: string };

// Not 'count': GET /users/count is a route of its own.
const SPECIAL_IDS = ['user_', 'idn_', '0', '-1', 'null', 'COUNT', '%', ' ', '\u0000', '\ud800', '\u{1F600}', 'a'.repeat(100), 'a'.repeat(101), 'a'.repeat(128), 'a'.repeat(129)];

/** Ids of any kind and length up to a few hundred characters. */
const textId = fc
  .oneof(
    { weight: 3, arbitrary: fc.string({ minLength: 1, maxLength: 40 }) },
    { weight: 2, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 20 }) },
    { weight: 1, arbitrary: fc.string({ minLength: 90, maxLength: 300 }) },
    { weight: 2, arbitrary: fc.constantFrom(...SPECIAL_IDS) },
  )
  // Dot segments would be resolved away by the URL parser and hit another route.
  .filter((s) => s !== '.' && s !== '..');

/** Ids long enough for the router's own limit on path parameters. */
const overlongId = fc.oneof(
  fc.integer({ min: 1000, max: 3000 }).map((n) => 'b'.repeat(n)),
  fc.string({ minLength: 1000, maxLength: 1200 }),
  fc.constantFrom('a'.repeat(1025), 'a'.repeat(5000), '\u{1F600}'.repeat(600)),
);

function pathIdArb(kind: ParamKind): fc.Arbitrary<PathId> {
  let own: fc.Arbitrary<PathId>;
  if (typeof kind === 'object') own = fc.constantFrom(...kind.enum).map((text): PathId => ({ text }));
  else if (kind === 'provider') own = fc.constantFrom<PathId>({ text: 'oauth_google' }, { text: 'google' }, { text: 'oauth_github' }, { text: 'oauth_custom_acme' }, { text: 'oauth_' });
  else if (kind === 'other') own = fc.oneof(fc.constantFrom<PathId>({ text: 'idn_passkey' }, { text: 'eac_123' }), ref('anyId'));
  else own = ref(kind, ['none', 'none', 'none', 'upper', 'suffix']);
  return fc.oneof(
    { weight: 6, arbitrary: own },
    { weight: 1, arbitrary: fc.constantFrom<PoolKind>('user', 'email', 'phone', 'web3').chain((k) => ref(k)) },
    { weight: 3, arbitrary: textId.map((text): PathId => ({ text })) },
  );
}

/** Percent-encodes every byte but the unreserved ones; lone surrogates go out as U+FFFD. */
function pct(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    out += b < 128 && /[A-Za-z0-9\-_.~]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Requests.

type Auth = 'valid' | 'lowercase' | 'none' | 'wrong' | 'basic' | 'long';

interface FuzzRequest {
  ids: PathId[];
  query: Array<[string, QueryValue]>;
  body: BodySpec;
  auth: Auth;
}

const authArb = fc.oneof({ weight: 40, arbitrary: fc.constant<Auth>('valid') }, { weight: 1, arbitrary: fc.constantFrom<Auth>('lowercase', 'none', 'wrong', 'basic', 'long') });

function requestArb(route: Route): fc.Arbitrary<FuzzRequest> {
  let body: fc.Arbitrary<BodySpec>;
  if (route.method === 'GET') body = fc.constant({ kind: 'none' });
  else if (route.multipart) body = bodyArb({}, { none: 1, fields: 1, multipart: 12 });
  else if (route.body) body = bodyArb(route.body, { none: 1, fields: 10 }, route.plausible);
  else body = bodyArb({}, { none: 8, fields: 1 });
  return fc.record({
    ids: fc.tuple(...route.params.map(pathIdArb)) as fc.Arbitrary<PathId[]>,
    query: Object.keys(route.query).length
      ? queryArb(route.query)
      : fc.oneof({ weight: 4, arbitrary: fc.constant([] as Array<[string, QueryValue]>) }, { weight: 1, arbitrary: queryArb({}) }),
    body,
    auth: authArb,
  });
}

interface Sent {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | FormData | undefined;
  /** What the body was, for failure messages. */
  shown: string | undefined;
}

function preview(text: string | undefined, max = 1500): string {
  if (text === undefined) return '(none)';
  const shown = text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text;
  return JSON.stringify(shown);
}

function buildRequest(server: TestServer, pool: Pool, route: Route, req: FuzzRequest): Sent {
  let i = 0;
  const path = route.path.replace(/\{[^}]+\}/g, () => {
    const id = req.ids[i++];
    if (id instanceof PoolRef) return pct(pool.resolve(id));
    return 'raw' in id ? id.raw : pct(id.text);
  });
  const search = new URLSearchParams();
  for (const [k, v] of req.query) search.append(k, v instanceof PoolRef ? pool.resolve(v) : v);
  const qs = search.toString();
  const headers: Record<string, string> = {};
  const token = server.secretKey;
  if (req.auth === 'valid') headers.authorization = `Bearer ${token}`;
  else if (req.auth === 'lowercase') headers.authorization = `bearer ${token}`;
  else if (req.auth === 'wrong') headers.authorization = `Bearer ${token.slice(0, -2)}xx`;
  else if (req.auth === 'basic') headers.authorization = `Basic ${Buffer.from(`${token}:`).toString('base64')}`;
  else if (req.auth === 'long') headers.authorization = `Bearer ${token}${'a'.repeat(600)}`;
  let body: string | FormData | undefined;
  let shown: string | undefined;
  if (req.body.kind === 'json') {
    body = JSON.stringify(pool.materialize(req.body.value)) ?? 'null';
    shown = body;
    headers['content-type'] = req.body.contentType;
  } else if (req.body.kind === 'raw') {
    body = req.body.text;
    shown = body;
    headers['content-type'] = req.body.contentType;
  } else if (req.body.kind === 'multipart') {
    const form = new FormData();
    for (const part of req.body.parts) {
      if (part.file) form.append(part.name, new Blob([Uint8Array.from(part.file.bytes)], { type: part.file.type }), part.file.filename);
      else form.append(part.name, part.value ?? '');
    }
    body = form;
    shown = `multipart: ${JSON.stringify(req.body.parts.map((p) => (p.file ? { name: p.name, file: `${p.file.bytes.byteLength} bytes ${p.file.type} ${p.file.filename}` } : p)))}`;
  }
  return { method: route.method, url: `${server.url}/v1${path}${qs ? `?${qs}` : ''}`, headers, body, shown };
}

function assertClerkError(body: unknown): void {
  const errors = (body as { errors?: unknown } | null)?.errors;
  if (!Array.isArray(errors) || errors.length === 0) throw new Error('error body has no non-empty `errors` array');
  for (const e of errors) {
    for (const field of ['message', 'long_message', 'code']) {
      const v = (e as Record<string, unknown>)?.[field];
      if (typeof v !== 'string' || v.trim() === '') throw new Error(`error ${field} is not a non-empty string: ${JSON.stringify(v)}`);
    }
    const meta = (e as Record<string, unknown>).meta;
    if (meta !== undefined && (meta === null || typeof meta !== 'object' || Array.isArray(meta))) throw new Error('error meta is not an object');
  }
}

const stats = new Map<string, number>();

/** How a response body is checked: against an operation of the spec, or (off-spec) a schema. */
type Contract = { method: string; path: string } | { schema: string } | null;

function contractOf(route: Route, status: number): Contract {
  if (route.inSpec) return { method: route.method, path: route.path };
  if (status >= 400) return { schema: 'ClerkErrors' };
  if (!route.offSpec) return null; // Neither in the spec nor tuned: JSON is all that can be checked.
  return 'schema' in route.offSpec ? { schema: route.offSpec.schema } : route.offSpec.as;
}

/** A `{data, total_count}` answer to a request with `paginated=true`. */
function paginatedPage(sent: Sent, json: unknown): boolean {
  const paginated = new URL(sent.url).searchParams.getAll('paginated');
  return paginated.length === 1 && paginated[0] === 'true' && !!json && typeof json === 'object' && Array.isArray((json as { data?: unknown }).data);
}

/**
 * Sends one request and checks the response against the invariants; throws with the whole
 * exchange when one fails. Without a route, only the error envelope is checked.
 */
async function exchange(server: TestServer, pool: Pool, sent: Sent, name: string, route: Route | null): Promise<void> {
  const res = await fetch(sent.url, { method: sent.method, headers: sent.headers, body: sent.body });
  const text = await res.text();
  stats.set(`${name} -> ${res.status}`, (stats.get(`${name} -> ${res.status}`) ?? 0) + 1);
  const dump = () =>
    `\n  request:  ${sent.method} ${sent.url.slice(server.url.length, server.url.length + 1500)}` +
    `\n  headers:  ${JSON.stringify({ ...sent.headers, ...(sent.headers.authorization ? { authorization: `${sent.headers.authorization.slice(0, 12)}…` } : {}) })}` +
    `\n  body:     ${preview(sent.shown)}` +
    `\n  response: ${res.status} ${res.headers.get('content-type')} ${preview(text)}`;
  try {
    expect(res.status, 'status must be below 500').toBeLessThan(500);
    expect(res.status, 'status must be 2xx or 4xx').toBeGreaterThanOrEqual(200);
    expect(res.status >= 300 && res.status < 400, 'no redirects').toBe(false);
    const contract = route && contractOf(route, res.status);
    if (res.status === 204) {
      // No content: nothing to type or parse, but the spec must allow it.
      expect(text, 'a 204 has no body').toBe('');
      if (contract && !('schema' in contract)) assertMatchesSpec(contract.method, contract.path, 204, undefined);
      return;
    }
    // 202 and 204 may carry no body at all (PATCH /instance, PUT /beta_features/domain).
    const empty = text === '' && (res.status === 202 || res.status === 204);
    if (!empty) assertJsonContentType(res);
    let json: unknown;
    try {
      json = empty ? undefined : JSON.parse(text);
    } catch {
      throw new Error('response body is not JSON');
    }
    if (res.status >= 400) assertClerkError(json);
    if (contract && 'schema' in contract) assertMatchesSchema(contract.schema, json);
    else if (contract && paginatedPage(sent, json)) {
      // `paginated=true` (the official SDK's) wraps the spec's bare array as {data, total_count}.
      expect(Number.isInteger((json as { total_count: unknown }).total_count), 'total_count').toBe(true);
      assertMatchesSpec(contract.method, contract.path, res.status, (json as { data: unknown }).data);
    } else if (contract) assertMatchesSpec(contract.method, contract.path, res.status, json);
    if (res.ok) pool.learn(json);
  } catch (e) {
    throw new Error(`${(e as Error).message}${dump()}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Fixtures: a few real users with identifiers of every state, so path ids can hit real rows.

let fixtureCounter = 0;

async function createFixtureUser(server: TestServer, pool: Pool): Promise<void> {
  const n = fixtureCounter++;
  const variant = n % 3;
  const phone = `+1415555${String(1000 + (n % 9000))}`;
  const body: Record<string, unknown> = {
    email_address: [`fx-${n}@example.com`],
    ...(variant !== 1
      ? { phone_number: [phone], web3_wallet: [`0x${n.toString(16).padStart(40, 'f')}`], username: `fx_user_${n}`, external_id: `ext-${n}`, first_name: 'Ada', public_metadata: { n, tags: ['a'] } }
      : {}),
    ...(variant === 0 ? { password: KNOWN_PASSWORD } : {}),
    // An imported md5 digest of the known password: verify_password will rehash it.
    ...(variant === 2 ? { password_digest: createHash('md5').update(KNOWN_PASSWORD).digest('hex'), password_hasher: 'md5' } : {}),
  };
  const res = await server.api('/v1/users', { method: 'POST', json: body });
  const user = (await res.json()) as Record<string, any>;
  if (res.status !== 200) throw new Error(`fixture user not created: ${res.status} ${JSON.stringify(user)}`);
  pool.learn(user);
  if (variant === 0) {
    // Unverified identifiers too: their verification is null.
    for (const [path, json] of [
      ['/v1/email_addresses', { user_id: user.id, email_address: `fx-${n}-b@example.org`, verified: false }],
      ['/v1/phone_numbers', { user_id: user.id, phone_number: `+1415556${String(1000 + (n % 9000))}`, verified: false }],
    ] as const) {
      const r = await server.api(path, { method: 'POST', json });
      const ident = await r.json();
      if (r.status !== 200) throw new Error(`fixture identifier not created: ${r.status} ${JSON.stringify(ident)}`);
      pool.learn(ident);
    }
  }
}

async function ensureFixtures(server: TestServer, pool: Pool): Promise<void> {
  while (pool.lists.user.length < 3) await createFixtureUser(server, pool);
}


/** A graceful close should take milliseconds; longer means a connection was left open. */
const CLOSE_WITHIN_MS = 5000;

/**
 * Closes a test server, failing if the graceful close does not finish in time (it waits for
 * every open connection). Connections are then destroyed so the run can go on.
 */
async function closeWithin(server: TestServer, ms: number): Promise<void> {
  const closing = server.close();
  let timer: NodeJS.Timeout | undefined;
  const hung = await Promise.race([closing.then(() => false), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), ms)))]);
  clearTimeout(timer);
  if (!hung) return;
  server.app.http.server.closeAllConnections();
  await closing;
  throw new Error(`the server's graceful close had not finished after ${ms} ms: a connection stayed open`);
}

// ---------------------------------------------------------------------------------------------

describe.each(BACKENDS)('Clerk dialect fuzzing (%s)', (backend) => {
  let server: TestServer;
  const pool = new Pool();

  let closed = false;

  beforeAll(async () => {
    if (backend === 'pglite' && spareServer) {
      server = spareServer;
      spareServer = null;
    } else {
      server = await startServer(backend);
    }
    await ensureFixtures(server, pool);
  });
  afterAll(async () => {
    try {
      if (server && !closed) await closeWithin(server, CLOSE_WITHIN_MS);
    } finally {
      if (process.env.FUZZ_STATS) {
        const lines = [...stats.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `  ${k}: ${v}`);
        console.log(`status codes seen (${backend}):\n${lines.join('\n')}`);
      }
      stats.clear();
    }
  });

  it('fuzzes every documented route; tuned ones are in the Clerk spec or have an off-spec shape', () => {
    expect(ROUTES.length).toBeGreaterThan(0);
    const served = new Set(ROUTES.map((r) => routeKey(r.method, r.path)));
    const stale = Object.keys(TUNED).filter((k) => !served.has(routeKey(k.split(' ')[0], k.split(' ')[1])));
    if (stale.length) console.info(`TUNED has routes the server does not serve (now unused):\n  ${stale.join('\n  ')}`);
    for (const r of ROUTES.filter((x) => x.tuned)) {
      if (r.offSpec) expect(r.inSpec, `${routeName(r)} is in the spec now: drop its offSpec`).toBe(false);
      else expect(r.inSpec, `${routeName(r)} is not in the Clerk spec: give it an offSpec shape`).toBe(true);
    }
    // Untuned routes outside the spec get no shape check for 2xx: list them for whoever tunes next.
    const unchecked = ROUTES.filter((r) => !r.inSpec && !r.offSpec).map(routeName);
    if (unchecked.length) console.info(`routes fuzzed without a 2xx shape (not in the spec, not tuned):\n  ${unchecked.join('\n  ')}`);
  });

  const only = process.env.FUZZ_ONLY ? new RegExp(process.env.FUZZ_ONLY) : null;
  const fuzzedRoutes = ROUTES.filter((r) => !only || only.test(routeName(r)));
  it.each(fuzzedRoutes.map((r) => [routeName(r), r] as const))('%s answers random requests within the contract', async (_name, route) => {
    await fc.assert(
      fc.asyncProperty(requestArb(route), async (req) => {
        await ensureFixtures(server, pool);
        await exchange(server, pool, buildRequest(server, pool, route, req), routeName(route), route);
      }),
      // Shrinking replays requests, so a failing route could run for long: cap it (a route that
      // passes takes a few seconds, well inside the cap).
      { numRuns: runs(route.runs), plugins: [fc.interruptAfterTimeLimit(ROUTE_TIME_LIMIT_MS)] },
    );
  }, 120_000);

  // The router judges these before any route runs; its answers must still be Clerk errors.
  it('answers malformed percent-encoding and overlong ids in the path with a Clerk error', async () => {
    const withIds = ROUTES.filter((r) => r.params.length > 0);
    const badEscape = fc
      .tuple(fc.string({ unit: fc.constantFrom(...'abc_'), maxLength: 4 }), fc.constantFrom('%', '%F', '%FF', '%E2%82', '%C0%AF', '%ED%A0%80', '%zz', '%%', '%G1'), fc.string({ unit: fc.constantFrom(...'xyz0'), maxLength: 4 }))
      .map(([a, b, c]): PathId => ({ raw: `${a}${b}${c}` }));
    const badId = fc.oneof(badEscape, overlongId.map((text): PathId => ({ text })));
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...withIds), badId, fc.nat(), async (route, bad, at) => {
        await ensureFixtures(server, pool);
        const position = at % route.params.length;
        const ids = route.params.map((k, i): PathId => (i === position ? bad : k === 'user' ? new PoolRef('user', 0) : { text: 'x' }));
        const sent = buildRequest(server, pool, route, { ids, query: [], body: { kind: 'none' }, auth: 'valid' });
        await exchange(server, pool, sent, `${routeName(route)} (router-level)`, route);
      }),
      { numRuns: runs(60) },
    );
  }, 120_000);

  it('answers methods and paths the dialect does not serve with a Clerk error', async () => {
    const paths = ['/users', '/users/count', '/users/user_x', '/users/user_x/ban', '/email_addresses', '/phone_numbers/idn_x', '/nope', '/users/user_x/oauth_access_tokens', '/'];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('PUT', 'OPTIONS', 'PATCH', 'DELETE', 'POST', 'GET'), fc.constantFrom(...paths), async (method, path) => {
        const served = ROUTES.some((r) => r.method === method && new RegExp(`^${r.path.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(path));
        fc.pre(!served);
        const sent: Sent = { method, url: `${server.url}/v1${path}`, headers: { authorization: `Bearer ${server.secretKey}` }, body: undefined, shown: undefined };
        await exchange(server, pool, sent, `${method} (unserved)`, null);
      }),
      { numRuns: runs(40) },
    );
  });

  // Last, as it closes the server. Found while fuzzing: when the server answers early (here the
  // auth hook's 401) while the rest of the body is still arriving, that connection goes idle only
  // after close() has begun, and close() then waits out its keep-alive timeout (72 s).
  it('closes promptly while the body of a request it refused is still arriving', async () => {
    const agent = new http.Agent({ keepAlive: true });
    const total = 200_000;
    const headers = { 'content-type': 'application/json', authorization: 'Bearer sk_test_wrong', 'content-length': String(total) };
    const req = http.request(`${server.url}/v1/users`, { method: 'POST', agent, headers });
    req.on('error', () => {}); // A server that cuts the connection is fine.
    req.write('z'.repeat(10_000));
    try {
      const [res] = (await once(req, 'response')) as [http.IncomingMessage];
      let text = '';
      for await (const chunk of res) text += chunk;
      expect(res.statusCode).toBe(401);
      assertClerkError(JSON.parse(text));
      closed = true;
      const closing = closeWithin(server, CLOSE_WITHIN_MS);
      req.end('z'.repeat(total - 10_000));
      await closing;
    } finally {
      agent.destroy();
    }
  }, 30_000);
});
