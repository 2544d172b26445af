/**
 * A quick look at where a read's CPU goes: seeds a scratch PostgreSQL database, starts the app,
 * and reports CPU per request (this process and PostgreSQL) for the users reads. Not part of
 * `npm run bench`; run with `node bench/profile-reads.ts` while tuning.
 */
import { createApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { measureCpu } from './cpu.ts';
import { ADMIN_URL, createScratch, seeded, seedUsers } from './db.ts';
import { runLoad } from './load.ts';

const USERS = Number(process.env.PROFILE_USERS ?? 20_000);
const scratch = await createScratch('profile');
try {
  await seedUsers(scratch.url, USERS, () => {});
  const app = await createApp(loadConfig({ DATABASE_URL: scratch.url, LOG_LEVEL: 'warn', PORT: '0', HOST: '127.0.0.1' }));
  await app.http.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.http.addresses()[0] as { port: number };
  const url = `http://127.0.0.1:${addr.port}`;
  const key = app.firstKey!;
  const headers = { authorization: `Bearer ${key}` };
  const cases = (process.argv[2] ?? 'get,list').split(',');
  const paths: Record<string, string> = {
    get: `/v1/users/${seeded.id(1).replace('1', '{n}')}`,
    list: '/v1/users?email_address=user.{n}@example.com&limit=10',
  };
  for (const c of cases) {
    const spec = { label: c, url, method: 'GET' as const, path: paths[c], users: USERS, headers, connections: 10, seconds: 4 };
    await runLoad({ ...spec, seconds: 2 });
    const { result, cpu } = await measureCpu(ADMIN_URL, scratch.name, () => runLoad(spec));
    console.log(`${c}: ${result.rps.toFixed(0)} req/s, p99 ${result.p99.toFixed(2)} ms, node ${((cpu.processMs * 1000) / result.ok).toFixed(0)} µs/req, pg ${((cpu.postgresMs * 1000) / result.ok).toFixed(0)} µs/req, non2xx ${result.non2xx}`);
  }
  await app.close();
} finally {
  await scratch.drop();
}
