/**
 * Timing side channels: a wrong password must cost the same as a right one, and a reset request
 * for an unknown account the same as for a known one. Requests alternate (right, wrong, right,
 * ...) one at a time, so both sides see the same machine state; medians are compared.
 */
import { median } from './report.ts';

export interface TimingPair {
  name: string;
  a: { label: string; medianMs: number; samples: number };
  b: { label: string; medianMs: number; samples: number };
  /** b's median over a's, minus one; the target is within ±10%. */
  difference: number;
}

async function timed(fn: () => Promise<Response>): Promise<{ ms: number; status: number }> {
  const t = performance.now();
  const res = await fn();
  await res.arrayBuffer();
  return { ms: performance.now() - t, status: res.status };
}

async function alternate(n: number, a: () => Promise<Response>, b: () => Promise<Response>, expect: [number, number], gapMs = 0) {
  const as: number[] = [];
  const bs: number[] = [];
  for (let i = 0; i < n; i++) {
    // Alternate which goes first, so neither side always runs on a warmer cache.
    const order = i % 2 === 0 ? ([a, b] as const) : ([b, a] as const);
    for (const f of order) {
      const r = await timed(f);
      const isA = f === a;
      if (r.status !== expect[isA ? 0 : 1]) throw new Error(`unexpected status ${r.status}`);
      (isA ? as : bs).push(r.ms);
      if (gapMs) await new Promise((r) => setTimeout(r, gapMs));
    }
  }
  return { as, bs };
}

/** verify_password with the right and with a wrong password (each a full argon2id check). */
export async function passwordTiming(appUrl: string, key: string, userId: string, password: string, n = 60): Promise<TimingPair> {
  const verify = (pw: string) => () =>
    fetch(`${appUrl}/v1/users/${userId}/verify_password`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ password: pw }) });
  // A wrong attempt counts towards lockout; a right one right after resets the count.
  const { as, bs } = await alternate(n, verify(password), verify(`${password}-wrong`), [200, 422]);
  const a = median(as);
  const b = median(bs);
  return { name: 'verify_password: wrong vs right', a: { label: 'right password', medianMs: a, samples: as.length }, b: { label: 'wrong password', medianMs: b, samples: bs.length }, difference: b / a - 1 };
}

/**
 * The forgot-password form posted for existing and for unknown accounts. Each request names a
 * different account and comes from a different (forwarded) address, so the rate limits, which
 * are per identifier and per IP, never answer instead of the reset path being measured.
 */
export async function resetTiming(appUrl: string, knownEmails: string[]): Promise<TimingPair> {
  const page = await fetch(`${appUrl}/forgot-password`);
  const cookie = (page.headers.get('set-cookie') ?? '').split(';')[0];
  const csrf = /name="csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? '';
  let i = 0;
  const post = (identifier: string) =>
    fetch(`${appUrl}/forgot-password`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i++ & 255}` },
      body: new URLSearchParams({ csrf, identifier }).toString(),
    });
  let k = 0;
  let u = 0;
  // The reset itself runs after the answer (that is what hides whether the account exists); a
  // pause lets one request's background work end before the next is timed, so each answer is
  // timed on an otherwise idle server, as an attacker probing one account would see it.
  const { as, bs } = await alternate(Math.floor(knownEmails.length), () => post(knownEmails[k++]), () => post(`nobody-${u++}@example.invalid`), [200, 200], 30);
  const a = median(as);
  const b = median(bs);
  return { name: 'reset request: unknown vs known account', a: { label: 'known account', medianMs: a, samples: as.length }, b: { label: 'unknown account', medianMs: b, samples: bs.length }, difference: b / a - 1 };
}
