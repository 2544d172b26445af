import { createApp, openStorage } from './app.ts';
import { ConfigError, loadConfig } from './config.ts';
import { systemClock } from './core/clock.ts';
import { isDomainError } from './core/errors.ts';
import { createSecretKeyService } from './core/keys/secret-keys.ts';
import { outboxCommand } from './delivery/outbox-cli.ts';
import { releaseBootMemory } from './memory.ts';
import { createStore } from './storage/store.ts';
import { secretBox } from './core/crypto/secret-box.ts';
import { MAX_SESSION_TOKEN_SECONDS } from './core/tokens/session-tokens.ts';
import { createSigningKeys } from './core/tokens/signing-keys.ts';
import { loadEncryptionKey } from './encryption-key.ts';

const USAGE = `Usage: latchkey <command>

  serve                 start the server (runs migrations first)
  migrate               bring the database schema up to date
  keys create [name]    create an instance secret key; it is printed once
  keys list             list secret keys (never the keys themselves)
  keys revoke <id>      revoke a secret key
  keys rotate-signing   new session-token signing key; the old one stays in JWKS until its tokens expire
  outbox list [n]       show the n most recent emails and SMS (default 20), with bodies
`;

async function serve() {
  const config = loadConfig();
  const app = await createApp(config);
  if (app.firstKey) {
    // Printed to the terminal once, never through the logger.
    process.stdout.write(`\nNo secret key existed, so one was created. It is shown only this once:\n\n  ${app.firstKey}\n\n`);
  }
  const address = await app.http.listen({ port: config.port, host: config.host });
  releaseBootMemory();
  process.stdout.write(`Latchkey listening on ${address} (${app.database.kind}); API docs at ${address}/docs\n`);
  const stop = async () => {
    await app.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

async function keys(args: string[]) {
  const config = loadConfig();
  const database = await openStorage(config);
  try {
    const service = createSecretKeyService({ store: createStore(database.db), clock: systemClock });
    const [sub, arg] = args;
    if (sub === 'create') {
      const { key, record } = await service.create(arg ?? 'cli');
      process.stdout.write(`${record.id}\n${key}\n`);
    } else if (sub === 'list') {
      for (const k of await service.list()) {
        process.stdout.write(`${k.id}\t${k.name}\t...${k.lastFour}\t${k.createdAt.toISOString()}\t${k.revokedAt ? `revoked ${k.revokedAt.toISOString()}` : 'active'}\n`);
      }
    } else if (sub === 'revoke' && arg) {
      await service.revoke(arg);
      process.stdout.write(`revoked ${arg}\n`);
    } else if (sub === 'rotate-signing' && !arg) {
      // The private key is sealed with the same encryption key the server uses, so it can open it.
      const box = secretBox(await loadEncryptionKey(config.encryptionKey, config.dataDir));
      const maxSessionTokenSeconds = Math.max(config.sessionTokenSeconds, MAX_SESSION_TOKEN_SECONDS);
      const { kid } = await createSigningKeys({ store: createStore(database.db), clock: systemClock, box, maxSessionTokenSeconds }).rotate();
      process.stdout.write(`${kid}\n`);
    } else {
      process.stderr.write(USAGE);
      process.exitCode = 2;
    }
  } finally {
    await database.close();
  }
}

async function outbox(args: string[]) {
  const database = await openStorage(loadConfig());
  try {
    if (!(await outboxCommand(args, createStore(database.db), (s) => process.stdout.write(s)))) {
      process.stderr.write(USAGE);
      process.exitCode = 2;
    }
  } finally {
    await database.close();
  }
}

async function main(argv: string[]) {
  const [command, ...rest] = argv;
  if (command === 'serve') return serve();
  if (command === 'migrate') {
    const database = await openStorage(loadConfig());
    await database.close();
    process.stdout.write('migrations applied\n');
    return;
  }
  if (command === 'keys') return keys(rest);
  if (command === 'outbox') return outbox(rest);
  process.stderr.write(USAGE);
  process.exitCode = command ? 2 : 0;
}

main(process.argv.slice(2)).catch((e) => {
  if (e instanceof ConfigError || isDomainError(e)) process.stderr.write(`latchkey: ${e.message}\n`);
  else process.stderr.write(`latchkey: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
