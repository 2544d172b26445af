import { createPrivateKey, type KeyObject } from 'node:crypto';
import type { Clock } from '../clock.ts';
import type { SecretBox } from '../crypto/secret-box.ts';
import { DomainError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { Store } from '../store.ts';
import { shortcodeProblems } from './shortcodes.ts';
import type { JwtTemplate, TemplateAlgorithm } from './token-store.ts';

/** Claims Latchkey always sets itself; a template cannot replace them. */
export const RESERVED_CLAIMS = ['sid', 'sub', 'iss', 'iat', 'nbf', 'exp', 'azp', 'act'] as const;
export const TEMPLATE_ALGORITHMS: TemplateAlgorithm[] = ['RS256', 'RS384', 'RS512', 'ES256', 'HS256', 'HS384', 'HS512'];
export const LIFETIME = { min: 30, max: 315_360_000, default: 60 };
export const CLOCK_SKEW = { min: 0, max: 300, default: 5 };
const MAX_CLAIMS_JSON = 64 * 1024;

export interface JwtTemplateInput {
  name?: string;
  claims?: Record<string, unknown>;
  lifetime?: number | null;
  allowedClockSkew?: number | null;
  customSigningKey?: boolean;
  signingAlgorithm?: string | null;
  signingKey?: string | null;
}

const invalid = (param: string, message: string) => new DomainError('invalid_param', message, { param });

function checkName(name: unknown): string {
  // The name is a path segment of POST /v1/sessions/{id}/tokens/{template_name}.
  if (typeof name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_.~-]{0,127}$/.test(name)) {
    throw invalid('name', 'name must be 1 to 128 letters, digits, `_`, `-`, `.` or `~`, starting with a letter or digit.');
  }
  return name;
}

function checkClaims(claims: unknown): Record<string, unknown> {
  if (!claims || typeof claims !== 'object' || Array.isArray(claims)) throw invalid('claims', 'claims must be a JSON object.');
  if (JSON.stringify(claims).length > MAX_CLAIMS_JSON) throw invalid('claims', 'claims must be at most 64 KiB of JSON.');
  const reserved = Object.keys(claims).filter((k) => (RESERVED_CLAIMS as readonly string[]).includes(k));
  if (reserved.length) throw invalid('claims', `claims cannot set the reserved claims ${reserved.join(', ')}: Latchkey sets them itself.`);
  const problems = shortcodeProblems(claims);
  if (problems.length) throw invalid('claims', problems[0] as string);
  return claims as Record<string, unknown>;
}

function checkRange(param: string, v: number, r: { min: number; max: number }): number {
  if (!Number.isInteger(v) || v < r.min || v > r.max) throw invalid(param, `${param} must be an integer from ${r.min} to ${r.max}.`);
  return v;
}

/** Parses a custom key for its algorithm; a key of the wrong type or too weak is refused here, not at signing. */
export function customKey(alg: TemplateAlgorithm, material: string): KeyObject | Uint8Array {
  if (alg.startsWith('HS')) {
    const secret = new TextEncoder().encode(material);
    const min = Number(alg.slice(2)) / 8;
    if (secret.length < min) throw invalid('signing_key', `An ${alg} secret must be at least ${min} bytes.`);
    return secret;
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(material);
  } catch {
    throw invalid('signing_key', `signing_key must be a PEM private key for ${alg}.`);
  }
  if (alg.startsWith('RS')) {
    if (key.asymmetricKeyType !== 'rsa' || (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) throw invalid('signing_key', `${alg} needs an RSA private key of at least 2048 bits.`);
  } else if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw invalid('signing_key', 'ES256 needs a P-256 EC private key.');
  }
  return key;
}

export function createJwtTemplateService(deps: { store: Store; clock: Clock; box: SecretBox }) {
  const { store, clock, box } = deps;

  /** Applies the input over `base` (defaults for a new template) and checks the result as a whole. */
  function build(base: JwtTemplate, input: JwtTemplateInput): JwtTemplate {
    const t = { ...base };
    if (input.name !== undefined) t.name = checkName(input.name);
    if (input.claims !== undefined) t.claims = checkClaims(input.claims);
    if (input.lifetime !== undefined) t.lifetime = input.lifetime === null ? LIFETIME.default : checkRange('lifetime', input.lifetime, LIFETIME);
    if (input.allowedClockSkew !== undefined) t.allowedClockSkew = input.allowedClockSkew === null ? CLOCK_SKEW.default : checkRange('allowed_clock_skew', input.allowedClockSkew, CLOCK_SKEW);
    const custom = input.customSigningKey ?? t.customSigningKey;
    if (!custom) {
      if (input.signingKey) throw invalid('signing_key', 'signing_key needs custom_signing_key: true.');
      return { ...t, customSigningKey: false, signingAlgorithm: 'RS256', signingKeySealed: null };
    }
    const alg = (input.signingAlgorithm ?? (t.customSigningKey ? t.signingAlgorithm : undefined)) as TemplateAlgorithm | undefined;
    if (!alg) throw new DomainError('param_missing', 'custom_signing_key needs signing_algorithm.', { param: 'signing_algorithm' });
    if (!TEMPLATE_ALGORITHMS.includes(alg)) throw invalid('signing_algorithm', `signing_algorithm must be one of ${TEMPLATE_ALGORITHMS.join(', ')}.`);
    let sealed = t.customSigningKey ? t.signingKeySealed : null;
    if (input.signingKey) {
      customKey(alg, input.signingKey);
      sealed = box.seal(input.signingKey);
    } else if (!sealed || alg !== t.signingAlgorithm) {
      // A kept key must still suit the algorithm; RS256 -> RS384 keeps an RSA key, HS -> RS does not.
      if (!sealed) throw new DomainError('param_missing', 'custom_signing_key needs signing_key.', { param: 'signing_key' });
      customKey(alg, box.open(sealed));
    }
    return { ...t, customSigningKey: true, signingAlgorithm: alg, signingKeySealed: sealed };
  }

  const service = {
    async create(input: JwtTemplateInput): Promise<JwtTemplate> {
      if (input.name === undefined) throw new DomainError('param_missing', 'name is required.', { param: 'name' });
      if (input.claims === undefined) throw new DomainError('param_missing', 'claims is required.', { param: 'claims' });
      const now = clock.now();
      const base: JwtTemplate = {
        id: newId('jtmp'),
        name: '',
        claims: {},
        lifetime: LIFETIME.default,
        allowedClockSkew: CLOCK_SKEW.default,
        customSigningKey: false,
        signingAlgorithm: 'RS256',
        signingKeySealed: null,
        createdAt: now,
        updatedAt: now,
      };
      const t = build(base, input);
      await store.transaction(async (tx) => {
        await tx.jwtTemplates.insert(t);
        await tx.events.record({ type: 'jwt_template.created', subjectId: t.id, payload: { name: t.name }, at: now });
      });
      return t;
    },

    async get(id: string): Promise<JwtTemplate> {
      const t = await store.jwtTemplates.findById(id);
      if (!t) throw new DomainError('jwt_template_not_found', `No JWT template ${id}.`, { param: 'template_id' });
      return t;
    },

    async getByName(name: string): Promise<JwtTemplate> {
      const t = await store.jwtTemplates.findByName(name);
      if (!t) throw new DomainError('jwt_template_not_found', `No JWT template named ${name}.`, { param: 'template_name' });
      return t;
    },

    list: (page: { limit: number; offset: number }) => store.jwtTemplates.list(page.limit, page.offset),

    async update(id: string, input: JwtTemplateInput): Promise<JwtTemplate> {
      return store.transaction(async (tx) => {
        const current = await tx.jwtTemplates.findById(id);
        if (!current) throw new DomainError('jwt_template_not_found', `No JWT template ${id}.`, { param: 'template_id' });
        const now = clock.now();
        const t = { ...build(current, input), updatedAt: now };
        await tx.jwtTemplates.update(t);
        await tx.events.record({ type: 'jwt_template.updated', subjectId: t.id, payload: { name: t.name }, at: now });
        return t;
      });
    },

    async delete(id: string): Promise<void> {
      await store.transaction(async (tx) => {
        if (!(await tx.jwtTemplates.delete(id))) throw new DomainError('jwt_template_not_found', `No JWT template ${id}.`, { param: 'template_id' });
        await tx.events.record({ type: 'jwt_template.deleted', subjectId: id, payload: {}, at: clock.now() });
      });
    },

    /** The template's own key, or null when the instance's signing key signs its tokens. */
    customKey(t: JwtTemplate): { alg: TemplateAlgorithm; key: KeyObject | Uint8Array } | null {
      if (!t.customSigningKey || !t.signingKeySealed) return null;
      return { alg: t.signingAlgorithm, key: customKey(t.signingAlgorithm, box.open(t.signingKeySealed)) };
    },
  };
  return service;
}

export type JwtTemplateService = ReturnType<typeof createJwtTemplateService>;
