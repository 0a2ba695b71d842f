import { Counter } from 'prom-client';
import type { TopAuthors, TrendingPost, TrendingWindow } from '../../../shared/trending.ts';
import type { ServiceDeps } from '../../deps.ts';
import { within } from '../../timeout.ts';
import type { PostsService } from '../posts/posts.service.ts';
import { LONGEST_WINDOW, mergedKeys, windowPlan } from './trending-windows.ts';

/** A merged window's top: members and their views, highest first, and one member's rank (0-based). */
interface Merged {
  top: { id: number; views: number }[];
  rank: number | null;
}

/**
 * Trending posts and top authors (Sorted sets). Each view lands in the hour's post bucket and
 * author bucket (views-record-3.lua, in the posts view recorder's one call); a read merges a
 * window's buckets with ZUNIONSTORE into a cache key that lives TRENDING_CACHE_SECONDS
 * (trending-merge.lua: merge when absent, then read, one round trip), so a busy site merges each
 * window at most once per cache period however many readers it has. Everything is under the hash
 * tag `{views}`: one Cluster slot. A deleted post leaves every bucket of the longest window, and
 * its views leave its author's score (trending-forget.lua, on the posts `post.deleted` event).
 *
 * Reads never fail because of Redis: while it does not answer, rankings are empty.
 */
export function createTrendingService(deps: ServiceDeps, posts: PostsService) {
  const { redis, keys, clock, config, logger, metrics } = deps;
  const cacheMs = config.TRENDING_CACHE_SECONDS * 1000;
  const timeoutMs = config.POST_CACHE_TIMEOUT_MS;
  const forgetFailures = new Counter({
    name: 'blog_api_trending_forget_failures_total',
    help: 'Deleted posts whose removal from the trending rankings Redis did not take (their views stay in author scores)',
    registers: [metrics.registry],
  });

  /** Merges (or reuses the merge of) a window and reads its top `limit`; null when Redis does not answer. */
  async function merged(kind: 'posts' | 'authors', window: TrendingWindow, limit: number, member = ''): Promise<Merged | null> {
    const plan = windowPlan(keys, kind, window, clock.now());
    void posts.sendViews(); // same tick: the views buffered here leave in the same write
    const call = redis.trendingMerge(plan.buckets.length + 1, plan.merged, ...plan.buckets, cacheMs, plan.oldestWeight, limit, member);
    try {
      const [flat, rank] = await within(call, timeoutMs, 'trending merge');
      const top: Merged['top'] = [];
      for (let i = 0; i < flat.length; i += 2) top.push({ id: Number(flat[i]), views: Number(flat[i + 1]) });
      return { top, rank };
    } catch (err) {
      logger.warn('trending read failed; answering an empty ranking', { kind, window, err });
      return null;
    }
  }

  /**
   * Removes a post from every ranking. `authorId` null: the post is already gone from SQL and its
   * author unknown (a stray met by a read, see `list`); only the post buckets are cleaned.
   */
  function forget(postId: number, authorId: number | null): Promise<number> {
    const now = clock.now();
    const postBuckets = windowPlan(keys, 'posts', LONGEST_WINDOW, now).buckets;
    const authorBuckets = windowPlan(keys, 'authors', LONGEST_WINDOW, now).buckets;
    const doomed = [...postBuckets, ...authorBuckets, ...mergedKeys(keys, now)];
    return redis.trendingForget(doomed.length, ...doomed, postBuckets.length, postId, authorId ?? '');
  }

  posts.onEvent((event) => {
    if (event.type !== 'post.deleted') return;
    forget(event.postId, event.authorId).catch((err: Error) => {
      // The post is not served (hydration drops it, and the next read cleans its buckets); its
      // author's score keeps its views until they age out of the window.
      forgetFailures.inc();
      logger.warn('deleted post not removed from the trending rankings', { postId: event.postId, err });
    });
  });

  async function list(window: TrendingWindow, limit: number, retry = true): Promise<TrendingPost[]> {
    const found = await merged('posts', window, limit);
    if (!found) return [];
    const byId = new Map((await posts.getMany(found.top.map((t) => t.id))).map((p) => [p.id, p]));
    const strays = found.top.filter((t) => !byId.has(t.id));
    if (strays.length > 0 && retry) {
      // Views that raced a deletion (buffered in some instance as it committed) put it back in a
      // bucket: clean those, then read again so that the answer is full.
      const cleaned = await Promise.all(strays.map((t) => forget(t.id, null).then(() => true, () => false)));
      if (cleaned.every(Boolean)) return list(window, limit, false);
    }
    return found.top.flatMap(({ id, views }) => {
      const post = byId.get(id);
      return post ? [{ post, views }] : [];
    });
  }

  return {
    /** The most viewed posts of a window, most viewed first; a post with no views in the window is not in it. */
    list: ({ window, limit }: { window: TrendingWindow; limit: number }) => list(window, limit),

    /** The authors whose posts were viewed most in a window; `myRank` (1-based) for a logged-in caller. */
    async authors({ window, limit }: { window: TrendingWindow; limit: number }, userId: number | null): Promise<TopAuthors> {
      const found = await merged('authors', window, limit, userId === null ? '' : String(userId));
      const authors = (found?.top ?? []).map(({ id, views }, i) => ({ authorId: id, views, rank: i + 1 }));
      if (userId === null) return { window, authors };
      return { window, authors, myRank: found?.rank == null ? null : found.rank + 1 };
    },

    /**
     * The top 10 post ids of a window, for announcing `trending.changed` (the events feature's
     * trending announcer compares it with the last one announced); null when Redis did not answer,
     * so an outage never reads as an empty top.
     */
    async topTen(window: TrendingWindow): Promise<number[] | null> {
      return (await merged('posts', window, 10))?.top.map((t) => t.id) ?? null;
    },

    /** Removes a post from every ranking (done on `post.deleted`; exposed for tests and operations). */
    forget,
  };
}

export type TrendingService = ReturnType<typeof createTrendingService>;
