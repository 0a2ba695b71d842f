import { WINDOW_HOURS, trendingWindows, type TrendingWindow } from '../../../shared/trending.ts';
import type { Keys } from '../../redis/keys.ts';
import { HOUR_MS, hourEpoch } from '../../redis/keys.ts';

/** The longest window: a deletion cleans its buckets, which hold every view any window counts. */
export const LONGEST_WINDOW: TrendingWindow = '7d';

/** What one read of a window merges, as of `nowMs`. */
export interface WindowPlan {
  /** The cache of the merge, named by the current hour. */
  merged: string;
  /** The hourly buckets, newest (the current hour) first; the last one is only partly inside. */
  buckets: string[];
  /** The share of the last bucket's hour still inside the window: (0, 1]. */
  oldestWeight: number;
}

/**
 * A window of N hours ending now (hour H, `f` of the way through it) covers the current bucket,
 * the N-1 before it in full and the share 1 - f of bucket H-N, the hour it starts in (ZUNIONSTORE
 * WEIGHTS, taking views as spread evenly over their hour). So a view leaves the window gradually
 * through its last hour instead of all at once, and is gone entirely N+1 hours after its bucket
 * began: decay comes from which buckets are merged (the injected clock's hour), never from TTLs.
 */
export function windowPlan(keys: Keys, kind: 'posts' | 'authors', window: TrendingWindow, nowMs: number): WindowPlan {
  const hour = hourEpoch(nowMs);
  const bucket = kind === 'posts' ? keys.trendingBucket : keys.authorBucket;
  const hours = WINDOW_HOURS[window];
  return {
    merged: keys.trendingMerged(kind, window, hour),
    buckets: Array.from({ length: hours + 1 }, (_, i) => bucket(hour - i)),
    oldestWeight: 1 - (nowMs - hour * HOUR_MS) / HOUR_MS,
  };
}

/** Every cached merge of the current hour, for a deletion to drop. */
export function mergedKeys(keys: Keys, nowMs: number): string[] {
  const hour = hourEpoch(nowMs);
  return trendingWindows.flatMap((w) => [keys.trendingMerged('posts', w, hour), keys.trendingMerged('authors', w, hour)]);
}
