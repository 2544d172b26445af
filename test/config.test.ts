import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';
import { loadEncryptionKey } from '../src/encryption-key.ts';

/** Runs loadConfig and returns the ConfigError it throws; fails the test if it throws nothing else. */
function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('loadConfig', () => {
  it('has the documented defaults for an empty environment', () => {
    expect(loadConfig({})).toEqual({
      port: 3000,
      host: 'localhost',
      databaseUrl: undefined,
      dataDir: resolve('./.latchkey'),
      secretKey: undefined,
      publicUrl: undefined,
      logLevel: 'info',
      requireIdentifier: true,
      hashConcurrency: undefined,
      lockoutThreshold: 10,
      lockoutMinutes: 60,
      trustProxy: false,
      delivery: { emailFrom: 'Latchkey <no-reply@localhost>', smsProvider: 'log', smsFrom: '' },
      issuer: undefined,
      sessionMaxSeconds: 604_800,
      sessionIdleSeconds: 604_800,
      sessionTokenSeconds: 60,
    });
  });

  it('treats empty strings as unset', () => {
    const empty = { PORT: '', HOST: '', DATABASE_URL: '', LATCHKEY_DATA_DIR: '', LATCHKEY_SECRET_KEY: '', PUBLIC_URL: '', LOG_LEVEL: '', LATCHKEY_REQUIRE_IDENTIFIER: '', LATCHKEY_HASH_CONCURRENCY: '', LATCHKEY_LOCKOUT_THRESHOLD: '', LATCHKEY_LOCKOUT_MINUTES: '', LATCHKEY_ENCRYPTION_KEY: '', REDIS_URL: '', TRUST_PROXY: '', LATCHKEY_ISSUER: '', LATCHKEY_SESSION_LIFETIME: '', LATCHKEY_SESSION_IDLE_TIMEOUT: '', LATCHKEY_SESSION_TOKEN_LIFETIME: '' };
    expect(loadConfig(empty)).toEqual(loadConfig({}));
  });

  it('reads every variable', () => {
    const key = 'sk_live_abcdefghijklmnopqrstuvwxyz0123';
    expect(
      loadConfig({
        PORT: '0',
        HOST: '127.0.0.1',
        DATABASE_URL: 'postgresql://u:p@db:5432/latchkey',
        LATCHKEY_DATA_DIR: '/var/lib/latchkey',
        LATCHKEY_SECRET_KEY: key,
        PUBLIC_URL: 'https://id.example.com/',
        LOG_LEVEL: 'silent',
        LATCHKEY_REQUIRE_IDENTIFIER: 'off',
        LATCHKEY_HASH_CONCURRENCY: '4',
        LATCHKEY_LOCKOUT_THRESHOLD: '5',
        LATCHKEY_LOCKOUT_MINUTES: '15',
        LATCHKEY_ENCRYPTION_KEY: 'a'.repeat(64),
        REDIS_URL: 'redis://cache:6379/0',
        TRUST_PROXY: 'true',
        LATCHKEY_ISSUER: 'https://id.example.com/auth/',
        LATCHKEY_SESSION_LIFETIME: '86400',
        LATCHKEY_SESSION_IDLE_TIMEOUT: '1800',
        LATCHKEY_SESSION_TOKEN_LIFETIME: '120',
      }),
    ).toEqual({
      port: 0,
      host: '127.0.0.1',
      databaseUrl: 'postgresql://u:p@db:5432/latchkey',
      dataDir: '/var/lib/latchkey',
      secretKey: key,
      publicUrl: 'https://id.example.com',
      logLevel: 'silent',
      requireIdentifier: false,
      hashConcurrency: 4,
      lockoutThreshold: 5,
      lockoutMinutes: 15,
      encryptionKey: 'a'.repeat(64),
      redisUrl: 'redis://cache:6379/0',
      trustProxy: true,
      delivery: { emailFrom: 'Latchkey <no-reply@localhost>', smsProvider: 'log', smsFrom: '' },
      issuer: 'https://id.example.com/auth',
      sessionMaxSeconds: 86_400,
      sessionIdleSeconds: 1800,
      sessionTokenSeconds: 120,
    });
  });

  it('accepts the boolean spellings of LATCHKEY_REQUIRE_IDENTIFIER', () => {
    for (const v of ['1', 'true', 'YES', 'on']) expect(loadConfig({ LATCHKEY_REQUIRE_IDENTIFIER: v }).requireIdentifier).toBe(true);
    for (const v of ['0', 'false', 'No', 'OFF']) expect(loadConfig({ LATCHKEY_REQUIRE_IDENTIFIER: v }).requireIdentifier).toBe(false);
  });

  it('accepts the bounds of PORT and LATCHKEY_HASH_CONCURRENCY', () => {
    expect(loadConfig({ PORT: '65535' }).port).toBe(65535);
    expect(loadConfig({ LATCHKEY_HASH_CONCURRENCY: '1' }).hashConcurrency).toBe(1);
    expect(loadConfig({ LATCHKEY_HASH_CONCURRENCY: '256' }).hashConcurrency).toBe(256);
    expect(loadConfig({ LATCHKEY_LOCKOUT_THRESHOLD: '100' }).lockoutThreshold).toBe(100);
    expect(loadConfig({ LATCHKEY_LOCKOUT_MINUTES: '525600' }).lockoutMinutes).toBe(525600);
  });

  const invalid: Array<[string, string]> = [
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '-1'],
    ['PORT', '80.5'],
    ['DATABASE_URL', 'mysql://x'],
    ['LOG_LEVEL', 'loud'],
    ['PUBLIC_URL', 'ftp://x'],
    ['PUBLIC_URL', 'not a url'],
    ['LATCHKEY_ISSUER', 'ftp://x'],
    ['LATCHKEY_ISSUER', 'https://id.example.com/?a=1'],
    ['LATCHKEY_SESSION_LIFETIME', '59'],
    ['LATCHKEY_SESSION_IDLE_TIMEOUT', 'soon'],
    ['LATCHKEY_SESSION_TOKEN_LIFETIME', '86401'],
    ['LATCHKEY_SECRET_KEY', 'bad'],
    ['LATCHKEY_REQUIRE_IDENTIFIER', 'maybe'],
    ['LATCHKEY_HASH_CONCURRENCY', '0'],
    ['LATCHKEY_HASH_CONCURRENCY', '257'],
    ['HOST', 'bad host!'],
    ['LATCHKEY_LOCKOUT_THRESHOLD', '0'],
    ['LATCHKEY_LOCKOUT_THRESHOLD', '101'],
    ['LATCHKEY_LOCKOUT_MINUTES', '525601'],
  ];

  for (const [name, value] of invalid) {
    it(`rejects ${name}=${value} with one line naming ${name}`, () => {
      const error = configError({ [name]: value });
      expect(error.message).not.toMatch(/[\r\n]/);
      expect(error.message).toContain(name);
      expect(error.message.startsWith(`Invalid ${name}:`)).toBe(true);
    });
  }

  it('never echoes a rejected secret key', () => {
    // Plausible keys that fail the rule: too short, a character outside the url-safe set, a wrong prefix.
    for (const key of ['bad', 'sk_live_short', `sk_live_${'a'.repeat(30)}!`, `pk_live_${'b'.repeat(30)}`, `sk_${'c'.repeat(300)}`]) {
      const error = configError({ LATCHKEY_SECRET_KEY: key });
      expect(error.message).toContain('LATCHKEY_SECRET_KEY');
      expect(error.message).not.toContain(key);
      if (key.length > 8) expect(error.message).not.toContain(key.slice(3, 20));
      expect(error.message).not.toMatch(/[\r\n]/);
    }
  });

  it('quotes at most 80 characters of a rejected value', () => {
    const error = configError({ LOG_LEVEL: 'x'.repeat(500) });
    expect(error.message).toContain(`"${'x'.repeat(80)}"`);
    expect(error.message).not.toContain('x'.repeat(81));
  });

  it('rejects a malformed LATCHKEY_ENCRYPTION_KEY in one line without echoing it', async () => {
    for (const key of ['c2hvcnQ=', 'ab'.repeat(31), `${'f'.repeat(63)}g`]) {
      const error = await loadEncryptionKey(key, 'memory://').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as ConfigError).message;
      expect(message.startsWith('Invalid LATCHKEY_ENCRYPTION_KEY:')).toBe(true);
      expect(message).not.toMatch(/[\r\n]/);
      expect(message).not.toContain(key);
    }
    expect((await loadEncryptionKey('ab'.repeat(32), 'memory://')).equals(Buffer.alloc(32, 0xab))).toBe(true);
  });
});
