import { randomUUID } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { inject } from 'vitest';
import { createApp, type AppOptions, type BuiltApp } from '../../server/app.ts';
import { systemClock, type Clock } from '../../server/clock.ts';
import { loadConfig, type Config } from '../../server/config.ts';
import { createDb, type Db } from '../../server/db/db.ts';
import { migrate } from '../../server/db/migrate.ts';
import { createLogger, type Logger } from '../../server/logger.ts';
import { closeRedis, createRedis, createSubscriber, type RedisClient } from '../../server/redis/client.ts';
import { checkResponses } from './contract.ts';

export interface TestApp<R extends RedisClient = Redis> extends BuiltApp {
  config: Config;
  redis: R;
  db: Db;
  /** JSON lines the app logged. */
  logs: string[];
  close(): Promise<void>;
}

/** A test app on either kind of Redis, for helpers that only send requests. */
export type AnyTestApp = TestApp<RedisClient>;

export interface TestAppOptions extends AppOptions {
  /** Environment overrides, as strings, like the real environment. */
  env?: Record<string, string>;
  redisUrl?: string;
  /** A Redis Cluster's nodes (`startTestCluster().nodes`): the app runs on it instead of one Redis. */
  clusterNodes?: string[];
  /** Share a database between apps (two instances on one store). */
  db?: Db;
  clock?: Clock;
  logger?: Logger;
}

/** An in-memory PGlite with every migration applied. */
export async function createTestDb(url = 'memory://'): Promise<Db> {
  const db = await createDb({ url });
  await migrate(db);
  return db;
}

/** A random key prefix, so test files and apps never see each other's keys. */
export function testPrefix(): string {
  return `t:${randomUUID().slice(0, 8)}:`;
}

/**
 * Builds the real app in-process on the suite's Redis and a throwaway database.
 * Everything it opened is closed by `close()`.
 */
export async function createTestApp(opts: TestAppOptions & { clusterNodes: string[] }): Promise<TestApp<Cluster>>;
export async function createTestApp(opts?: TestAppOptions): Promise<TestApp>;
export async function createTestApp(opts: TestAppOptions = {}): Promise<TestApp<RedisClient>> {
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    REDIS_KEY_PREFIX: testPrefix(),
    ...(opts.clusterNodes ? { REDIS_CLUSTER_NODES: opts.clusterNodes.join(',') } : { REDIS_URL: opts.redisUrl ?? inject('redisUrl') }),
    DATABASE_URL: 'memory://',
    // Feature tests send far more than 100 requests from one address; rate-limit tests turn it on.
    RATE_LIMIT_ENABLED: 'false',
    // The request path's budgets are production latencies. On a machine running two suites at once
    // they would turn feature tests into timing tests; the tests of the budgets set their own.
    REDIS_COMMAND_TIMEOUT_MS: '5000',
    RATE_LIMIT_TIMEOUT_MS: '5000',
    POST_CACHE_TIMEOUT_MS: '5000',
    POST_FILL_WAIT_MS: '5000',
    ...opts.env,
  });
  const logs: string[] = [];
  const logger = opts.logger ?? createLogger(config.LOG_LEVEL, (line) => logs.push(line));
  const target = config.REDIS_CLUSTER_NODES ? { clusterNodes: config.REDIS_CLUSTER_NODES } : { url: config.REDIS_URL! };
  const redis = createRedis({ ...target, commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS, logger });
  await redis.connect();
  const subscriber = createSubscriber(redis, logger);
  const db = opts.db ?? (await createTestDb());
  const built = createApp({ config, redis, subscriber, db, clock: opts.clock ?? systemClock, logger }, opts);
  // Every REST answer a test receives is checked against the OpenAPI document first (helpers/contract.ts).
  checkResponses(built.app);
  for (const task of built.startup) await task.run();
  return {
    ...built,
    config,
    redis,
    db,
    logs,
    close: async () => {
      for (const task of built.background) await task.stop();
      await closeRedis(subscriber);
      await closeRedis(redis);
      if (!opts.db) await db.close();
    },
  };
}

/** Sends a JSON request to the in-process app. */
export function jsonRequest(
  app: BuiltApp['app'],
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return Promise.resolve(app.request(path, {
    method,
    headers: { ...(body !== undefined && { 'content-type': 'application/json' }), ...headers },
    ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  }));
}
