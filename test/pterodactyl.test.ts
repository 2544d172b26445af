import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, startServer, type TestServer } from './helpers/backends.ts';
import { startSmtpReceiver, type SmtpReceiver } from './helpers/smtp-receiver.ts';

const BASE = '/compat/pterodactyl/api/application';
const ISO_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe.each(BACKENDS)('Pterodactyl application users (%s)', (backend) => {
  let server: TestServer;
  let smtp: SmtpReceiver;
  const panel = (path: string, init?: RequestInit & { json?: unknown }) => server.api(BASE + path, init);

  beforeAll(async () => {
    smtp = await startSmtpReceiver();
    server = await startServer(backend, { SMTP_URL: smtp.url, EMAIL_FROM: 'Panel <panel@example.com>' });
  });
  afterAll(async () => {
    await server?.close();
    await smtp?.close();
  });

  it('creates a user with the panel shape and reads it in every form', async () => {
    const res = await panel('/users', {
      method: 'POST',
      json: { email: 'gamer@example.com', username: 'gamer_one', first_name: 'Game', last_name: 'R', external_id: 'ext-1', password: 'a good long password', language: 'de', root_admin: true },
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('content-type')).toBe('application/json');
    const body = (await res.json()) as { object: string; attributes: Record<string, unknown> };
    expect(body.object).toBe('user');
    const a = body.attributes;
    expect(a).toMatchObject({ external_id: 'ext-1', username: 'gamer_one', email: 'gamer@example.com', first_name: 'Game', last_name: 'R', language: 'de', root_admin: true, '2fa': false });
    expect(Number.isInteger(a.id)).toBe(true);
    expect(a.uuid).toMatch(UUID);
    expect(a.created_at).toMatch(ISO_OFFSET);
    expect(Object.keys(a).sort()).toEqual(['2fa', 'created_at', 'email', 'external_id', 'first_name', 'id', 'language', 'last_name', 'root_admin', 'updated_at', 'username', 'uuid']);

    const byId = (await (await panel(`/users/${a.id}?include=servers`)).json()) as any;
    expect(byId.attributes.relationships).toEqual({ servers: { object: 'list', data: [] } });
    const byExternal = (await (await panel('/users/external/ext-1')).json()) as any;
    expect(byExternal.attributes.id).toBe(a.id);

    // The same user through the native dialect, with the same password.
    const [clerkUser] = (await (await server.api('/v1/users?external_id=ext-1')).json()) as any[];
    expect(clerkUser.username).toBe('gamer_one');
    const verify = await server.api(`/v1/users/${clerkUser.id}/verify_password`, { method: 'POST', json: { password: 'a good long password' } });
    expect(verify.status).toBe(200);
  });

  it('lists with filters, sorting and the panel pagination meta', async () => {
    for (let i = 0; i < 4; i++) {
      const r = await panel('/users', { method: 'POST', json: { email: `list${i}@example.net`, username: `lister${i}`, first_name: 'L', last_name: `${i}`, password: 'another fine password' } });
      expect(r.status).toBe(201);
    }
    const page = (await (await panel('/users?filter[email]=EXAMPLE.NET&per_page=3&page=1&sort=-id')).json()) as any;
    expect(page.object).toBe('list');
    expect(page.data).toHaveLength(3);
    const ids = page.data.map((u: any) => u.attributes.id);
    expect([...ids].sort((x: number, y: number) => y - x)).toEqual(ids);
    expect(page.meta.pagination).toMatchObject({ total: 4, count: 3, per_page: 3, current_page: 1, total_pages: 2 });
    expect(page.meta.pagination.links.next).toContain('page=2');
    const second = (await (await panel('/users?filter[email]=example.net&per_page=3&page=2&sort=-id')).json()) as any;
    expect(second.data).toHaveLength(1);
    const byUsername = (await (await panel('/users?filter[username]=LISTER2')).json()) as any;
    expect(byUsername.data.map((u: any) => u.attributes.username)).toEqual(['lister2']);
    const uuid = byUsername.data[0].attributes.uuid;
    const byUuid = (await (await panel(`/users?filter[uuid]=${uuid}`)).json()) as any;
    expect(byUuid.data).toHaveLength(1);
    expect(((await (await panel('/users?filter[uuid]=not-a-uuid')).json()) as any).data).toEqual([]);
  });

  it('updates, replaces the email, and deletes with 204', async () => {
    const created = (await (await panel('/users', { method: 'POST', json: { email: 'old@example.com', username: 'changer', first_name: 'C', last_name: 'H', password: 'changeable password' } })).json()) as any;
    const id = created.attributes.id;
    const patched = await panel(`/users/${id}`, { method: 'PATCH', json: { email: 'new@example.com', username: 'changer2', first_name: 'C2', last_name: 'H2', root_admin: false } });
    expect(patched.status).toBe(200);
    expect(((await patched.json()) as any).attributes).toMatchObject({ email: 'new@example.com', username: 'changer2', first_name: 'C2' });
    const old = (await (await server.api('/v1/users?email_address=old@example.com')).json()) as any[];
    expect(old).toEqual([]);
    const del = await panel(`/users/${id}`, { method: 'DELETE' });
    expect(del.status).toBe(204);
    expect(await del.text()).toBe('');
    const gone = await panel(`/users/${id}`);
    expect(gone.status).toBe(404);
    expect(await gone.json()).toEqual({ errors: [{ code: 'NotFoundHttpException', status: '404', detail: 'The requested resource could not be found on the server.' }] });
  });

  it('mails a set-password message to a user created without a password', async () => {
    const res = await panel('/users', { method: 'POST', json: { email: 'nopass@example.com', username: 'nopass', first_name: 'N', last_name: 'P' } });
    expect(res.status).toBe(201);
    await server.app.services.passwordReset.settle();
    await server.app.delivery.drain();
    await smtp.waitFor(1);
    const mail = smtp.messages.find((m) => m.rcptTo.includes('nopass@example.com'));
    expect(mail).toBeDefined();
    const code = /\b(\d{6})\b/.exec(mail!.text)?.[1];
    expect(code).toMatch(/^\d{6}$/);
    const { ticket } = await server.app.services.passwordReset.redeemCode('nopass@example.com', code!);
    await server.app.services.passwordReset.complete(ticket, 'my own new password');
    const [u] = (await (await server.api('/v1/users?email_address=nopass@example.com')).json()) as any[];
    expect((await server.api(`/v1/users/${u.id}/verify_password`, { method: 'POST', json: { password: 'my own new password' } })).status).toBe(200);
  });

  it('answers bad input and bad keys in the panel envelope', async () => {
    const missing = await panel('/users', { method: 'POST', json: { email: 'x@example.com', username: 'xx_user', first_name: 'X' } });
    expect(missing.status).toBe(422);
    expect(await missing.json()).toEqual({ errors: [{ code: 'ValidationException', status: '422', detail: expect.any(String), meta: { source_field: 'last_name', rule: 'required' } }] });
    const dup = await panel('/users', { method: 'POST', json: { email: 'GAMER@example.com', username: 'someone_else', first_name: 'D', last_name: 'U' } });
    expect(dup.status).toBe(422);
    expect(((await dup.json()) as any).errors[0].meta).toEqual({ source_field: 'email', rule: 'unique' });
    const badEmail = await panel('/users', { method: 'POST', json: { email: 'nope', username: 'bad_email', first_name: 'B', last_name: 'E' } });
    expect(((await badEmail.json()) as any).errors[0].meta).toEqual({ source_field: 'email', rule: 'email' });
    expect((await panel('/users/abc')).status).toBe(422);
    expect((await panel('/users?sort=name')).status).toBe(422);
    const unauth = await fetch(server.url + BASE + '/users', { headers: { authorization: 'Bearer sk_wrong_key_0000000000000000' } });
    expect(unauth.status).toBe(401);
    expect(await unauth.json()).toEqual({ errors: [{ code: 'AuthenticationException', status: '401', detail: 'Unauthenticated.' }] });
  });
});
