/**
 * Membership list reads against the bare baseline, on the organizations `seedOrganizations`
 * (bench/organizations.ts) put into the main scratch database:
 *   GET /v1/users/{id}/organization_memberships       vs  baseline /users/{id}/organization_memberships
 *   GET /v1/organizations/{id}/memberships            vs  baseline /organizations/{id}/memberships
 * The baseline runs the same SQL as the app (bench/baseline.ts). Target: >= 75% of its req/s.
 */
import { type CompareContext, compareReads } from './compare.ts';
import { seeded } from './db.ts';
import type { LoadSpec } from './load.ts';
import { type OrganizationSeedStats, seededOrg } from './organizations.ts';
import type { ReadMeasure } from './report.ts';

export const ORGANIZATION_READ_TARGET = 0.75;

export interface OrganizationReadsInput {
  ctx: CompareContext;
  lkUrl: string;
  baselineUrl: string;
  /** The app's secret key. */
  key: string;
  /** Seeded users (`seedUsers`). */
  users: number;
  stats: OrganizationSeedStats;
  connections: number;
  seconds: number;
}

interface Page {
  status: number;
  ids: string[];
  total: number;
  bytes: number;
}

async function page(url: string, headers: Record<string, string> = {}): Promise<Page> {
  const res = await fetch(url, { headers });
  const text = await res.text();
  const body = res.status === 200 ? (JSON.parse(text) as { data: Array<{ id: string }>; total_count: number }) : null;
  return { status: res.status, ids: body?.data.map((m) => m.id) ?? [], total: body?.total_count ?? -1, bytes: Buffer.byteLength(text) };
}

/** Both sides must answer 200 with the same memberships in the same order and the same total. */
function sameAnswer(what: string, lk: Page, base: Page): void {
  const ok = lk.status === 200 && base.status === 200 && lk.ids.length > 0 && lk.total === base.total && lk.ids.join() === base.ids.join();
  if (!ok) {
    throw new Error(`sanity check failed: ${what}: Latchkey ${lk.status} ${lk.total} [${lk.ids.slice(0, 3).join()}], baseline ${base.status} ${base.total} [${base.ids.slice(0, 3).join()}]`);
  }
}

export async function benchOrganizationReads(o: OrganizationReadsInput): Promise<ReadMeasure[]> {
  const auth = { authorization: `Bearer ${o.key}` };
  const u = Math.ceil(o.users / 3);
  const g = Math.ceil(o.stats.organizations / 3);
  // Written out like run.ts's paths, so `{n}` can stand for the number; checked against seeded/seededOrg.
  const userPath = (n: number | string) => `/users/user_bench${n}/organization_memberships`;
  const orgPath = (n: number | string) => `/organizations/org_bench${n}/memberships`;
  if (!userPath(u).includes(`/${seeded.id(u)}/`) || !orgPath(g).includes(`/${seededOrg.id(g)}/`)) throw new Error('seeded ids changed: update bench/organizations-load.ts');

  const lkUser = await page(`${o.lkUrl}/v1${userPath(u)}`, auth);
  const baseUser = await page(o.baselineUrl + userPath(u));
  sameAnswer(`user ${seeded.id(u)}'s memberships`, lkUser, baseUser);
  const lkOrg = await page(`${o.lkUrl}/v1${orgPath(g)}`, auth);
  const baseOrg = await page(o.baselineUrl + orgPath(g));
  sameAnswer(`organization ${seededOrg.id(g)}'s memberships`, lkOrg, baseOrg);
  if (lkOrg.total !== Math.min(o.stats.perOrganization, o.stats.memberships - (g - 1) * o.stats.perOrganization)) {
    throw new Error(`sanity check failed: ${seededOrg.id(g)} has ${lkOrg.total} members, not the seeded ${o.stats.perOrganization}`);
  }

  const get = (label: string, url: string, path: string, users: number, headers: Record<string, string> = {}): LoadSpec => ({
    label,
    url,
    method: 'GET',
    path,
    users,
    headers,
    connections: o.connections,
    seconds: o.seconds,
  });
  // `{n}` is a random user (1..users) or organization (1..organizations) number per request.
  const userN = userPath('{n}');
  const orgN = orgPath('{n}');
  return [
    await compareReads(
      o.ctx,
      'GET /v1/users/{id}/organization_memberships',
      `GET /v1${userN}`,
      get('baseline user memberships', o.baselineUrl, userN, o.users),
      get('latchkey user memberships', o.lkUrl, `/v1${userN}`, o.users, auth),
      [baseUser.bytes, lkUser.bytes],
    ),
    await compareReads(
      o.ctx,
      'GET /v1/organizations/{id}/memberships',
      `GET /v1${orgN}`,
      get('baseline organization memberships', o.baselineUrl, orgN, o.stats.organizations),
      get('latchkey organization memberships', o.lkUrl, `/v1${orgN}`, o.stats.organizations, auth),
      [baseOrg.bytes, lkOrg.bytes],
    ),
  ];
}
