import type { DashboardMap, DashboardOverview, DashboardTrending } from '../../../shared/dashboard.ts';
import type { TrendingWindow } from '../../../shared/trending.ts';
import type { Clock } from '../../clock.ts';
import type { AnalyticsService } from '../analytics/analytics.service.ts';
import type { GeoService } from '../geo/geo.service.ts';
import type { PostsService } from '../posts/posts.service.ts';
import type { TrendingService } from '../trending/trending.service.ts';

/** Days in the active-users chart. */
export const ACTIVE_USER_DAYS = 30;
/** Posts in the unique-visitors panel: the top of the 7-day trending window. */
export const UNIQUE_VISITOR_POSTS = 8;
/** Rows in the trending and top-authors panels. */
export const TRENDING_ROWS = 10;
/** Points on the map at most (each costs a view-count read). */
export const MAP_POINTS = 200;
/** HyperLogLog's standard error in Redis: 1.04 / sqrt(16384 registers). */
export const HLL_STANDARD_ERROR = 0.0081;

export interface DashboardServiceDeps {
  analytics: AnalyticsService;
  trending: TrendingService;
  geo: GeoService;
  posts: Pick<PostsService, 'getMany' | 'views'>;
  clock: Clock;
}

/**
 * The admin dashboard's figures, panel by panel, each from the feature that owns it: analytics
 * (bitmaps, HyperLogLog, the stream's consumer group, INFO), trending (sorted sets), geo. It keeps
 * nothing of its own.
 */
export function createDashboardService({ analytics, trending, geo, posts, clock }: DashboardServiceDeps) {
  /** All-time views of a post; 0 when it is gone since it was listed. */
  const viewsOf = (postId: number) => posts.views(postId).then((v) => v.views, () => 0);

  async function uniqueVisitors(): Promise<DashboardOverview['uniqueVisitors']> {
    const top = await trending.list({ window: '7d', limit: UNIQUE_VISITOR_POSTS });
    const figures = await Promise.all(top.map(({ post }) => analytics.post(post.id).catch(() => null)));
    return {
      standardError: HLL_STANDARD_ERROR,
      posts: top.flatMap(({ post }, i) => {
        const f = figures[i];
        return f ? [{ postId: post.id, title: post.title, views: f.views, today: f.uniqueVisitors.today, last7Days: f.uniqueVisitors.last7Days }] : [];
      }),
    };
  }

  return {
    async overview(): Promise<DashboardOverview> {
      const [site, activeUsers, cohorts, visitors, opsPerSecond, stream] = await Promise.all([
        analytics.site(),
        analytics.dailyActive(ACTIVE_USER_DAYS),
        analytics.cohorts(),
        uniqueVisitors(),
        analytics.opsPerSecond(),
        analytics.streamGroup(),
      ]);
      const post = site.cache.byCache.post ?? { hits: 0, misses: 0 };
      const lookups = post.hits + post.misses;
      return {
        generatedAt: new Date(clock.now()).toISOString(),
        activeUsers,
        cohorts,
        eventsLast24h: site.eventsPerHour.reduce((n, hour) => n + hour.total, 0),
        uniqueVisitors: visitors,
        redis: {
          usedMemoryBytes: site.redis.usedMemoryBytes,
          maxMemoryBytes: site.redis.maxMemoryBytes,
          evictedKeys: site.redis.evictedKeys,
          opsPerSecond,
          postCache: { ...post, hitRate: lookups === 0 ? null : post.hits / lookups },
          stream,
        },
      };
    },

    async trending(window: TrendingWindow, userId: number): Promise<DashboardTrending> {
      const [top, authors] = await Promise.all([
        trending.list({ window, limit: TRENDING_ROWS }),
        trending.authors({ window, limit: TRENDING_ROWS }, userId),
      ]);
      return {
        window,
        posts: top.map(({ post, views }) => ({ postId: post.id, title: post.title, authorId: post.authorId, views })),
        authors,
      };
    },

    async map(): Promise<DashboardMap> {
      // One more than shown: whether there are more.
      const located = await geo.located(MAP_POINTS + 1);
      const shown = located.slice(0, MAP_POINTS);
      const [found, views] = await Promise.all([posts.getMany(shown.map((p) => p.postId)), Promise.all(shown.map((p) => viewsOf(p.postId)))]);
      const titles = new Map(found.map((p) => [p.id, p.title]));
      return {
        points: shown.flatMap((p, i) => {
          const title = titles.get(p.postId);
          return title === undefined ? [] : [{ ...p, title, views: views[i]! }];
        }),
        truncated: located.length > MAP_POINTS,
      };
    },
  };
}

export type DashboardService = ReturnType<typeof createDashboardService>;
