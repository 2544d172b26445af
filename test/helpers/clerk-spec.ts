/**
 * Validates /v1 responses against the Clerk Backend API contract: the OpenAPI 3.0.3 document in
 * ../shared/specs/ (beside the repository root). The document is registered with Ajv whole, under
 * one id, and each response schema is compiled as a `$ref` into it, so nested
 * `#/components/schemas/...` references resolve exactly as the spec wrote them.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Where the contract lives: shared/ beside the repository, never copied into it. */
export const CLERK_SPEC_PATH = path.resolve(REPO_ROOT, '../shared/specs/clerk-backend-api.openapi.json');

const SPEC_ID = 'clerk-backend-api.openapi.json';
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
const CLERK_ERRORS_POINTER = '#/components/schemas/ClerkErrors';
const COMBINATORS = ['oneOf', 'anyOf', 'allOf', 'not', '$ref', 'enum'] as const;

type Json = Record<string, any>;

export interface SpecOperation {
  method: string;
  /** The path as the spec spells it, e.g. `/email_addresses/{email_address_id}`. */
  path: string;
  operationId: string | undefined;
  responses: Json;
}

/** What a response was checked against, for messages and for tests of this helper. */
export interface ResolvedResponse {
  operation: SpecOperation;
  /** The status key used: `'200'`, `'4XX'`, `'default'`, or `'fallback'` (generic ClerkErrors). */
  statusKey: string;
  /** JSON pointer of the schema inside the document, or null when the response has no body. */
  schemaPointer: string | null;
}

/**
 * OpenAPI 3.0 `nullable: true` next to `oneOf`/`anyOf`/`allOf`/`$ref`/`enum`: Ajv's native
 * `nullable` only widens `type`, so `null` would still fail the combinator (all three
 * `verification` fields of EmailAddress, PhoneNumber and Web3Wallet are written that way, and
 * Clerk sends `verification: null` for unverified identifiers). Such a schema is rewritten to
 * `anyOf: [{type: 'null'}, <schema without nullable>]`, which is what the spec means; plain
 * `type` + `nullable` schemas are left to Ajv's own keyword.
 */
function honourNullable(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(honourNullable);
  if (!node || typeof node !== 'object') return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node as Json)) out[k] = honourNullable(v);
  if (out.nullable === true && COMBINATORS.some((k) => k in out)) {
    const { nullable: _nullable, ...rest } = out;
    return { anyOf: [{ type: 'null' }, rest] };
  }
  return out;
}

/**
 * Fields Latchkey adds to spec objects on purpose, as Clerk's current API and SDK have them; each
 * is listed in the README's "Differences from Clerk". Only these are let through: anything else
 * still fails `additionalProperties: false`.
 */
export const DOCUMENTED_EXTENSIONS: Record<string, Json> = {
  User: {
    locked: { type: 'boolean' },
    lockout_expires_in_seconds: { type: 'integer', nullable: true },
    has_image: { type: 'boolean' },
    locale: { type: 'string', nullable: true },
    legal_accepted_at: { type: 'integer', nullable: true },
  },
  // The sign-up link, only in the answer to a create with `notify: false` (Clerk's current API).
  Invitation: { url: { type: 'string', nullable: true } },
};

/**
 * Response bodies the spec leaves out although Clerk's API and SDK have them: `GET /jwks` is
 * declared with no body, yet answers the key set (`clerk.jwks.getJwks()` reads `keys`).
 */
export const DOCUMENTED_RESPONSES: Array<{ path: string; method: string; status: string; schema: Json }> = [
  {
    path: '/jwks',
    method: 'get',
    status: '200',
    schema: {
      type: 'object',
      additionalProperties: false,
      required: ['keys'],
      properties: {
        keys: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['kty', 'kid', 'use', 'alg', 'n', 'e'],
            properties: { kty: { type: 'string', enum: ['RSA'] }, kid: { type: 'string' }, use: { type: 'string', enum: ['sig'] }, alg: { type: 'string', enum: ['RS256'] }, n: { type: 'string' }, e: { type: 'string' } },
          },
        },
      },
    },
  },
];

function withExtensions(doc: Json): Json {
  for (const r of DOCUMENTED_RESPONSES) {
    const response = (((doc.paths as Json)[r.path] as Json)[r.method] as Json).responses as Json;
    (response[r.status] as Json).content = { 'application/json': { schema: r.schema } };
  }
  const schemas = (doc.components as Json).schemas as Json;
  for (const [name, extra] of Object.entries(DOCUMENTED_EXTENSIONS)) {
    const schema = schemas[name] as Json;
    schema.properties = { ...(schema.properties as Json), ...extra };
  }
  return doc;
}

function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

function readPointer(doc: Json, pointer: string): any {
  if (!pointer.startsWith('#/')) throw new Error(`Only local $refs are supported, got ${pointer}`);
  return pointer
    .slice(2)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((node: any, key) => {
      if (node === undefined || node === null || !(key in node)) throw new Error(`Unresolvable $ref ${pointer}`);
      return node[key];
    }, doc);
}

/** `/v1/users/{id}` and `/users/{user_id}` both become `/users/{}`: parameter names do not matter. */
function pathKey(template: string): string {
  let p = template.trim();
  if (p.startsWith('/v1/')) p = p.slice(3);
  p = p.replace(/:([A-Za-z0-9_]+)/g, '{$1}').replace(/\{[^}]*\}/g, '{}');
  if (p.length > 1) p = p.replace(/\/+$/, '');
  return p;
}

interface LoadedSpec {
  doc: Json;
  ajv: Ajv;
  operations: Map<string, SpecOperation>;
  validators: Map<string, ValidateFunction>;
}

let loaded: LoadedSpec | undefined;

function load(): LoadedSpec {
  if (loaded) return loaded;
  const raw = JSON.parse(readFileSync(CLERK_SPEC_PATH, 'utf8')) as Json;
  if (typeof raw.openapi !== 'string' || !raw.openapi.startsWith('3.0')) {
    throw new Error(`${CLERK_SPEC_PATH} is not an OpenAPI 3.0 document (openapi: ${raw.openapi})`);
  }
  const doc = withExtensions(honourNullable(raw) as Json);
  // strict: false lets OpenAPI's own keywords (example, deprecated, x-*) and the non-schema parts
  // of the document (paths, info, ...) pass; Ajv 8 implements OpenAPI's `nullable` itself.
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
  // ajv-formats is CommonJS; its function is the module itself or its default export.
  const addFormats = ((addFormatsModule as any).default ?? addFormatsModule) as (a: Ajv) => Ajv;
  addFormats(ajv);
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
  ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 });
  ajv.addFormat('binary', true);
  ajv.addSchema(doc, SPEC_ID);

  const operations = new Map<string, SpecOperation>();
  for (const [p, item] of Object.entries((doc.paths ?? {}) as Json)) {
    for (const method of METHODS) {
      const op = item?.[method];
      if (!op || typeof op !== 'object') continue;
      const key = `${method} ${pathKey(p)}`;
      if (operations.has(key)) throw new Error(`Ambiguous spec paths: ${operations.get(key)?.path} and ${p}`);
      operations.set(key, { method, path: p, operationId: op.operationId, responses: op.responses ?? {} });
    }
  }
  loaded = { doc, ajv, operations, validators: new Map() };
  return loaded;
}

/** The raw (nullable-rewritten) OpenAPI document. */
export function clerkSpec(): Json {
  return load().doc;
}

/** Every operation of the spec, for coverage checks. */
export function specOperations(): SpecOperation[] {
  return [...load().operations.values()];
}

/** Finds an operation by method and path template; parameter names and a `/v1` prefix are ignored. */
export function findOperation(method: string, pathTemplate: string): SpecOperation {
  const op = load().operations.get(`${method.toLowerCase()} ${pathKey(pathTemplate)}`);
  if (!op) throw new Error(`The Clerk spec has no operation ${method.toUpperCase()} ${pathTemplate}`);
  return op;
}

/**
 * Picks the response of `operation` for `status`: the exact code, then its range (`4XX`), then
 * `default`; a 4xx the spec does not list falls back to the generic ClerkErrors schema, and so
 * does a listed error response that describes no content. A listed non-error response without
 * content means an empty body.
 */
export function resolveResponse(method: string, pathTemplate: string, status: number): ResolvedResponse {
  const { doc } = load();
  const operation = findOperation(method, pathTemplate);
  const base = `#/paths/${escapePointer(operation.path)}/${operation.method}/responses`;
  const candidates = [String(status), `${String(status)[0]}XX`, `${String(status)[0]}xx`, 'default'];
  const statusKey = candidates.find((k) => k in operation.responses);
  if (!statusKey) {
    if (status >= 400 && status < 500) {
      return { operation, statusKey: 'fallback', schemaPointer: CLERK_ERRORS_POINTER };
    }
    throw new Error(
      `The Clerk spec lists no ${status} response for ${operation.method.toUpperCase()} ${operation.path} (it lists ${Object.keys(operation.responses).join(', ')})`,
    );
  }
  // Follow response $refs (into components/responses) until the response object itself.
  let pointer = `${base}/${escapePointer(statusKey)}`;
  let response = readPointer(doc, pointer);
  for (let hops = 0; response && typeof response.$ref === 'string'; hops++) {
    if (hops > 20) throw new Error(`$ref loop at ${pointer}`);
    pointer = response.$ref;
    response = readPointer(doc, pointer);
  }
  const media = response?.content?.['application/json'];
  if (!media) {
    if (response?.content && Object.keys(response.content).length > 0) {
      throw new Error(`${operation.path} ${statusKey} has no application/json content (${Object.keys(response.content).join(', ')})`);
    }
    // An error response described in words only (VerifyPassword's 400/404/422): Clerk sends its
    // usual error envelope there, so that is what is checked.
    if (status >= 400) return { operation, statusKey, schemaPointer: CLERK_ERRORS_POINTER };
    return { operation, statusKey, schemaPointer: null };
  }
  if (!media.schema) return { operation, statusKey, schemaPointer: null };
  return { operation, statusKey, schemaPointer: `${pointer}/content/${escapePointer('application/json')}/schema` };
}

function validatorFor(pointer: string): ValidateFunction {
  const spec = load();
  let v = spec.validators.get(pointer);
  if (!v) {
    v = spec.ajv.compile({ $ref: `${SPEC_ID}${pointer}` });
    spec.validators.set(pointer, v);
  }
  return v;
}

function describeErrors(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? [])
    .slice(0, 25)
    .map((e) => `  - ${e.instancePath || '(root)'} ${e.message ?? e.keyword} ${JSON.stringify(e.params)} [${e.schemaPath}]`)
    .join('\n');
}

function preview(body: unknown, max = 2000): string {
  let text: string;
  try {
    text = JSON.stringify(body) ?? String(body);
  } catch {
    text = String(body);
  }
  return text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text;
}

/** The validation errors of `body`, or an empty list if it matches; throws if the spec has no entry. */
export function specErrors(method: string, pathTemplate: string, status: number, body: unknown): ErrorObject[] {
  const resolved = resolveResponse(method, pathTemplate, status);
  if (resolved.schemaPointer === null) {
    const empty = body === undefined || body === null || body === '';
    return empty ? [] : [{ instancePath: '', schemaPath: '#', keyword: 'body', params: {}, message: 'must be empty: the spec declares no body' }];
  }
  const validate = validatorFor(resolved.schemaPointer);
  return validate(body) ? [] : [...(validate.errors ?? [])];
}

/**
 * Throws unless `body` matches the spec's response for `method` + `pathTemplate` + `status`.
 * @example assertMatchesSpec('get', '/users/{user_id}', 200, await res.json())
 */
export function assertMatchesSpec(method: string, pathTemplate: string, status: number, body: unknown): void {
  const errors = specErrors(method, pathTemplate, status, body);
  if (errors.length === 0) return;
  const r = resolveResponse(method, pathTemplate, status);
  throw new Error(
    `Response does not match the Clerk spec for ${method.toUpperCase()} ${r.operation.path} ${status} ` +
      `(response ${r.statusKey}, schema ${r.schemaPointer}):\n${describeErrors(errors)}\nbody: ${preview(body)}`,
  );
}

/** Throws unless the Content-Type header is exactly `application/json` (no charset parameter). */
export function assertJsonContentType(source: Response | Headers | string | null | undefined): void {
  const value =
    source instanceof Response ? source.headers.get('content-type') : source instanceof Headers ? source.get('content-type') : (source ?? null);
  if (value !== 'application/json') {
    throw new Error(`Expected Content-Type exactly "application/json", got ${value === null ? 'no Content-Type' : JSON.stringify(value)}`);
  }
}

/** The validation errors of `body` against `#/components/schemas/<name>`; empty if it matches. */
export function schemaErrors(name: string, body: unknown): ErrorObject[] {
  const pointer = `#/components/schemas/${escapePointer(name)}`;
  readPointer(load().doc, pointer);
  const validate = validatorFor(pointer);
  return validate(body) ? [] : [...(validate.errors ?? [])];
}

/**
 * Throws unless `body` matches the spec's component schema `name` (e.g. 'User', 'ClerkErrors').
 * For routes the official SDK calls but the published spec does not list.
 */
export function assertMatchesSchema(name: string, body: unknown): void {
  const errors = schemaErrors(name, body);
  if (errors.length === 0) return;
  throw new Error(`Body does not match the Clerk spec schema ${name}:\n${describeErrors(errors)}\nbody: ${preview(body)}`);
}
