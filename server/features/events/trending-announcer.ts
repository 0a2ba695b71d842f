import type { RedisClient } from '../../redis/client.ts';
import type { AppEvent } from '../../../shared/events.ts';
import { trendingWindows, type TrendingWindow } from '../../../shared/trending.ts';
import type { BackgroundTask } from '../../lifecycle.ts';
import type { Logger } from '../../logger.ts';
import type { Keys } from '../../redis/keys.ts';
import { TRENDING_BUCKET_TTL_MS } from '../../redis/keys.ts';
import { encodeEvent } from './event-codec.ts';

export interface TrendingAnnouncerOptions {
  redis: RedisClient;
  keys: Keys;
  logger: Logger;
  /** The current top 10 post ids of a window, most viewed first; null when Redis did not answer. */
  topTen(window: TrendingWindow): Promise<number[] | null>;
  /** How often each window's top 10 is compared with the last one announced. */
  intervalMs: number;
  /** EVENT_STREAM_MAXLEN, as for every other XADD to the stream. */
  maxLen: number;
  /** Called once per event this instance wrote. */
  onPublished?(event: AppEvent): void;
}

/**
 * The producer of `trending.changed`: every `intervalMs`, each window's top 10 is read (the
 * trending merge, cached for TRENDING_CACHE_SECONDS, so this adds no merge of its own on a busy
 * site) and handed to trending-announce-2.lua, which writes the event only when the top differs
 * from the last one announced. Every instance runs it; the compare-and-set in one script is what
 * makes a change announced once, not once per instance. A tick is skipped while the previous one
 * is still running, and a Redis failure skips the window until the next tick.
 */
export function createTrendingAnnouncer({ redis, keys, logger, topTen, intervalMs, maxLen, onPublished }: TrendingAnnouncerOptions) {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;
  let failing = false;

  async function announceWindow(window: TrendingWindow): Promise<boolean> {
    const postIds = await topTen(window);
    if (postIds === null) return false;
    const event: AppEvent = { type: 'trending.changed', window, postIds };
    const [type, data] = encodeEvent(event);
    const id = await redis.trendingAnnounce(keys.trendingAnnounced(window), keys.events(), JSON.stringify(postIds), TRENDING_BUCKET_TTL_MS, maxLen, type, data);
    if (id === null) return false;
    onPublished?.(event);
    return true;
  }

  /** One comparison of every window; resolves with the number of events this call wrote. */
  async function announce(): Promise<number> {
    const results = await Promise.allSettled(trendingWindows.map(announceWindow));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed && !failing) logger.warn('trending changes not announced: Redis did not answer', { err: failed.reason });
    else if (!failed && failing) logger.info('trending changes are announced again');
    failing = failed !== undefined;
    return results.filter((r) => r.status === 'fulfilled' && r.value).length;
  }

  function tick(): void {
    running ??= announce().finally(() => (running = undefined));
  }

  const task: BackgroundTask = {
    name: 'trending-announcer',
    start() {
      if (timer) return;
      timer = setInterval(tick, intervalMs);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      timer = undefined;
      await running;
    },
  };

  return { announce, task };
}

export type TrendingAnnouncer = ReturnType<typeof createTrendingAnnouncer>;
