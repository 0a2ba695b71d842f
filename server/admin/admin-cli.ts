import { createApp } from '../app.ts';
import { systemClock } from '../clock.ts';
import { ConfigError, loadConfig } from '../config.ts';
import { AppError } from '../errors.ts';
import { createLogger } from '../logger.ts';
import { closeRedis, createSubscriber } from '../redis/client.ts';
import { openStores } from '../runtime.ts';
import { ADMIN_USAGE, parseAdminArgs, runAdminCommand } from './admin-commands.ts';

/** Where the command writes: its answer to `out`, errors and the app's warnings to `err`. */
export interface AdminIo {
  out(line: string): void;
  err(line: string): void;
}

/** Exit codes: done, failed (no such account, a store not answering), or not run (usage, configuration). */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/**
 * `npm run admin -- <command>`: the operator's commands, against the stores the server uses
 * (same config, same factories: openStores and createApp), without serving anything. Redis must
 * answer: a role change or a deletion has to reach the live sessions too.
 */
export async function runAdminCli(argv: readonly string[], env: Record<string, string | undefined>, io: AdminIo): Promise<number> {
  const command = parseAdminArgs(argv);
  if ('error' in command) {
    io.err(`${command.error}\n${ADMIN_USAGE}`);
    return EXIT.usage;
  }
  let config;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    io.err(err.message);
    return EXIT.usage;
  }
  // The app's own lines (warnings and worse) go to stderr, so stdout is the command's answer alone.
  const logger = createLogger(config.LOG_LEVEL === 'debug' ? 'debug' : 'warn', io.err);
  let stores;
  try {
    stores = await openStores(config, logger, { foreignLock: 'refuse' });
  } catch (err) {
    io.err(err instanceof Error ? err.message : String(err));
    return EXIT.failed;
  }
  const subscriber = createSubscriber(stores.redis, logger);
  try {
    if (!stores.redisReady) {
      io.err('Redis is not answering: the command must reach the live sessions too. Start Redis (or set REDIS_URL) and run it again');
      return EXIT.failed;
    }
    const { services } = createApp({ config, redis: stores.redis, subscriber, db: stores.db, clock: systemClock, logger });
    const outcome = await runAdminCommand(services.auth, command);
    outcome.lines.forEach(io.out);
    return outcome.ok ? EXIT.ok : EXIT.failed;
  } catch (err) {
    if (!(err instanceof AppError) || err.appCode === 'INTERNAL') throw err;
    io.err(err.message);
    return EXIT.failed;
  } finally {
    await closeRedis(subscriber);
    await stores.close();
  }
}
