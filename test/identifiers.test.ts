/**
 * Identifier validation and normalisation (src/core/users/identifiers.ts) and the metadata
 * deep merge (src/core/users/metadata.ts). Pure functions: no storage.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DomainError } from '../src/core/errors.ts';
import { lookupForm, normalizeEmail, normalizePhone, normalizeWeb3Wallet } from '../src/core/users/identifiers.ts';
import { mergeMetadata, METADATA_MAX_BYTES, metadataTooLarge } from '../src/core/users/metadata.ts';
import type { Metadata } from '../src/core/users/types.ts';

function thrown(run: () => unknown): DomainError {
  try {
    run();
  } catch (e) {
    if (e instanceof DomainError) return e;
    throw e;
  }
  throw new Error('expected a DomainError, but the call succeeded');
}

describe('email addresses', () => {
  it('accepts valid addresses, keeps their case for display and lower-cases the comparison form', () => {
    const cases: Array<[string, string, string]> = [
      ['a@b.co', 'a@b.co', 'a@b.co'],
      ['Ann.Lee@Example.COM', 'Ann.Lee@Example.COM', 'ann.lee@example.com'],
      ['first.last+tag@sub.example.org', 'first.last+tag@sub.example.org', 'first.last+tag@sub.example.org'],
      ["o'brien_x-y@mail.example.ie", "o'brien_x-y@mail.example.ie", "o'brien_x-y@mail.example.ie"],
      ['  padded@example.com \n', 'padded@example.com', 'padded@example.com'],
    ];
    for (const [input, value, normalized] of cases) {
      expect(normalizeEmail(input)).toEqual({ type: 'email_address', value, normalized });
    }
  });

  it('rejects invalid addresses with invalid_email on the given param', () => {
    const invalid = [
      '',
      'plainaddress',
      '@example.com',
      'user@',
      'user@localhost',
      'user@example.c',
      'two@@example.com',
      'a@b@example.com',
      'spa ce@example.com',
      'user@exa mple.com',
      '"quoted"@example.com',
      '<angle>@example.com',
      'semi;colon@example.com',
      'comma,here@example.com',
      'paren(s)@example.com',
      // Outside RFC 5322's ASCII dot-atom form, which the Clerk contract's `email` format checks.
      'ünïcødé@exämple.de',
      '¡@example.com',
      `${'a'.repeat(250)}@x.com`,
    ];
    for (const input of invalid) {
      const err = thrown(() => normalizeEmail(input));
      expect(err.code, input).toBe('invalid_email');
      expect(err.meta.param).toBe('email_address');
    }
    expect(thrown(() => normalizeEmail('nope', 'email_addresses')).meta.param).toBe('email_addresses');
  });

  it('allows exactly 254 characters and no more', () => {
    const local = 'a'.repeat(64);
    // Domain labels stay within DNS's 63 characters: three of 50, then the rest.
    const fill = (n: number) => `${local}@${['b'.repeat(50), 'b'.repeat(50), 'b'.repeat(50), 'b'.repeat(n - local.length - 1 - 4 - 153)].join('.')}.com`;
    expect(fill(254)).toHaveLength(254);
    expect(normalizeEmail(fill(254)).value).toHaveLength(254);
    expect(thrown(() => normalizeEmail(fill(255))).code).toBe('invalid_email');
  });
});

describe('phone numbers', () => {
  it('normalises spaced, dashed and bracketed input to E.164', () => {
    const cases: Array<[string, string]> = [
      ['+44 20 7946 0958', '+442079460958'],
      ['+442079460958', '+442079460958'],
      ['+1-415-555-2671', '+14155552671'],
      ['+1 (415) 555-2671', '+14155552671'],
      ['14155552671', '+14155552671'],
      ['  +33 6 12 34 56 78  ', '+33612345678'],
      ['+49 30 901820', '+4930901820'],
    ];
    for (const [input, e164] of cases) {
      expect(normalizePhone(input), input).toEqual({ type: 'phone_number', value: e164, normalized: e164 });
    }
  });

  it('rejects invalid numbers with invalid_phone on the given param', () => {
    for (const input of ['', 'abc', '+1 555', '+999123', '+44 20', '+1 415 555 2671 999 999', '12', `+${'1'.repeat(41)}`, 'not a number +44']) {
      const err = thrown(() => normalizePhone(input));
      expect(err.code, input).toBe('invalid_phone');
      expect(err.meta.param).toBe('phone_number');
    }
    expect(thrown(() => normalizePhone('abc', 'phone_numbers')).meta.param).toBe('phone_numbers');
  });
});

describe('web3 wallets', () => {
  const wallet = '0x52908400098527886E0F7030069857D2E4169EE7';

  it('accepts 0x + 40 hex digits, keeps the checksum case for display, lower-cases the comparison form', () => {
    expect(normalizeWeb3Wallet(wallet)).toEqual({ type: 'web3_wallet', value: wallet, normalized: wallet.toLowerCase() });
    expect(normalizeWeb3Wallet(` ${wallet.toLowerCase()} `).value).toBe(wallet.toLowerCase());
  });

  it('rejects anything else with invalid_web3_wallet', () => {
    for (const input of ['', wallet.slice(0, -1), `${wallet}0`, wallet.slice(2), `0X${wallet.slice(2)}`, `0x${'g'.repeat(40)}`, `0x${'a'.repeat(39)} `.trim()]) {
      const err = thrown(() => normalizeWeb3Wallet(input));
      expect(err.code, input).toBe('invalid_web3_wallet');
      expect(err.meta.param).toBe('web3_wallet');
    }
  });
});

describe('lookupForm', () => {
  it('gives the stored comparison form, or null for input that can never match', () => {
    expect(lookupForm('email_address', ' Ann@Example.COM ')).toBe('ann@example.com');
    expect(lookupForm('phone_number', '+44 20 7946 0958')).toBe('+442079460958');
    expect(lookupForm('web3_wallet', '0x52908400098527886E0F7030069857D2E4169EE7')).toBe('0x52908400098527886e0f7030069857d2e4169ee7');
    expect(lookupForm('email_address', 'not an email')).toBeNull();
    expect(lookupForm('phone_number', 'abc')).toBeNull();
    expect(lookupForm('web3_wallet', '0x12')).toBeNull();
  });
});

describe('mergeMetadata', () => {
  it('merges objects key by key, replaces other values and removes keys set to null', () => {
    expect(mergeMetadata({ a: { b: 1, c: 2 } }, { a: { c: null, d: 3 } })).toEqual({ a: { b: 1, d: 3 } });
    expect(mergeMetadata({ a: 1, b: 2 }, { b: null, c: 3 })).toEqual({ a: 1, c: 3 });
    expect(mergeMetadata({ deep: { x: { y: { z: 1, w: 2 } } } }, { deep: { x: { y: { w: null, v: 3 } } } })).toEqual({ deep: { x: { y: { z: 1, v: 3 } } } });
  });

  it('replaces arrays and scalars whole, and objects by scalars and back', () => {
    expect(mergeMetadata({ list: [1, 2, 3] }, { list: [4] })).toEqual({ list: [4] });
    expect(mergeMetadata({ list: [{ a: 1 }] }, { list: [{ b: 2 }] })).toEqual({ list: [{ b: 2 }] });
    expect(mergeMetadata({ o: { a: 1 } }, { o: 'flat' })).toEqual({ o: 'flat' });
    expect(mergeMetadata({ o: 'flat' }, { o: { a: 1 } })).toEqual({ o: { a: 1 } });
    expect(mergeMetadata({ o: [1] }, { o: { a: 1 } })).toEqual({ o: { a: 1 } });
    expect(mergeMetadata({ o: { a: 1 } }, { o: [1] })).toEqual({ o: [1] });
    expect(mergeMetadata({ f: true, n: 0, s: '' }, { f: false, n: 1, s: 'x' })).toEqual({ f: false, n: 1, s: 'x' });
  });

  it('removing a key that is absent is a no-op; an empty patch object keeps the value', () => {
    expect(mergeMetadata({ a: 1 }, { missing: null })).toEqual({ a: 1 });
    expect(mergeMetadata({ a: { b: 1 } }, { a: {} })).toEqual({ a: { b: 1 } });
    expect(mergeMetadata({}, {})).toEqual({});
  });

  it('a null in a patch is never stored, even under a key the base lacks', () => {
    // "null removes the key": there is nothing to remove, so nothing (and no null) is kept,
    // as in a JSON merge patch (RFC 7386). Keeping the null also makes a retried merge differ.
    const once = mergeMetadata({}, { x: { y: null, z: 1 } });
    expect(once).toEqual({ x: { z: 1 } });
    expect(mergeMetadata(once, { x: { y: null, z: 1 } })).toEqual(once);
    expect(mergeMetadata({ x: 'scalar' }, { x: { deep: { gone: null } } })).toEqual({ x: { deep: {} } });
  });

  it('does not modify its arguments', () => {
    const base = Object.freeze({ a: Object.freeze({ b: 1, c: Object.freeze({ d: 2 }) }), list: Object.freeze([1]) });
    const patch = Object.freeze({ a: Object.freeze({ c: Object.freeze({ e: 3 }), b: null }) });
    const snapshot = JSON.stringify(base);
    expect(mergeMetadata(base as Metadata, patch as Metadata)).toEqual({ a: { c: { d: 2, e: 3 } }, list: [1] });
    expect(JSON.stringify(base)).toBe(snapshot);
  });

  it('metadataTooLarge bounds the serialised size at 8 KB', () => {
    expect(METADATA_MAX_BYTES).toBe(8192);
    const fits = { k: 'x'.repeat(8192 - '{"k":""}'.length) };
    expect(Buffer.byteLength(JSON.stringify(fits))).toBe(8192);
    expect(metadataTooLarge(fits)).toBe(false);
    expect(metadataTooLarge({ k: `${fits.k}x` })).toBe(true);
    // Bytes, not characters.
    const twoByte = { k: 'é'.repeat(4100) };
    expect(JSON.stringify(twoByte).length).toBeLessThan(8192);
    expect(metadataTooLarge(twoByte)).toBe(true);
  });

  describe('properties', () => {
    // A small key alphabet so base and patch often share keys, at several depths.
    const key = fc.constantFrom('a', 'b', 'c', 'd', 'e');
    const leaf = fc.oneof(fc.integer(), fc.boolean(), fc.string({ maxLength: 5 }), fc.array(fc.integer(), { maxLength: 3 }));
    const tree = (withNulls: boolean) =>
      fc.letrec<{ obj: Metadata; value: unknown }>((tie) => ({
        obj: fc.dictionary(key, tie('value'), { maxKeys: 4 }) as fc.Arbitrary<Metadata>,
        value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, ...(withNulls ? [fc.constant(null)] : []), tie('obj')),
      })).obj;

    const isObject = (v: unknown): v is Metadata => typeof v === 'object' && v !== null && !Array.isArray(v);

    /** Every path through `m` to a value that is neither an object nor null. */
    function leaves(m: Metadata, prefix: string[] = []): Array<[string[], unknown]> {
      return Object.entries(m).flatMap(([k, v]): Array<[string[], unknown]> => {
        if (v === null) return [];
        if (isObject(v)) return leaves(v, [...prefix, k]);
        return [[[...prefix, k], v]];
      });
    }
    const read = (m: unknown, path: string[]) => path.reduce<unknown>((node, k) => (isObject(node) ? node[k] : undefined), m);

    it('merging an empty patch gives the base back', () => {
      fc.assert(
        fc.property(tree(true), (a) => {
          expect(mergeMetadata(a, {})).toEqual(a);
        }),
        { numRuns: 300 },
      );
    });

    it("after merging b, every non-null leaf of b reads back as b's value", () => {
      fc.assert(
        fc.property(tree(false), tree(true), (a, b) => {
          const merged = mergeMetadata(a, b);
          for (const [path, value] of leaves(b)) expect(read(merged, path)).toEqual(value);
        }),
        { numRuns: 500 },
      );
    });

    it('top-level keys set to null are gone; keys b does not mention are untouched', () => {
      fc.assert(
        fc.property(tree(false), tree(true), (a, b) => {
          const merged = mergeMetadata(a, b);
          for (const [k, v] of Object.entries(b)) if (v === null) expect(Object.hasOwn(merged, k)).toBe(false);
          for (const [k, v] of Object.entries(a)) if (!Object.hasOwn(b, k)) expect(merged[k]).toEqual(v);
        }),
        { numRuns: 500 },
      );
    });

    it('merging the same patch twice changes nothing more', () => {
      fc.assert(
        fc.property(tree(false), tree(false), (a, b) => {
          const once = mergeMetadata(a, b);
          expect(mergeMetadata(once, b)).toEqual(once);
        }),
        { numRuns: 300 },
      );
    });
  });
});
