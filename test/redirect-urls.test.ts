import { createClerkClient } from '@clerk/backend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, startServer, type TestServer } from './helpers/backends.ts';
import { assertMatchesSchema } from './helpers/clerk-spec.ts';
import { specCall } from './helpers/spec-call.ts';

describe.each(BACKENDS)('redirect URLs (%s)', (backend) => {
  let server: TestServer;
  let clerk: ReturnType<typeof createClerkClient>;

  const call = (method: string, template: string, path: string, json?: unknown) => specCall(server, method, template, path, json);

  beforeAll(async () => {
    server = await startServer(backend, { PUBLIC_URL: 'https://id.acme.test' });
    clerk = createClerkClient({ secretKey: server.secretKey, apiUrl: server.url });
  });
  afterAll(() => server?.close());

  it('creates, lists, gets and deletes redirect URLs, normalised and unique', async () => {
    const a = await clerk.redirectUrls.createRedirectUrl({ url: 'https://App.Example.com/oauth/../callback' });
    expect(a.url).toBe('https://app.example.com/callback');
    const b = await call('POST', '/redirect_urls', '/redirect_urls', { url: 'my-app://oauth-callback' });
    expect([b.status, b.body.url]).toEqual([200, 'my-app://oauth-callback']);
    const local = await call('POST', '/redirect_urls', '/redirect_urls', { url: 'http://localhost:5173/done' });
    expect(local.status).toBe(200);
    const dup = await call('POST', '/redirect_urls', '/redirect_urls', { url: 'https://app.example.com:443/callback' });
    expect([dup.status, dup.body.errors[0].code]).toEqual([400, 'duplicate_record']);
    for (const url of ['not a url', 'javascript:alert(1)', 'data:text/html,x', 'http://app.example.com/cb', 'https://user:pw@app.example.com/', 'file:///etc/passwd', 'my-app:no-slashes', '']) {
      const bad = await call('POST', '/redirect_urls', '/redirect_urls', { url });
      expect([url, bad.status, bad.body.errors[0].meta?.param_name]).toEqual([url, 422, 'url']);
    }

    const list = await call('GET', '/redirect_urls', '/redirect_urls');
    expect(list.body.map((r: any) => r.url)).toEqual(['http://localhost:5173/done', 'my-app://oauth-callback', 'https://app.example.com/callback']);
    const paged = await clerk.redirectUrls.getRedirectUrlList();
    expect([paged.totalCount, paged.data.map((r) => r.id)]).toEqual([3, [local.body.id, b.body.id, a.id]]);
    for (const r of paged.data) assertMatchesSchema('RedirectURL', { object: 'redirect_url', id: r.id, url: r.url, created_at: r.createdAt, updated_at: r.updatedAt });

    expect((await call('GET', '/redirect_urls/{id}', `/redirect_urls/${a.id}`)).body).toMatchObject({ object: 'redirect_url', id: a.id, url: a.url });
    const deleted = await call('DELETE', '/redirect_urls/{id}', `/redirect_urls/${local.body.id}`);
    expect(deleted.body).toEqual({ object: 'redirect_url', id: local.body.id, deleted: true });
    for (const [method, template] of [['GET', '/redirect_urls/{id}'], ['DELETE', '/redirect_urls/{id}']]) {
      const missing = await call(method, template, `/redirect_urls/${local.body.id}`);
      expect([missing.status, missing.body.errors[0].code]).toEqual([404, 'resource_not_found']);
    }
  });

  it('decides the hosted pages\' redirect targets with isAllowedRedirect', async () => {
    const { redirects } = server.app.services;
    await clerk.redirectUrls.createRedirectUrl({ url: 'https://shop.example.com/after' });
    const cases: Array<[string, boolean]> = [
      ['https://shop.example.com/after', true],
      ['https://shop.example.com/after/step?x=1#y', true],
      ['https://SHOP.example.com:443/after', true],
      ['https://shop.example.com/afterwards', false],
      ['https://shop.example.com/', false],
      ['http://shop.example.com/after', false],
      ['https://shop.example.com.evil.test/after', false],
      ['https://evil.test/https://shop.example.com/after', false],
      ['https://user@shop.example.com/after', false],
      ['my-app://oauth-callback?code=1', true],
      ['my-app://other', false],
      ['https://id.acme.test/anything', true],
      ['/dashboard?tab=1', true],
      ['//evil.test/x', false],
      ['/\\evil.test', false],
      ['javascript:alert(1)', false],
      ['', false],
      ['not a url', false],
    ];
    const seen = [];
    for (const [target] of cases) seen.push([target, await redirects.isAllowedRedirect(target)]);
    expect(seen).toEqual(cases);
  });
});
