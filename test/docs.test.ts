import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { ERROR_CODES } from '../src/core/errors.ts';
import { CLERK_ERRORS } from '../src/http/dialects/clerk/errors.ts';
import { startServer, type TestServer } from './helpers/backends.ts';

const ROOT = resolve(import.meta.dirname, '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

/**
 * The rows of the first Markdown table under the `## heading`, as cells with surrounding
 * backticks removed. The header and separator rows are skipped.
 */
function tableUnder(markdown: string, heading: string): string[][] {
  const start = markdown.split('\n').findIndex((l) => l.trim() === `## ${heading}`);
  expect(start, `heading "## ${heading}"`).toBeGreaterThanOrEqual(0);
  const rows: string[][] = [];
  for (const line of markdown.split('\n').slice(start + 1)) {
    if (line.startsWith('## ')) break;
    if (!line.startsWith('|')) {
      if (rows.length) break;
      continue;
    }
    rows.push(line.replace(/^\||\|$/g, '').split('|').map((c) => c.trim().replace(/^`(.*)`$/, '$1')));
  }
  return rows.slice(2);
}

describe('every error code is mapped and documented', () => {
  let doc: string;
  let coreRows: Map<string, string[]>;
  beforeAll(() => {
    doc = read('docs/errors.md');
    coreRows = new Map(tableUnder(doc, 'Core error codes').map((r) => [r[0], r]));
  });

  it('every ErrorCode has a Clerk mapping, and the mapping has nothing else', () => {
    expect(Object.keys(CLERK_ERRORS).sort()).toEqual([...ERROR_CODES].sort());
    for (const code of ERROR_CODES) {
      const m = CLERK_ERRORS[code];
      expect(m, code).toBeDefined();
      expect(Number.isInteger(m.status) && m.status >= 400 && m.status < 600, `${code} status ${m.status}`).toBe(true);
      expect(m.code, code).toMatch(/^[a-z][a-z0-9_]*$/);
      expect(m.message.length, code).toBeGreaterThan(0);
    }
  });

  it('docs/errors.md has a row for every core code with its Clerk status and code', () => {
    const missing = ERROR_CODES.filter((c) => !coreRows.has(c));
    expect(missing, 'core codes missing from docs/errors.md').toEqual([]);
    for (const code of ERROR_CODES) {
      const [, status, clerkCode, meaning] = coreRows.get(code)!;
      expect({ code, status: Number(status), clerkCode }).toEqual({ code, status: CLERK_ERRORS[code].status, clerkCode: CLERK_ERRORS[code].code });
      expect(meaning?.length ?? 0, `meaning of ${code}`).toBeGreaterThan(10);
    }
  });

  it('docs/errors.md documents no core code that no longer exists', () => {
    const known = new Set<string>(ERROR_CODES);
    expect([...coreRows.keys()].filter((c) => !known.has(c))).toEqual([]);
  });

  it('docs/errors.md names every Clerk code', () => {
    const clerkCodes = [...new Set(Object.values(CLERK_ERRORS).map((m) => m.code))];
    expect(clerkCodes.filter((c) => !doc.includes(`\`${c}\``))).toEqual([]);
  });
});

describe('the documented request errors are what the server sends', () => {
  let frameworkRows: Map<string, string[]>;
  let server: TestServer;

  beforeAll(async () => {
    frameworkRows = new Map(tableUnder(read('docs/errors.md'), 'Request and framework errors').map((r) => [r[0], r]));
    // One password hash at a time and none waiting, with a cost high enough for requests to overlap.
    server = await startServer('pglite', {}, { hashing: { memoryCost: 65536, timeCost: 3, concurrency: 1, maxQueue: 0 } });
  });
  afterAll(async () => {
    await server?.close();
  });

  /** Checks the Clerk envelope and that docs/errors.md lists the code with the status seen. */
  async function expectDocumented(res: Response, status: number, code: string, param?: string) {
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toBe('application/json');
    const body = (await res.json()) as { errors: Array<{ code: string; message: string; long_message: string; meta?: { param_name?: string } }> };
    expect(body.errors).toHaveLength(1);
    expect(body.errors[0]).toMatchObject({ code, message: expect.any(String), long_message: expect.any(String) });
    if (param) expect(body.errors[0].meta?.param_name).toBe(param);
    expect(frameworkRows.get(code)?.[1], `docs/errors.md row for ${code}`).toBe(String(status));
  }

  it('validation errors', async () => {
    await expectDocumented(await server.api('/v1/users', { method: 'POST', json: { email_address: ['a@example.com'], nickname: 'x' } }), 422, 'form_param_unknown', 'nickname');
    await expectDocumented(await server.api('/v1/users/user_x/verify_password', { method: 'POST', json: {} }), 422, 'form_param_missing', 'password');
    await expectDocumented(await server.api('/v1/users?limit=abc'), 422, 'form_param_format_invalid', 'limit');
  });

  it('malformed, oversized and non-JSON bodies', async () => {
    const post = (body: string, type: string) => server.api('/v1/users', { method: 'POST', body, headers: { 'content-type': type } });
    await expectDocumented(await post('{"email_address": [', 'application/json'), 400, 'malformed_request');
    await expectDocumented(await post(JSON.stringify({ first_name: 'x'.repeat(1024 * 1024) }), 'application/json'), 413, 'request_body_too_large');
    await expectDocumented(await post('<user/>', 'application/xml'), 415, 'unsupported_media_type');
  });

  it('authentication and unknown routes', async () => {
    await expectDocumented(await fetch(`${server.url}/v1/users`), 401, 'authentication_invalid');
    await expectDocumented(await fetch(`${server.url}/v1/users`, { headers: { authorization: 'Bearer sk_live_not_a_real_key_at_all' } }), 401, 'authentication_invalid');
    await expectDocumented(await server.api('/v1/no_such_resource'), 404, 'resource_not_found');
  });

  it('too_many_requests carries Retry-After when the password hasher is saturated', async () => {
    const attempts = await Promise.all(
      Array.from({ length: 6 }, (_, i) => server.api('/v1/users', { method: 'POST', json: { email_address: [`busy${i}@example.com`], password: 'a long passphrase 42' } })),
    );
    const busy = attempts.filter((r) => r.status === 429);
    expect(attempts.some((r) => r.status === 200)).toBe(true);
    expect(busy.length).toBeGreaterThan(0);
    expect(busy[0].headers.get('retry-after')).toBe('1');
    await expectDocumented(busy[0], 429, 'too_many_requests');
    // A refused request wrote nothing.
    const count = await (await server.api('/v1/users/count')).json();
    expect(count).toEqual({ object: 'total_count', total_count: attempts.length - busy.length });
  });
});

describe('README configuration table', () => {
  const source = read('src/config.ts');
  const variables = [...new Set([...source.matchAll(/\benv\.([A-Z][A-Z0-9_]*)/g), ...source.matchAll(/\benv,\s*'([A-Z][A-Z0-9_]*)'/g)].map((m) => m[1]))];
  let rows: Map<string, string[]>;
  beforeAll(() => {
    rows = new Map(tableUnder(read('README.md'), 'Configuration').map((r) => [r[0], r]));
  });

  it('finds the variables src/config.ts reads', () => {
    // Guards the patterns above: if they stop matching, the next test would pass on nothing.
    expect(variables).toEqual(expect.arrayContaining(['PORT', 'HOST', 'DATABASE_URL', 'LATCHKEY_DATA_DIR', 'LATCHKEY_SECRET_KEY', 'PUBLIC_URL', 'LOG_LEVEL', 'LATCHKEY_REQUIRE_IDENTIFIER', 'LATCHKEY_HASH_CONCURRENCY']));
  });

  it('lists every variable src/config.ts reads, and no other', () => {
    expect(variables.filter((v) => !rows.has(v)), 'missing from README.md').toEqual([]);
    expect([...rows.keys()].filter((v) => !variables.includes(v)), 'in README.md but not read').toEqual([]);
  });

  it('states the defaults loadConfig applies', () => {
    const defaults = loadConfig({});
    const shown: Record<string, string> = {
      PORT: String(defaults.port),
      HOST: defaults.host,
      LATCHKEY_DATA_DIR: './.latchkey',
      LOG_LEVEL: defaults.logLevel,
      LATCHKEY_REQUIRE_IDENTIFIER: String(defaults.requireIdentifier),
      LATCHKEY_LOCKOUT_THRESHOLD: String(defaults.lockoutThreshold),
      LATCHKEY_LOCKOUT_MINUTES: String(defaults.lockoutMinutes),
    };
    for (const [name, value] of Object.entries(shown)) expect(rows.get(name)?.[1], name).toContain(value);
  });
});
