/**
 * Every core error code must be mapped in every dialect: a code added to ERROR_CODES without a
 * mapping would reach a client as a 500 (or an undefined status) in that dialect.
 */
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../src/core/errors.ts';
import { AUTHRESS_ERRORS } from '../src/http/dialects/authress/errors.ts';
import { CLERK_ERRORS } from '../src/http/dialects/clerk/errors.ts';
import { PTERODACTYL_ERRORS } from '../src/http/dialects/pterodactyl/errors.ts';

const MAPS: Record<string, Record<string, { status: number }>> = {
  clerk: CLERK_ERRORS,
  pterodactyl: PTERODACTYL_ERRORS,
  authress: AUTHRESS_ERRORS,
};

/** The field of each dialect's mapping that names its own error code. */
const CODE_FIELD: Record<string, string> = { clerk: 'code', pterodactyl: 'code', authress: 'errorCode' };

describe.each(Object.keys(MAPS))('the %s error map', (dialect) => {
  const map = MAPS[dialect];

  it('maps every core code and nothing else', () => {
    const missing = ERROR_CODES.filter((c) => !Object.hasOwn(map, c));
    expect(missing, `core codes without a ${dialect} mapping`).toEqual([]);
    const known = new Set<string>(ERROR_CODES);
    expect(Object.keys(map).filter((c) => !known.has(c)), `${dialect} mappings of codes that no longer exist`).toEqual([]);
  });

  it('gives each a 4xx status and a non-empty code of its own', () => {
    for (const code of ERROR_CODES) {
      const m = map[code];
      expect(Number.isInteger(m.status) && m.status >= 400 && m.status < 500, `${dialect} ${code} status ${m.status}`).toBe(true);
      const own = (m as unknown as Record<string, unknown>)[CODE_FIELD[dialect]];
      expect(typeof own === 'string' && own.length > 0, `${dialect} ${code} ${CODE_FIELD[dialect]}`).toBe(true);
    }
  });
});

describe('dialect-specific conventions', () => {
  it('Authress keeps 403 for missing permissions: no core code maps to it', () => {
    expect(ERROR_CODES.filter((c) => AUTHRESS_ERRORS[c].status === 403)).toEqual([]);
    expect(AUTHRESS_ERRORS.authentication_invalid).toEqual({ status: 401, errorCode: 'Unauthorized' });
  });

  it('a missing user, organization or membership is a 404 in every dialect', () => {
    for (const code of ['user_not_found', 'organization_not_found', 'membership_not_found'] as const) {
      for (const [dialect, map] of Object.entries(MAPS)) expect(map[code].status, `${dialect} ${code}`).toBe(404);
    }
  });
});
