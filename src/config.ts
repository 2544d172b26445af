import { resolve } from 'node:path';

/** Everything the server reads from its environment, validated once at boot. */
export interface Config {
  port: number;
  host: string;
  databaseUrl?: string;
  dataDir: string;
  secretKey?: string;
  /** 32 bytes (hex or base64) that encrypt secrets at rest; generated into the data folder when unset. */
  encryptionKey?: string;
  publicUrl?: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  requireIdentifier: boolean;
  hashConcurrency?: number;
  lockoutThreshold: number;
  lockoutMinutes: number;
}

/** A configuration mistake; its message is one line that names the variable. */
export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

function fail(name: string, rule: string, value: string): never {
  throw new ConfigError(`Invalid ${name}: ${rule} (got ${JSON.stringify(value.slice(0, 80))})`);
}

function int(env: Env, name: string, min: number, max: number): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min || n > max) fail(name, `must be an integer from ${min} to ${max}`, raw);
  return n;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  return fail(name, 'must be true or false', raw);
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * Reads and validates the configuration.
 * @example loadConfig({ PORT: '8080' }).port // 8080
 */
export function loadConfig(env: Env = process.env): Config {
  const databaseUrl = env.DATABASE_URL || undefined;
  // The URL may carry a password, so only its scheme is echoed.
  if (databaseUrl && !/^postgres(ql)?:\/\/.+/.test(databaseUrl)) fail('DATABASE_URL', 'must be a postgres:// or postgresql:// URL', `${databaseUrl.split(':')[0]}:...`);
  const secretKey = env.LATCHKEY_SECRET_KEY || undefined;
  if (secretKey && !/^sk_[A-Za-z0-9_-]{21,197}$/.test(secretKey)) fail('LATCHKEY_SECRET_KEY', 'must start with sk_ and have 24 to 200 url-safe characters', '***');
  const publicUrl = env.PUBLIC_URL || undefined;
  if (publicUrl) {
    let ok = false;
    try {
      ok = ['http:', 'https:'].includes(new URL(publicUrl).protocol);
    } catch {}
    if (!ok) fail('PUBLIC_URL', 'must be an http(s) URL', publicUrl);
  }
  const logLevel = (env.LOG_LEVEL || 'info') as Config['logLevel'];
  if (!LOG_LEVELS.includes(logLevel)) fail('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`, logLevel);
  const host = env.HOST || 'localhost';
  if (!/^[A-Za-z0-9.:[\]-]+$/.test(host)) fail('HOST', 'must be a host name or IP address', host);
  return {
    port: int(env, 'PORT', 0, 65535) ?? 3000,
    host,
    databaseUrl,
    dataDir: resolve(env.LATCHKEY_DATA_DIR || './.latchkey'),
    secretKey,
    encryptionKey: env.LATCHKEY_ENCRYPTION_KEY || undefined,
    publicUrl: publicUrl?.replace(/\/$/, ''),
    logLevel,
    requireIdentifier: bool(env, 'LATCHKEY_REQUIRE_IDENTIFIER', true),
    hashConcurrency: int(env, 'LATCHKEY_HASH_CONCURRENCY', 1, 256),
    // Capped at 100: NIST allows at most 100 consecutive failures.
    lockoutThreshold: int(env, 'LATCHKEY_LOCKOUT_THRESHOLD', 1, 100) ?? 10,
    lockoutMinutes: int(env, 'LATCHKEY_LOCKOUT_MINUTES', 1, 525_600) ?? 60,
  };
}
