import type { RedisClient } from '../../redis/client.ts';
import type { Logger } from '../../logger.ts';
import type { Keys } from '../../redis/keys.ts';
import type { PubSub } from '../../redis/pubsub.ts';

/**
 * The cache generation: a number in every post cache key (server/redis/keys.ts). While Redis is
 * unreachable, a write commits in SQL but its invalidation cannot reach Redis, so an entry
 * cached before the outage would be served stale once Redis is back. So an instance that lost
 * Redis (or saw an invalidation fail) starts a new generation when it reaches Redis again:
 * `cache-generation-bump-1.lua` INCRs the counter and publishes it, every other instance moves to
 * it on the message (and re-reads it whenever its subscriber reconnects), and entries of older
 * generations are never read again; they expire by their TTL.
 *
 * Until the generation is known to be current (start-up, an outage, a pending bump), `current()`
 * is null and the posts service bypasses the cache: reads come from SQL, nothing is cached.
 */
export interface CacheGeneration {
  /** The generation to read and write under, or null while it may be stale. */
  current(): number | null;
  /** An invalidation failed although Redis may be up: drop the cache as after an outage. */
  suspect(): void;
  /** Subscribes to bumps and learns the generation (bumping it if Redis was lost before). */
  start(): Promise<void>;
  stop(): void;
}

export interface CacheGenerationOptions {
  redis: RedisClient;
  pubsub: PubSub;
  keys: Keys;
  logger: Logger;
  /** Delay before retrying a failed bump while Redis is connected. @default 500 */
  retryMs?: number;
}

export function createCacheGeneration({ redis, pubsub, keys, logger, retryMs = 500 }: CacheGenerationOptions): CacheGeneration {
  const key = keys.cacheGeneration();
  const channel = keys.cacheGenerationChannel();
  /** The highest generation seen from any source (read, bump, message): generations only go up. */
  let highest = 0;
  let trusted = false;
  /** Redis was lost (or an invalidation failed) since the last bump: the next sync bumps. */
  let mustBump = false;
  let syncing: Promise<void> | null = null;
  let retry: NodeJS.Timeout | undefined;
  let stopped = false;

  const learn = (generation: number) => {
    if (Number.isSafeInteger(generation) && generation > highest) highest = generation;
  };

  function sync(): Promise<void> {
    syncing ??= (async () => {
      try {
        if (mustBump) {
          mustBump = false;
          try {
            learn(await redis.cacheGenerationBump(key, channel, highest));
          } catch (err) {
            mustBump = true;
            throw err;
          }
          logger.warn('post cache: new generation after Redis was unreachable; older entries are dropped', { generation: highest });
        } else {
          learn(Number((await redis.get(key)) ?? 0));
        }
        trusted = true;
      } catch (err) {
        logger.warn('post cache: generation not synced, serving from SQL', { err });
        if (!stopped && redis.status === 'ready') {
          clearTimeout(retry);
          retry = setTimeout(() => void sync(), retryMs);
          retry.unref();
        }
      } finally {
        syncing = null;
      }
    })();
    return syncing;
  }

  function lost() {
    trusted = false;
    mustBump = true;
  }

  redis.on('close', lost);
  redis.on('ready', () => void sync());

  return {
    current: () => (trusted ? highest : null),
    suspect() {
      lost();
      if (redis.status === 'ready') void sync();
    },
    async start() {
      stopped = false;
      // Subscribe first, then read: a bump after the read is then always heard.
      const subscribed = pubsub.subscribe(channel, (message) => learn(Number(message)));
      pubsub.onResubscribed(() => void (trusted && redis.get(key).then((v) => learn(Number(v ?? 0)), () => {})));
      const bounded = await Promise.race([subscribed.then(() => true), new Promise<false>((r) => setTimeout(r, 1000, false).unref())]);
      if (!bounded) logger.warn('post cache: subscriber not connected yet; generation bumps are heard once it is');
      if (redis.status !== 'ready') lost();
      else await sync();
    },
    stop() {
      stopped = true;
      clearTimeout(retry);
    },
  };
}
