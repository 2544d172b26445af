import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from './config.ts';

/**
 * The key that encrypts secrets at rest. From LATCHKEY_ENCRYPTION_KEY (32 bytes, base64 or hex)
 * when set; otherwise, for development, generated once and kept in the data folder. Every node
 * sharing a database must use the same key, so production sets the variable.
 */
export async function loadEncryptionKey(configured: string | undefined, dataDir: string): Promise<Buffer> {
  if (configured) {
    const key = /^[0-9a-f]{64}$/i.test(configured) ? Buffer.from(configured, 'hex') : Buffer.from(configured, 'base64');
    if (key.length !== 32) throw new ConfigError('Invalid LATCHKEY_ENCRYPTION_KEY: must be 32 bytes as 64 hex characters or base64');
    return key;
  }
  if (dataDir.startsWith('memory://')) return randomBytes(32);
  const file = join(dataDir, 'encryption.key');
  try {
    return Buffer.from((await readFile(file, 'utf8')).trim(), 'base64');
  } catch {
    await mkdir(dataDir, { recursive: true });
    const key = randomBytes(32);
    await writeFile(file, key.toString('base64'), { mode: 0o600, flag: 'wx' }).catch(async () => {
      // Another process won the race; use its key.
    });
    return Buffer.from((await readFile(file, 'utf8')).trim(), 'base64');
  }
}
