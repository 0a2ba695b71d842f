import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../logger.ts';
import { defineScripts, loadScripts } from './scripts.ts';

export interface RedisClientOptions {
  url: string;
  /** A command that gets no answer within this fails (ioredis' default is to wait forever). */
  commandTimeoutMs: number;
  logger: Logger;
  /** Connection name shown by CLIENT LIST, so operators can tell the app's connections apart. */
  name?: string;
}

/** Reconnect delay: 50 ms doubling to a 2 s ceiling, with jitter so instances do not reconnect in lockstep. */
export function reconnectDelay(attempt: number): number {
  const base = Math.min(2000, 50 * 2 ** Math.min(attempt, 6));
  return Math.round(base / 2 + Math.random() * (base / 2));
}

/**
 * The command connection. Fail-fast on purpose: while disconnected, commands are refused at
 * once instead of queued (enableOfflineQueue: false), a command in flight fails after
 * `commandTimeoutMs`, and reconnection goes on in the background with a bounded delay.
 * Callers on the request path catch the failure and degrade (serve from SQL, answer 503).
 * Nothing connects until `connect()` is called.
 */
export function createRedis(opts: RedisClientOptions): Redis {
  const options: RedisOptions = {
    lazyConnect: true,
    enableAutoPipelining: true,
    enableOfflineQueue: false,
    commandTimeout: opts.commandTimeoutMs,
    connectTimeout: Math.max(1000, opts.commandTimeoutMs),
    maxRetriesPerRequest: 0,
    retryStrategy: reconnectDelay,
    connectionName: opts.name ?? 'blog-api',
  };
  const redis = new Redis(opts.url, options);
  defineScripts(redis, loadScripts());
  watchConnection(redis, opts.logger);
  return redis;
}

/**
 * A second connection for blocking reads and pub/sub. Commands issued while it reconnects are
 * queued (it is never on the request path), and ioredis re-subscribes after a reconnect.
 */
export function createSubscriber(redis: Redis, logger: Logger, name = 'blog-api:sub'): Redis {
  const sub = redis.duplicate({ enableOfflineQueue: true, commandTimeout: undefined, connectionName: name });
  watchConnection(sub, logger);
  return sub;
}

/** Logs state changes once each, not every failed reconnect attempt. */
function watchConnection(redis: Redis, logger: Logger): void {
  let up = false;
  redis.on('ready', () => {
    if (!up) logger.info('redis connected', { connection: redis.options.connectionName });
    up = true;
  });
  redis.on('error', (err: Error) => {
    if (up) logger.warn('redis connection lost', { connection: redis.options.connectionName, err: err.message });
    up = false;
  });
  redis.on('close', () => {
    if (up) logger.warn('redis connection closed', { connection: redis.options.connectionName });
    up = false;
  });
}

/** Closes a connection: QUIT when it is up (lets pending replies arrive), else disconnect. */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === 'end') return;
  if (redis.status === 'ready') {
    await redis.quit().catch(() => redis.disconnect());
  } else {
    redis.disconnect();
  }
}
