import { hash, verify } from '@node-rs/argon2';
import { availableParallelism } from 'node:os';
import { DomainError } from '../errors.ts';
import { type ForeignHasher, FOREIGN_HASHERS, verifyForeignDigest } from './foreign-digests.ts';

/** The hasher name Latchkey stores for its own digests. */
export const NATIVE_HASHER = 'argon2id';

export interface HashingOptions {
  /** Argon2id memory in KiB (security baseline: 19456). Tests may lower it. */
  memoryCost: number;
  timeCost: number;
  /** Hashes running at once; more only queue inside libuv and raise latency. */
  concurrency: number;
  /** Hashes waiting for a slot before new ones are refused with `hasher_busy`. */
  maxQueue: number;
}

export const DEFAULT_HASHING: HashingOptions = {
  memoryCost: 19456,
  timeCost: 2,
  // One hash per core. More run no faster (they only time-slice the cores and thrash the cache:
  // measured on 2 cores at half load, a hash's own p99 went from 53 ms with 4 slots to 25 ms with
  // 2, at the same throughput); the rest wait in the bounded queue below. libuv's thread pool
  // (4 threads by default) keeps spare threads for file and DNS work.
  concurrency: Math.max(2, availableParallelism()),
  maxQueue: 256,
};

export interface PasswordHasher {
  /** Hashes a (normalised) password to an argon2id PHC string. */
  hash(password: string): Promise<string>;
  /** Checks a password against a stored digest of any supported hasher. */
  verify(password: string, digest: string, hasher: string): Promise<boolean>;
  /** True when a stored digest should be replaced by a fresh native one after a successful check. */
  needsRehash(digest: string, hasher: string): boolean;
}

/**
 * A counting semaphore with a bounded wait list. Past the bound it refuses at once, so a burst
 * of sign-ups cannot grow memory without limit.
 */
export function boundedGate(concurrency: number, maxQueue: number) {
  let running = 0;
  const waiting: Array<() => void> = [];
  return async function run<T>(task: () => Promise<T>): Promise<T> {
    if (running >= concurrency) {
      if (waiting.length >= maxQueue) {
        throw new DomainError('hasher_busy', 'Too many password checks in progress, try again shortly', { retryAfterSeconds: 1 });
      }
      await new Promise<void>((resolve) => waiting.push(resolve));
    } else {
      running++;
    }
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  };
}

export function createPasswordHasher(options: HashingOptions = DEFAULT_HASHING): PasswordHasher {
  const gate = boundedGate(options.concurrency, options.maxQueue);
  const argonOptions = { algorithm: 2 /* Argon2id */, memoryCost: options.memoryCost, timeCost: options.timeCost, parallelism: 1 };
  const nativePrefix = `$argon2id$v=19$m=${options.memoryCost},t=${options.timeCost},p=1$`;
  return {
    hash: (password) => gate(() => hash(password, argonOptions)),
    verify(password, digest, hasher) {
      if (hasher === NATIVE_HASHER) return gate(() => verify(digest, password).catch(() => false));
      if (!(FOREIGN_HASHERS as readonly string[]).includes(hasher)) return Promise.resolve(false);
      return gate(() => verifyForeignDigest(hasher as ForeignHasher, digest, password));
    },
    needsRehash(digest, hasher) {
      return hasher !== NATIVE_HASHER || !digest.startsWith(nativePrefix);
    },
  };
}
