import { createClerkClient } from '@clerk/backend';
import { afterEach, describe, expect, it } from 'vitest';
import { manualClock } from '../src/core/clock.ts';
import type { PasswordHasher } from '../src/core/credentials/password-hasher.ts';
import { BACKENDS, startServer, type TestServer } from './helpers/backends.ts';

const PASSWORD = 'a sturdy passphrase';

describe.each(BACKENDS)('lockout (%s)', (backend) => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function boot(env: Record<string, string>) {
    const clock = manualClock(new Date('2026-03-01T10:00:00Z'));
    let checks = 0;
    const wrapHasher = (h: PasswordHasher): PasswordHasher => ({
      ...h,
      verify: async (...args) => {
        checks++;
        return h.verify(...args);
      },
    });
    server = await startServer(backend, env, { clock, wrapHasher });
    const res = await server.api('/v1/users', { method: 'POST', json: { email_address: ['lock@example.com'], password: PASSWORD } });
    const user = (await res.json()) as { id: string };
    const verify = (password: string) => server!.api(`/v1/users/${user.id}/verify_password`, { method: 'POST', json: { password } });
    return { clock, user, verify, checks: () => checks };
  }

  it('runs at most `threshold` hash checks for 50 parallel wrong attempts', async () => {
    const { verify, checks, user } = await boot({ LATCHKEY_LOCKOUT_THRESHOLD: '5' });
    const responses = await Promise.all(Array.from({ length: 50 }, () => verify('not the password')));
    const statuses = responses.map((r) => r.status).sort();
    expect(checks()).toBe(5);
    expect(statuses.filter((s) => s === 422)).toHaveLength(5);
    expect(statuses.filter((s) => s === 403)).toHaveLength(45);
    const locked = (await responses.find((r) => r.status === 403)!.json()) as { errors: Array<{ code: string }> };
    expect(locked.errors[0].code).toBe('user_locked');

    // Locked means locked: even the right password is refused, without hashing.
    const before = checks();
    const right = await verify(PASSWORD);
    expect(right.status).toBe(403);
    expect(right.headers.get('retry-after')).toBe('3600');
    expect(checks()).toBe(before);
    const shown = (await (await server!.api(`/v1/users/${user.id}`)).json()) as { locked: boolean; lockout_expires_in_seconds: number };
    expect(shown.locked).toBe(true);
    expect(shown.lockout_expires_in_seconds).toBe(3600);
  });

  it('locks after 10 consecutive failures for an hour, and a success resets the count', async () => {
    const { verify, clock } = await boot({});
    for (let i = 0; i < 9; i++) expect((await verify('wrong password!')).status).toBe(422);
    expect((await verify(PASSWORD)).status).toBe(200);
    for (let i = 0; i < 9; i++) expect((await verify('wrong password!')).status).toBe(422);
    expect((await verify('wrong password!')).status).toBe(422);
    expect((await verify(PASSWORD)).status).toBe(403);
    clock.advance(59 * 60_000);
    expect((await verify(PASSWORD)).status).toBe(403);
    clock.advance(61_000);
    expect((await verify(PASSWORD)).status).toBe(200);
    expect((await verify('wrong password!')).status).toBe(422);
  });

  it('never allows more than 100 failures in an hour, whatever the settings', async () => {
    const { verify, clock } = await boot({ LATCHKEY_LOCKOUT_THRESHOLD: '10', LATCHKEY_LOCKOUT_MINUTES: '1' });
    for (let round = 0; round < 10; round++) {
      for (let i = 0; i < 10; i++) expect((await verify('wrong password!')).status).toBe(422);
      clock.advance(61_000);
    }
    // 100 failures inside the hour: locked until the hour is over, though each short lock ended.
    expect((await verify(PASSWORD)).status).toBe(403);
    clock.advance(50 * 60_000);
    expect((await verify(PASSWORD)).status).toBe(200);
  });

  it('locks and unlocks through the official SDK', async () => {
    const { user, verify } = await boot({});
    const clerk = createClerkClient({ secretKey: server!.secretKey, apiUrl: server!.url });
    const locked = await clerk.users.lockUser(user.id);
    expect(locked.locked).toBe(true);
    const raw = (await (await server!.api(`/v1/users/${user.id}`)).json()) as { lockout_expires_in_seconds: number };
    expect(raw.lockout_expires_in_seconds).toBe(3600);
    expect((await verify(PASSWORD)).status).toBe(403);
    const unlocked = await clerk.users.unlockUser(user.id);
    expect(unlocked.locked).toBe(false);
    expect((await verify(PASSWORD)).status).toBe(200);
  });
});

describe.each(BACKENDS)('lockout hourly cap counts failures only (%s)', (backend) => {
  it('lets 150 alternating right and wrong passwords through within an hour', async () => {
    const server = await startServer(backend, {}, { clock: manualClock(new Date('2026-03-02T10:00:00Z')) });
    try {
      const res = await server.api('/v1/users', { method: 'POST', json: { email_address: ['busy@example.com'], password: PASSWORD } });
      const { id } = (await res.json()) as { id: string };
      const verify = (password: string) => server.api(`/v1/users/${id}/verify_password`, { method: 'POST', json: { password } });
      const statuses: number[] = [];
      for (let i = 0; i < 75; i++) {
        statuses.push((await verify(PASSWORD)).status, (await verify('not it at all')).status);
      }
      expect(statuses.filter((s) => s === 403)).toEqual([]);
    } finally {
      await server.close();
    }
  });
});
