import { expect } from 'vitest';
import type { TestServer } from './backends.ts';
import { assertMatchesSpec } from './clerk-spec.ts';

/**
 * Calls a `/v1` route over real HTTP and checks the answer against the Clerk spec (and, when it
 * has a body, its exact content type) before handing back status and body. An empty body (204)
 * comes back as undefined, and the spec must say the response has none.
 */
export async function specCall(server: TestServer, method: string, template: string, path: string, json?: unknown) {
  const res = await server.api(`/v1${path}`, { method, ...(json === undefined ? {} : { json }) });
  const text = await res.text();
  const body = text === '' ? undefined : (JSON.parse(text) as any);
  if (text !== '') expect(res.headers.get('content-type')).toBe('application/json');
  assertMatchesSpec(method, template, res.status, body);
  return { status: res.status, body };
}
