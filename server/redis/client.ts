import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { Logger } from '../logger.ts';
import { shareCommandDeadline } from './deadline.ts';
import { defineScripts, loadScripts } from './scripts.ts';

/**
 * The app's Redis connection: one server (`Redis`) or a Redis Cluster (`Cluster`). Both have the
 * same command methods, the app's scripts, auto-pipelining, `status` and the connection events,
 * so features take this type and never ask which one they have. What differs on a cluster is
 * written where it matters: keys one command, script or MULTI touches share a hash tag
 * (server/redis/keys.ts), INFO is per node (`eachMaster`), and commands to different nodes are
 * not ordered with each other.
 */
export type RedisClient = Redis | Cluster;

/** Where Redis is: one server's URL, or a cluster's seed nodes (`host:port`; the rest are discovered). */
export type RedisTarget = { url: string; clusterNodes?: undefined } | { clusterNodes: readonly string[]; url?: undefined };

export type RedisClientOptions = RedisTarget & {
  /** A command that gets no answer within this fails (ioredis' default is to wait forever). */
  commandTimeoutMs: number;
  logger: Logger;
  /** Connection name shown by CLIENT LIST, so operators can tell the app's connections apart. */
  name?: string;
};

/** Reconnect delay: 50 ms doubling to a 2 s ceiling, with jitter so instances do not reconnect in lockstep. */
export function reconnectDelay(attempt: number): number {
  const base = Math.min(2000, 50 * 2 ** Math.min(attempt, 6));
  return Math.round(base / 2 + Math.random() * (base / 2));
}

/** `host:port` (or a bare host, port 6379) as ioredis' cluster node. */
export function parseClusterNode(node: string): { host: string; port: number } {
  const colon = node.lastIndexOf(':');
  if (colon < 0) return { host: node, port: 6379 };
  return { host: node.slice(0, colon).replace(/^\[|\]$/g, ''), port: Number(node.slice(colon + 1)) };
}

/**
 * The command connection. Fail-fast on purpose: while disconnected, commands are refused at
 * once instead of queued (enableOfflineQueue: false), a command fails once the oldest command
 * still waiting has waited `commandTimeoutMs` since it was issued (deadline.ts), and reconnection
 * goes on in the background with a bounded delay.
 * Callers on the request path catch the failure and degrade (serve from SQL, answer 503).
 * Nothing connects until `connect()` is called.
 *
 * With `clusterNodes` the same options apply to a Cluster: per-node command timeout and no
 * per-node retries, the cluster's own reconnect delay (`clusterRetryStrategy`), reads from
 * masters only (`scaleReads: 'master'`: a replica may lag, and the app reads its own writes).
 */
export function createRedis(opts: RedisClientOptions & { url: string }): Redis;
export function createRedis(opts: RedisClientOptions & { clusterNodes: readonly string[] }): Cluster;
export function createRedis(opts: RedisClientOptions): RedisClient;
export function createRedis(opts: RedisClientOptions): RedisClient {
  const node: RedisOptions = {
    commandTimeout: opts.commandTimeoutMs,
    connectTimeout: Math.max(1000, opts.commandTimeoutMs),
    maxRetriesPerRequest: 0,
    connectionName: opts.name ?? 'blog-api',
  };
  const scripts = loadScripts();
  let redis: RedisClient;
  if (opts.clusterNodes) {
    const options: ClusterOptions = {
      lazyConnect: true,
      enableAutoPipelining: true,
      // ioredis puts an auto-pipelined command in the pipeline of the node that serves its first
      // argument's slot; for a script whose first argument is its key count that is the wrong
      // node (ioredis#2109). These go out alone, routed by their real keys.
      autoPipeliningIgnoredCommands: scripts.filter((s) => s.numberOfKeys === undefined).map((s) => s.name),
      enableOfflineQueue: false,
      scaleReads: 'master',
      clusterRetryStrategy: reconnectDelay,
      slotsRefreshTimeout: Math.max(1000, opts.commandTimeoutMs),
      redisOptions: node,
    };
    redis = new Cluster(opts.clusterNodes.map(parseClusterNode), options);
  } else {
    const options: RedisOptions = {
      ...node,
      lazyConnect: true,
      enableAutoPipelining: true,
      // It batches a whole turn of the event loop itself (preflight.ts): a pipeline around it is only overhead.
      autoPipeliningIgnoredCommands: ['preflight'],
      enableOfflineQueue: false,
      retryStrategy: reconnectDelay,
    };
    redis = new Redis(opts.url, options);
  }
  defineScripts(redis, scripts);
  shareCommandDeadline(redis, opts.commandTimeoutMs, scripts.map((s) => s.name));
  watchConnection(redis, opts.logger);
  return redis;
}

/** The name given to the connection (each node's, on a cluster). */
export function connectionName(redis: RedisClient): string | undefined {
  return redis instanceof Cluster ? redis.options.redisOptions?.connectionName : redis.options.connectionName;
}

/**
 * A second connection for blocking reads and pub/sub. Commands issued while it reconnects are
 * queued (it is never on the request path), and ioredis re-subscribes after a reconnect.
 * On a cluster it is a second Cluster: pub/sub goes through one node (a PUBLISH reaches every
 * node's subscribers), and a blocking XREAD blocks only this cluster's connection to the stream's node.
 */
export function createSubscriber<C extends RedisClient>(redis: C, logger: Logger, name = 'blog-api:sub'): C {
  const sub = (
    redis instanceof Cluster
      ? redis.duplicate([], {
          enableOfflineQueue: true,
          redisOptions: { ...redis.options.redisOptions, commandTimeout: undefined, connectionName: name },
        })
      : redis.duplicate({ enableOfflineQueue: true, commandTimeout: undefined, connectionName: name })
  ) as C;
  watchConnection(sub, logger);
  return sub;
}

/**
 * Runs `command` on every master of a cluster (on the one server otherwise) and returns the
 * replies: for what each node answers alone (INFO, PING). On a cluster not yet connected it is
 * the masters known so far, possibly none.
 */
export function eachMaster<T>(redis: RedisClient, command: (node: Redis) => Promise<T>): Promise<T[]> {
  return Promise.all((redis instanceof Cluster ? redis.nodes('master') : [redis]).map(command));
}

/** Logs state changes once each, not every failed reconnect attempt. */
function watchConnection(redis: RedisClient, logger: Logger): void {
  let up = false;
  const connection = connectionName(redis);
  redis.on('ready', () => {
    if (!up) logger.info('redis connected', { connection });
    up = true;
  });
  redis.on('error', (err: Error) => {
    if (up) logger.warn('redis connection lost', { connection, err });
    up = false;
  });
  redis.on('close', () => {
    if (up) logger.warn('redis connection closed', { connection });
    up = false;
  });
}

/** Closes a connection: QUIT when it is up (lets pending replies arrive), else disconnect. */
export async function closeRedis(redis: RedisClient): Promise<void> {
  if (redis.status === 'end') return;
  if (redis.status === 'ready') {
    await redis.quit().catch(() => redis.disconnect());
  } else {
    redis.disconnect();
  }
}
