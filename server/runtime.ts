import { join, resolve } from 'node:path';
import { createApp, type AppOptions, type BuiltApp } from './app.ts';
import { systemClock } from './clock.ts';
import type { Config } from './config.ts';
import { createDb, type Db } from './db/db.ts';
import type { ForeignLock } from './db/dir-lock.ts';
import { migrate } from './db/migrate.ts';
import type { Logger } from './logger.ts';
import { closeRedis, createRedis, createSubscriber, type RedisClient, type RedisTarget } from './redis/client.ts';
import { warnOnEvictionPolicy } from './redis/eviction-check.ts';
import { findRedisServer, redisAnswers, startLocalRedis, type LocalRedis } from './redis/local-server.ts';
import type { StartupPhases } from './startup-phases.ts';

export class StartupError extends Error {
  override name = 'StartupError';
}

/**
 * Where Redis is: the cluster of REDIS_CLUSTER_NODES, else REDIS_URL, else 127.0.0.1:6379 when it
 * answers, else a redis-server child we start (never for a cluster: it is run by its operator).
 */
async function resolveRedis(config: Config, logger: Logger): Promise<{ target: RedisTarget; local: LocalRedis | null }> {
  if (config.REDIS_CLUSTER_NODES) return { target: { clusterNodes: config.REDIS_CLUSTER_NODES }, local: null };
  if (config.REDIS_URL) return { target: { url: config.REDIS_URL }, local: null };
  if (await redisAnswers('127.0.0.1', 6379)) return { target: { url: 'redis://127.0.0.1:6379' }, local: null };
  if (!findRedisServer()) {
    throw new StartupError(
      'redis-server not found and REDIS_URL is unset: run `npm run setup:redis` (installs Redis), or set REDIS_URL, or use `docker compose up`',
    );
  }
  const dir = resolve(config.DATA_DIR, 'redis');
  const local = await startLocalRedis({ dir, port: 6379, appendOnly: true });
  logger.info('started local redis-server', { url: local.url, dir, pid: local.pid });
  return { target: { url: local.url }, local };
}

/** The stores every process of this app opens: Redis (reachable or not) and the SQL store, migrated. */
export interface Stores {
  redis: RedisClient;
  db: Db;
  /** Redis answered when the stores were opened (the server serves without it; the admin command does not). */
  redisReady: boolean;
  /** Closes Redis, the database and any local redis-server. */
  close(): Promise<void>;
}

/**
 * Opens Redis and the SQL store from config, as the server does; the admin command (server/admin/)
 * too, refusing a PGlite lock it cannot check (`foreignLock`, see server/db/dir-lock.ts).
 */
export async function openStores(
  config: Config,
  logger: Logger,
  opts: { foreignLock?: ForeignLock; phases?: StartupPhases } = {},
): Promise<Stores> {
  const { target, local } = await resolveRedis(config, logger);
  let redis: RedisClient | undefined;
  let db: Db | undefined;
  try {
    redis = createRedis({ ...target, commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS, logger });
    // A Redis that is down at start-up is not fatal: the app serves reads from SQL and reconnects.
    const redisReady = await redis.connect().then(
      async () => {
        await warnOnEvictionPolicy(redis!, logger).catch(() => {}); // a failed check is no reason not to start
        return true;
      },
      (err: Error) => {
        logger.warn('redis not reachable at start-up', { err });
        return false;
      },
    );
    opts.phases?.end('redis');
    db = await createDb({ url: config.DATABASE_URL ?? join(resolve(config.DATA_DIR), 'pg'), foreignLock: opts.foreignLock });
    opts.phases?.end('database');
    const applied = await migrate(db);
    if (applied.length > 0) logger.info('applied migrations', { versions: applied });
    opts.phases?.end('migrations');
    const [openRedis, openDb] = [redis, db];
    return {
      redis: openRedis,
      db: openDb,
      redisReady,
      close: async () => {
        await closeRedis(openRedis);
        await openDb.close();
        await local?.stop();
      },
    };
  } catch (err) {
    if (redis) await closeRedis(redis);
    await db?.close();
    await local?.stop();
    throw err;
  }
}

export interface Runtime extends BuiltApp {
  /** Starts background work; call after the server listens. */
  startBackground(): void;
  /** Ends long-lived responses (live event streams); call when the server stops accepting, before awaiting its close. */
  drain(): void;
  /** Stops background work, then closes Redis, the database and any local redis-server. */
  close(): Promise<void>;
}

/**
 * Composes the production app from config: Redis, the SQL store (migrated), services and
 * background work. Both runtime entries (Node and Bun) use this; only serving differs.
 */
export async function createRuntime(
  config: Config,
  logger: Logger,
  { phases, ...options }: AppOptions & { phases?: StartupPhases } = {},
): Promise<Runtime> {
  const stores = await openStores(config, logger, { phases });
  const { redis, db } = stores;
  // The app's one pub/sub connection: it connects on its first SUBSCRIBE (during start-up).
  const subscriber = createSubscriber(redis, logger);
  const built = createApp({ config, redis, subscriber, db, clock: systemClock, logger }, options);
  phases?.end('app');
  try {
    // Independent of each other: side by side, start-up waits for the slowest alone. All settle
    // before a failure closes the stores, so none is left running on closed connections.
    const failed = (await Promise.allSettled(built.startup.map((task) => task.run()))).find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    phases?.end('startupTasks');
  } catch (err) {
    await closeRedis(subscriber);
    await stores.close();
    throw err;
  }
  return {
    ...built,
    startBackground: () => built.background.forEach((task) => task.start()),
    drain: () => built.background.forEach((task) => task.drain?.()),
    close: async () => {
      for (const task of built.background) {
        await task.stop().catch((err: unknown) => logger.error('background task failed to stop', { task: task.name, err }));
      }
      await closeRedis(subscriber);
      await stores.close();
    },
  };
}
