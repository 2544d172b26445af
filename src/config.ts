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
  /** Shares rate limits between nodes; per-process limits without it. */
  redisUrl?: string;
  /** Behind a reverse proxy: trust X-Forwarded-For for the client address (rate limits per IP). */
  trustProxy: boolean;
  lockoutMinutes: number;
  delivery: DeliveryConfig;
  /** The OpenID issuer; PUBLIC_URL or the listening address when unset. */
  issuer?: string;
  /** Absolute session lifetime, seconds. */
  sessionMaxSeconds: number;
  /** Idle session lifetime, seconds: a session unused this long is abandoned. */
  sessionIdleSeconds: number;
  /** Lifetime of session tokens (RS256 JWTs), seconds. */
  sessionTokenSeconds: number;
}

/** Where emails and SMS go; without SMTP_URL or an SMS provider they are only logged. */
export interface DeliveryConfig {
  /** May carry a password: never logged. */
  smtpUrl?: string;
  /** `Name <local@domain>` or `local@domain`. */
  emailFrom: string;
  smsProvider: 'log' | 'twilio';
  twilio?: { apiUrl: string; accountSid: string; authToken: string };
  /** An E.164 number or an alphanumeric sender id; empty with the log provider. */
  smsFrom: string;
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

const EMAIL_FROM_PATTERN = /^(?:[^<>\r\n]*<[^\s<>@]+@[^\s<>@]+>|[^\s<>@]+@[^\s<>@]+)$/;

function deliveryConfig(env: Env): DeliveryConfig {
  const smtpUrl = env.SMTP_URL || undefined;
  // Only the scheme is echoed: the URL may carry a password.
  if (smtpUrl) {
    let ok = false;
    try {
      const u = new URL(smtpUrl);
      ok = ['smtp:', 'smtps:'].includes(u.protocol) && u.hostname !== '';
    } catch {}
    if (!ok) fail('SMTP_URL', 'must be an smtp:// or smtps:// URL with a host', `${smtpUrl.split(':')[0]}:...`);
  }
  const emailFrom = env.EMAIL_FROM?.trim() || undefined;
  if (emailFrom && !EMAIL_FROM_PATTERN.test(emailFrom)) fail('EMAIL_FROM', 'must be an email address, optionally as "Name <address>"', emailFrom);
  if (smtpUrl && !emailFrom) throw new ConfigError('Invalid EMAIL_FROM: required when SMTP_URL is set');
  const smsProvider = (env.SMS_PROVIDER || 'log') as DeliveryConfig['smsProvider'];
  if (smsProvider !== 'log' && smsProvider !== 'twilio') fail('SMS_PROVIDER', 'must be log or twilio', smsProvider);
  const smsFrom = env.SMS_FROM || '';
  if (smsFrom && !/^(\+[1-9]\d{6,14}|[A-Za-z0-9 ]{1,11}|MG[0-9a-fA-F]{32})$/.test(smsFrom)) {
    fail('SMS_FROM', 'must be an E.164 number (+15555550100), an alphanumeric sender id of up to 11 characters, or a messaging service SID', smsFrom);
  }
  let twilio: DeliveryConfig['twilio'];
  if (smsProvider === 'twilio') {
    const apiUrl = (env.TWILIO_API_URL || 'https://api.twilio.com').replace(/\/+$/, '');
    let ok = false;
    try {
      ok = ['http:', 'https:'].includes(new URL(apiUrl).protocol);
    } catch {}
    if (!ok) fail('TWILIO_API_URL', 'must be an http(s) URL', apiUrl);
    const accountSid = env.TWILIO_ACCOUNT_SID || '';
    if (!/^[A-Za-z0-9]{2,64}$/.test(accountSid)) fail('TWILIO_ACCOUNT_SID', 'must be set to the account SID (AC...) when SMS_PROVIDER is twilio', accountSid);
    const authToken = env.TWILIO_AUTH_TOKEN || '';
    if (authToken.length < 8 || /\s/.test(authToken)) fail('TWILIO_AUTH_TOKEN', 'must be set to the auth token when SMS_PROVIDER is twilio', '***');
    if (!smsFrom) throw new ConfigError('Invalid SMS_FROM: required when SMS_PROVIDER is twilio');
    twilio = { apiUrl, accountSid, authToken };
  }
  return { smtpUrl, emailFrom: emailFrom ?? 'Latchkey <no-reply@localhost>', smsProvider, twilio, smsFrom };
}

function redisUrl(env: Env): string | undefined {
  const raw = env.REDIS_URL;
  if (!raw) return undefined;
  if (!/^rediss?:\/\/.+/.test(raw)) fail('REDIS_URL', 'must be a redis:// or rediss:// URL', `${raw.split(':')[0]}:...`);
  return raw;
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
  const issuer = env.LATCHKEY_ISSUER || undefined;
  if (issuer) {
    let ok = false;
    try {
      const u = new URL(issuer);
      ok = ['http:', 'https:'].includes(u.protocol) && !u.search && !u.hash;
    } catch {}
    if (!ok) fail('LATCHKEY_ISSUER', 'must be an http(s) URL without query or fragment', issuer);
  }
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
    redisUrl: redisUrl(env),
    trustProxy: bool(env, 'TRUST_PROXY', false),
    lockoutMinutes: int(env, 'LATCHKEY_LOCKOUT_MINUTES', 1, 525_600) ?? 60,
    delivery: deliveryConfig(env),
    issuer: issuer?.replace(/\/$/, ''),
    sessionMaxSeconds: int(env, 'LATCHKEY_SESSION_LIFETIME', 60, 31_536_000) ?? 7 * 86_400,
    sessionIdleSeconds: int(env, 'LATCHKEY_SESSION_IDLE_TIMEOUT', 60, 31_536_000) ?? 7 * 86_400,
    sessionTokenSeconds: int(env, 'LATCHKEY_SESSION_TOKEN_LIFETIME', 30, 86_400) ?? 60,
  };
}
