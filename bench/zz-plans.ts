import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { createScratch, seedUsers, seeded } from './db.ts';
const scratch = await createScratch('zzplans');
try {
  await seedUsers(scratch.url, 200_000, () => {});
  const key = `sk_test_${randomBytes(24).toString('base64url')}`;
  const app = await createApp(loadConfig({ DATABASE_URL: scratch.url, LOG_LEVEL: 'warn', LATCHKEY_SECRET_KEY: key, LATCHKEY_ENCRYPTION_KEY: randomBytes(32).toString('hex') }));
  const url = await app.http.listen({ host: '127.0.0.1', port: 0 });
  const sent: { text: string; values: unknown[] }[] = [];
  const proto = pg.Client.prototype as any; const orig = proto.query;
  proto.query = function (...a: any[]) { const f = a[0]; if (f && typeof f === 'object' && f.text) sent.push({ text: f.text, values: f.values ?? [] }); else if (typeof f === 'string') sent.push({ text: f, values: Array.isArray(a[1]) ? a[1] : [] }); return orig.apply(this, a); };
  const ex = new pg.Client({ connectionString: scratch.url }); ex.on('error', () => {}); await ex.connect();
  const first = await (await fetch(`${url}/compat/authress/v1/users?limit=100`, { headers: { authorization: `Bearer ${key}` } })).json() as any;
  const cursor = first.pagination.next.cursor;
  const org = await (await fetch(`${url}/v1/organizations`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'T' }) })).json() as any;
  for (let n = 1; n <= 50; n++) await fetch(`${url}/compat/authress/v1/tenants/${org.id}/users`, { method: 'PATCH', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ userId: seeded.id(n * 1000) }) });
  for (const path of [`/compat/authress/v1/users?limit=100&cursor=${encodeURIComponent(cursor)}`, '/compat/authress/v1/users?filter=ext_bench_1234', '/compat/authress/v1/users?filter=user.15555', `/compat/authress/v1/users?tenantId=${org.id}`, `/compat/pterodactyl/api/application/users/150000`, '/v1/users/count']) {
    sent.length = 0;
    const r = await fetch(url + path, { headers: { authorization: `Bearer ${key}` } }); const b = await r.text();
    const q = sent.filter((s) => /"users"/.test(s.text)).at(-1)!;
    await ex.query(`EXPLAIN ANALYZE ${q.text}`, q.values);
    const { rows } = await ex.query(`EXPLAIN ANALYZE ${q.text}`, q.values);
    console.log('\n###', path, r.status, b.slice(0, 80), '\n', rows.map((x: any) => x['QUERY PLAN']).join('\n'));
  }
  proto.query = orig; await ex.end(); await app.close();
} finally { await scratch.drop(); }
