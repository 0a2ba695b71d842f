import type { ActivityList, DailyActive, PostAnalytics, SiteAnalytics } from '../../../shared/analytics.ts';
import type { WeeklyCohort } from '../../../shared/dashboard.ts';
import type { ServiceDeps } from '../../deps.ts';
import { AppError } from '../../errors.ts';
import { createSubscriber } from '../../redis/client.ts';
import { recentActivity } from './activity.ts';
import { createActiveUsers } from './active-users.ts';
import { dayOf, lastHours } from './calendar.ts';
import { createEventProcessor } from './event-processor.ts';
import { redisMemoryFigures, redisOpsPerSecond } from './redis-info.ts';
import { weeklyCohorts } from './retention-cohorts.ts';
import { consumerName, createStreamConsumer, groupBacklog, groupInfo, type GroupInfo } from './stream-consumer.ts';
import { createUniqueVisitors, type ViewInput } from './unique-visitors.ts';

export type { ViewInput } from './unique-visitors.ts';
export type { GroupInfo } from './stream-consumer.ts';

/** The consumer group the analytics worker reads the event stream in. */
export const ANALYTICS_GROUP = 'analytics';

/**
 * Where a post's view count comes from. The posts feature owns views (its counters, flushed to
 * SQL); createServices hands its reader in here. `null` means there is no such post, which
 * `analytics.post` answers with 404.
 */
export interface ViewCounts {
  views(postId: number): Promise<number | null>;
}

/**
 * Until the posts feature is wired in, no post has views: every post answers 0 (and none is
 * unknown). Replace it through `createAnalyticsService(deps, { viewCounts })`.
 */
export const unwiredViewCounts: ViewCounts = { views: async () => 0 };

export interface AnalyticsServiceOptions {
  /** @default unwiredViewCounts */
  viewCounts?: ViewCounts;
}

/** Runs a read; a failure that is not already an AppError (Redis down or timing out) becomes a 503. */
async function orUnavailable<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError('SERVICE_UNAVAILABLE', 'Analytics unavailable: Redis is not answering; retry shortly', { cause: err });
  }
}

/**
 * Analytics: unique visitors per post (HyperLogLog), daily active users and retention (bitmaps),
 * per-hour event counts and per-user activity from the event stream (a consumer group worker and
 * lists). See README "Analytics" for the keys and the exactly-once design.
 */
export function createAnalyticsService(deps: ServiceDeps, options: AnalyticsServiceOptions = {}) {
  const { config, redis, keys, clock, logger, metrics } = deps;
  const viewCounts = options.viewCounts ?? unwiredViewCounts;
  const visitors = createUniqueVisitors({
    redis,
    keys,
    clock,
    metrics,
    secret: config.ANALYTICS_VISITOR_SECRET,
    weekCacheSeconds: config.ANALYTICS_WEEK_CACHE_SECONDS,
  });
  const activeUsers = createActiveUsers({ redis, keys, clock, logger });
  const processor = createEventProcessor({ redis, keys, group: ANALYTICS_GROUP, logger });
  const worker = createStreamConsumer({
    name: 'analytics-stream',
    redis,
    openBlockingConnection: () => createSubscriber(redis, logger, 'blog-api:analytics'),
    stream: keys.events(),
    group: ANALYTICS_GROUP,
    consumer: consumerName(),
    batchSize: config.ANALYTICS_STREAM_BATCH,
    claimMinIdleMs: config.ANALYTICS_CLAIM_MIN_IDLE_MS,
    logger,
    handle: processor.handle,
  });
  metrics.registerBacklog('analytics-stream', () => groupBacklog(redis, keys.events(), ANALYTICS_GROUP));

  async function eventsPerHour(now: number): Promise<SiteAnalytics['eventsPerHour']> {
    const hours = lastHours(now, 24);
    const counts = await Promise.all(hours.map((hour) => redis.hgetall(keys.eventCounts(hour))));
    return hours.map((hour, i) => {
      const byType = Object.fromEntries(Object.entries(counts[i]!).map(([type, n]) => [type, Number(n)]));
      const total = Object.values(byType).reduce((a, b) => a + b, 0);
      return { hour: `${hour}:00:00.000Z`, total, byType };
    });
  }

  async function cacheFigures(): Promise<SiteAnalytics['cache']> {
    const byCache: SiteAnalytics['cache']['byCache'] = {};
    let hits = 0;
    let misses = 0;
    for (const [cache, counts] of Object.entries(await metrics.cacheLookups())) {
      byCache[cache] = { hits: counts.hit, misses: counts.miss };
      hits += counts.hit;
      misses += counts.miss;
    }
    return { hits, misses, hitRate: hits + misses === 0 ? null : hits / (hits + misses), byCache };
  }

  async function site(): Promise<SiteAnalytics> {
    const now = clock.now();
    const [last7Days, events, cache, redisFigures] = await Promise.all([
      activeUsers.series(7),
      eventsPerHour(now),
      cacheFigures(),
      redisMemoryFigures(redis),
    ]);
    const today = last7Days.at(-1)!;
    return {
      day: dayOf(now),
      activeUsers: { today: today.activeUsers, retention: today.retention, last7Days },
      eventsPerHour: events,
      cache,
      redis: redisFigures,
    };
  }

  return {
    /** The consumer-group worker: createApp hands it to the entry as a BackgroundTask. */
    worker,

    /** Keys holding one user's data (their activity list), under their hash tag: deleted with their account. */
    userKeys: (userId: number): string[] => [keys.activity(userId)],

    /**
     * The seam for the posts feature's view recording: adds this view's unique-visitor write
     * (PFADD + PEXPIRE on the post's HyperLogLog of the day) to the caller's pipeline, so a view
     * costs no extra round trip. Returns the pipeline.
     */
    appendView: visitors.appendView,

    /** The same writes as `appendView`, in their own round trip; rejects when Redis does. */
    async recordView(view: ViewInput): Promise<void> {
      const replies = await visitors.appendView(redis.pipeline(), view).exec();
      const failed = replies?.find(([err]) => err);
      if (failed) throw failed[0];
    },

    /** Marks the user active today; fire-and-forget (the active-users middleware calls it per authenticated request). */
    markActive: activeUsers.mark,

    post: (postId: number): Promise<PostAnalytics> =>
      orUnavailable(async () => {
        const [views, uniqueVisitors] = await Promise.all([viewCounts.views(postId), visitors.count(postId)]);
        if (views === null) throw new AppError('NOT_FOUND', `Post ${postId} not found`);
        return { postId, day: dayOf(clock.now()), views, uniqueVisitors };
      }),

    site: (): Promise<SiteAnalytics> => orUnavailable(site),

    /** Daily active users and day-over-day retention for the `days` UTC days ending today, oldest first. */
    dailyActive: (days: number): Promise<DailyActive[]> => orUnavailable(() => activeUsers.series(days)),

    /** 7-day retention of the last four weekly cohorts, newest first (retention-cohorts.ts). */
    cohorts: (): Promise<WeeklyCohort[]> => orUnavailable(() => weeklyCohorts(redis, keys, clock.now())),

    /** The event stream's length and the analytics group's pending entries and lag; null before the group exists. */
    streamGroup: (): Promise<GroupInfo | null> =>
      orUnavailable(() =>
        groupInfo(redis, keys.events(), ANALYTICS_GROUP).catch((err: unknown) => {
          // No stream yet (nothing published, no worker started): no group either.
          if (err instanceof Error && err.message.includes('no such key')) return null;
          throw err;
        }),
      ),

    /** Redis commands per second (INFO stats), summed over a Cluster's masters. */
    opsPerSecond: (): Promise<number> => orUnavailable(() => redisOpsPerSecond(redis)),

    myActivity: (userId: number, limit: number): Promise<ActivityList> =>
      orUnavailable(async () => ({ items: await recentActivity(redis, keys, userId, limit) })),

    /** This instance's worker and active-user figures. */
    stats: () => ({ events: processor.stats(), stream: worker.stats(), activeUsers: activeUsers.stats() }),
  };
}

export type AnalyticsService = ReturnType<typeof createAnalyticsService>;
