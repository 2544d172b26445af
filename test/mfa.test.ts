import { createClerkClient } from '@clerk/backend';
import bcrypt from 'bcryptjs';
import { Secret, TOTP } from 'otpauth';
import { afterEach, describe, expect, it } from 'vitest';
import { manualClock } from '../src/core/clock.ts';
import { BACKENDS, startServer, type TestServer } from './helpers/backends.ts';

const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
const codeAt = (t: Date, secret = SECRET) => TOTP.generate({ secret: Secret.fromBase32(secret), timestamp: t.getTime(), period: 30 });

describe.each(BACKENDS)('TOTP and backup codes (%s)', (backend) => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function boot() {
    const clock = manualClock(new Date('2026-05-01T12:00:10Z'));
    server = await startServer(backend, {}, { clock });
    const digest = bcrypt.hashSync('bcryptcode1', 4);
    const res = await server.api('/v1/users', {
      method: 'POST',
      json: { email_address: ['mfa@example.com'], totp_secret: SECRET, backup_codes: ['plaincode1', 'plaincode2', digest] },
    });
    expect(res.status).toBe(200);
    const user = (await res.json()) as { id: string; totp_enabled: boolean; backup_code_enabled: boolean; two_factor_enabled: boolean };
    const verify = async (code: string) => {
      const r = await server!.api(`/v1/users/${user.id}/verify_totp`, { method: 'POST', json: { code } });
      return { status: r.status, body: (await r.json()) as any };
    };
    return { clock, user, verify };
  }

  it('imports a TOTP secret and backup codes, and reports them on the user', async () => {
    const { user } = await boot();
    expect(user.totp_enabled).toBe(true);
    expect(user.backup_code_enabled).toBe(true);
    expect(user.two_factor_enabled).toBe(true);
    const row = await server!.app.database.db.selectFrom('user_totp').selectAll().where('user_id', '=', user.id).executeTakeFirstOrThrow();
    expect(row.secret_sealed).not.toContain(SECRET);
    expect(row.secret_sealed.startsWith('v1.')).toBe(true);
    const codes = await server!.app.database.db.selectFrom('backup_codes').select('code_hash').where('user_id', '=', user.id).execute();
    expect(codes.map((c) => c.code_hash)).not.toContain('plaincode1');
  });

  it('accepts a code one step either side, never the same step twice, nor older ones', async () => {
    const { clock, verify } = await boot();
    const now = clock.now();
    expect(await verify(codeAt(new Date(now.getTime() - 30_000)))).toEqual({ status: 200, body: { verified: true, code_type: 'totp' } });
    expect((await verify(codeAt(now))).status).toBe(200);
    expect((await verify(codeAt(now))).body.errors[0].code).toBe('form_code_incorrect');
    expect((await verify(codeAt(new Date(now.getTime() - 30_000)))).status).toBe(422);
    clock.advance(90_000);
    expect((await verify(codeAt(now))).status).toBe(422);
    expect((await verify(codeAt(clock.now()))).status).toBe(200);
  });

  it('uses each backup code once, plain or bcrypt-imported', async () => {
    const { verify } = await boot();
    expect(await verify('PLAIN-CODE1')).toEqual({ status: 200, body: { verified: true, code_type: 'backup_code' } });
    expect((await verify('plaincode1')).status).toBe(422);
    expect((await verify('bcryptcode1')).body.code_type).toBe('backup_code');
    expect((await verify('bcryptcode1')).status).toBe(422);
    expect((await verify('plaincode2')).status).toBe(200);
  });

  it('throttles wrong codes per user', async () => {
    const { clock, verify } = await boot();
    for (let i = 0; i < 5; i++) expect((await verify('000000')).status).toBe(422);
    const throttled = await verify(codeAt(clock.now()));
    expect(throttled.status).toBe(429);
    expect(throttled.body.errors[0].code).toBe('too_many_requests');
    clock.advance(5 * 60_000 + 1000);
    expect((await verify(codeAt(clock.now()))).status).toBe(200);
  });

  it('enrols, confirms and regenerates through the core, voiding old backup codes', async () => {
    const { clock, user } = await boot();
    const mfa = server!.app.services.mfa;
    await mfa.deleteTotp(user.id);
    const { secret, uri } = await mfa.enrollTotp(user.id, 'mfa@example.com');
    expect(uri).toMatch(/^otpauth:\/\/totp\//);
    expect(uri).toContain(`secret=${secret}`);
    expect(await mfa.confirmTotp(user.id, '123456')).toBe(false);
    expect(await mfa.confirmTotp(user.id, codeAt(clock.now(), secret))).toBe(true);
    // The confirming code cannot be replayed.
    await expect(mfa.verify(user.id, codeAt(clock.now(), secret))).rejects.toMatchObject({ code: 'mfa_code_incorrect' });
    const codes = await mfa.regenerateBackupCodes(user.id);
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    await expect(mfa.verify(user.id, 'plaincode2')).rejects.toMatchObject({ code: 'mfa_code_incorrect' });
    expect(await mfa.verify(user.id, codes[3])).toEqual({ codeType: 'backup_code' });
  });

  it('drives verifyTOTP and the MFA removals through the official SDK', async () => {
    const { clock, user } = await boot();
    const clerk = createClerkClient({ secretKey: server!.secretKey, apiUrl: server!.url });
    expect(await clerk.users.verifyTOTP({ userId: user.id, code: codeAt(clock.now()) })).toEqual({ verified: true, code_type: 'totp' });
    expect(await clerk.users.deleteUserTOTP(user.id)).toEqual({ user_id: user.id });
    let u = await clerk.users.getUser(user.id);
    expect([u.totpEnabled, u.backupCodeEnabled, u.twoFactorEnabled]).toEqual([false, true, true]);
    await clerk.users.deleteUserBackupCodes(user.id);
    u = await clerk.users.getUser(user.id);
    expect([u.totpEnabled, u.backupCodeEnabled, u.twoFactorEnabled]).toEqual([false, false, false]);
    const noMfa = await server!.api(`/v1/users/${user.id}/verify_totp`, { method: 'POST', json: { code: '123456' } });
    expect(noMfa.status).toBe(400);
    await server!.api(`/v1/users/${user.id}`, { method: 'PATCH', json: { totp_secret: SECRET } });
    expect((await clerk.users.getUser(user.id)).totpEnabled).toBe(true);
    expect(await clerk.users.disableUserMFA(user.id)).toEqual({ user_id: user.id });
    expect((await clerk.users.getUser(user.id)).twoFactorEnabled).toBe(false);
    const bad = await server!.api('/v1/users', { method: 'POST', json: { email_address: ['x@example.com'], totp_secret: 'not base32!' } });
    expect(bad.status).toBe(422);
  });
});
