import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { inject } from 'vitest';
import { createDb, type Db } from '../../server/db/db.ts';
import { freePort } from '../../server/redis/local-server.ts';
import { startServerProcess, type ServerProcess } from '../helpers/process.ts';
import { startProcessRedis } from '../helpers/redis.ts';

/**
 * What one reliability test file runs on, all real processes: a private redis-server, a fresh
 * PostgreSQL database of its own on the suite's throwaway cluster, and two API instances
 * (`node --import tsx server/main.node.ts`, one process each, so a signal reaches the server itself).
 */
export interface Stack {
  /** A direct connection for assertions (not the app's); reconnects by itself after a restart. */
  probe: Redis;
  /** The instances' database, for assertions and for writes made behind the app's back. */
  db: Db;
  instances: ServerProcess[];
  /** SIGKILL (a crash) or SIGTERM (SHUTDOWN, which writes the AOF out) to Redis; resolves once it has exited. */
  stopRedis(how: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** Starts Redis again on the same port and directory (it loads its AOF, if it has one). */
  startRedisAgain(): Promise<void>;
  /** Stops everything it started, whatever state it is in. Safe to call twice. */
  stop(): Promise<void>;
}

export interface RedisOptions {
  appendOnly?: boolean;
  /** `maxmemory`, e.g. `4mb` (the eviction policy is the app's, from server/redis/local-server.ts). */
  maxMemory?: string;
  /** More redis-server arguments, e.g. ['--appendfsync', 'always']. */
  extraArgs?: string[];
}

/**
 * The suite's PostgreSQL, or a clear failure: two instances must share one SQL store, and PGlite
 * lives inside one process, so without PostgreSQL there is nothing meaningful to test.
 */
export function requirePostgres(): string {
  const url = inject('postgresUrl');
  if (!url) {
    throw new Error(
      'the reliability suite needs PostgreSQL (initdb and pg_ctl on PATH or under /usr/lib/postgresql): ' +
        'its two API instances share one SQL store through DATABASE_URL, and PGlite lives inside one process',
    );
  }
  return url;
}

/** The secret every instance must share so they hash anonymous visitors alike. */
const VISITOR_SECRET = randomBytes(32).toString('hex');

/**
 * Environment of every instance: a private Redis and database, rate limits on but with budgets the
 * bounded load never reaches (the outage still exercises the fail-closed login group), a short
 * command timeout so a dead Redis is noticed quickly.
 */
function instanceEnv(redisUrl: string, databaseUrl: string, extra: Record<string, string>): Record<string, string> {
  return {
    NODE_ENV: 'test',
    REDIS_URL: redisUrl,
    DATABASE_URL: databaseUrl,
    ANALYTICS_VISITOR_SECRET: VISITOR_SECRET,
    RATE_LIMIT_MAX: '100000',
    RATE_LIMIT_WRITE: '100000/1m',
    RATE_LIMIT_LOGIN: '100000/1m',
    RATE_LIMIT_REGISTER: '100000/1m',
    LOGIN_SLOWDOWN_MS: '0',
    REDIS_COMMAND_TIMEOUT_MS: '500',
    SHUTDOWN_TIMEOUT_MS: '5000',
    ...extra,
  };
}

export async function startStack(opts: { redis?: RedisOptions; env?: Record<string, string>; instances?: number } = {}): Promise<Stack> {
  const adminUrl = requirePostgres();
  const started: { stop(): Promise<unknown> }[] = [];
  const stopAll = async () => {
    // Newest first: instances before the stores they use. Each stop is attempted whatever the others do.
    for (const s of started.splice(0).reverse()) await s.stop().catch(() => {});
  };
  try {
    const redisOptions = opts.redis ?? {};
    // Our own directory, so that it (and the AOF in it) outlives restarts; removed at the end.
    const dir = mkdtempSync(join(tmpdir(), 'blog-reliability-redis-'));
    let redis = await startProcessRedis({ ...redisOptions, dir });
    started.push({
      stop: async () => {
        await redis.stop(); // the Redis started last, after any restarts
        rmSync(dir, { recursive: true, force: true });
      },
    });

    const admin = await createDb({ url: adminUrl });
    const name = `reliability_${randomBytes(6).toString('hex')}`;
    await admin.exec(`create database ${name}`);
    await admin.close();
    const databaseUrl = adminUrl.replace(/\/postgres$/, `/${name}`);
    started.push({
      stop: async () => {
        const dropper = await createDb({ url: adminUrl });
        try {
          await dropper.exec(`drop database if exists ${name} with (force)`);
        } finally {
          await dropper.close();
        }
      },
    });
    const db = await createDb({ url: databaseUrl });
    started.push({ stop: () => db.close() });

    // Commands wait (offline queue) while Redis is being restarted.
    const probe = new Redis(redis.url, { retryStrategy: () => 100 });
    probe.on('error', () => {}); // it is expected to lose Redis; commands report the failure
    started.push({ stop: async () => probe.disconnect() });

    const env = instanceEnv(redis.url, databaseUrl, opts.env ?? {});
    const ports = await Promise.all(Array.from({ length: opts.instances ?? 2 }, () => freePort()));
    // allSettled, not all: when one fails to start, the ones that did are still stopped below.
    const starting = await Promise.allSettled(
      ports.map((port) => startServerProcess([process.execPath, '--import', 'tsx', 'server/main.node.ts'], env, port)),
    );
    const instances: ServerProcess[] = [];
    for (const outcome of starting) {
      if (outcome.status === 'fulfilled') {
        instances.push(outcome.value);
        started.push({ stop: () => outcome.value.stop(5000) });
      }
    }
    const failed = starting.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failed) throw failed.reason;

    const stack: Stack = {
      probe,
      db,
      instances,
      async stopRedis(how) {
        if (how === 'SIGKILL') process.kill(redis.pid, 'SIGKILL');
        await redis.stop(); // SIGTERM, or after the SIGKILL just waits for the exit
      },
      async startRedisAgain() {
        redis = await startProcessRedis({ ...redisOptions, port: redis.port, dir });
      },
      stop: stopAll,
    };
    return stack;
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** Keys matching `pattern`, by a full SCAN (a test-only walk of a small keyspace). */
export async function scanAll(redis: Redis, pattern: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    found.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return found;
}

/** Posts in the SQL store: what writes under load have really committed. */
export async function postCount(db: Db): Promise<number> {
  return (await db.query<{ n: number }>('select count(*)::int as n from posts'))[0]!.n;
}
