import type { Metadata } from './types.ts';

function isPlainObject(v: unknown): v is Metadata {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Deep-merges `patch` into `base`, as Clerk's metadata endpoint does: objects merge key by key,
 * any other value replaces, and `null` removes the key.
 * @example mergeMetadata({ a: { b: 1, c: 2 } }, { a: { c: null, d: 3 } }) // { a: { b: 1, d: 3 } }
 */
export function mergeMetadata(base: Metadata, patch: Metadata): Metadata {
  const out: Metadata = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    // Objects always merge (into {} when there is nothing to merge into), so a null inside a
    // patch never gets stored and merging the same patch twice changes nothing (RFC 7386).
    else if (isPlainObject(value)) out[key] = mergeMetadata(isPlainObject(out[key]) ? (out[key] as Metadata) : {}, value);
    else out[key] = value;
  }
  return out;
}

/** Bounds metadata size, as Clerk does (8 KB per kind), so one user cannot bloat every read. */
export const METADATA_MAX_BYTES = 8 * 1024;

export function metadataTooLarge(m: Metadata): boolean {
  return Buffer.byteLength(JSON.stringify(m)) > METADATA_MAX_BYTES;
}
