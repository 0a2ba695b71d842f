import { z } from 'zod';

const count = z.number().int().nonnegative();

const postIdError = { error: 'expected a positive integer' };
/**
 * A post id as a path parameter (`/analytics/posts/42`) or a procedure input: a positive integer.
 * A number here; REST turns the path's `"42"` into 42 at its edge (transport/rest.ts), so `"abc"`
 * is a 400 naming `id` there and a type error for a typed client.
 */
const postId = z.number(postIdError).int(postIdError).positive(postIdError).max(2_147_483_647, postIdError);

export const postAnalyticsInputSchema = z.object({ id: postId });
export type PostAnalyticsInput = z.input<typeof postAnalyticsInputSchema>;

/** `analytics.post`: a post's views and unique visitors (HyperLogLog, about 0.81% standard error). */
export const postAnalyticsSchema = z.object({
  postId: z.number().int().positive(),
  /** The UTC day "today" refers to. */
  day: z.iso.date(),
  /** All-time views, as the posts feature counts them. */
  views: count,
  uniqueVisitors: z.object({
    today: count,
    /** The 7 UTC days ending today; cached for ANALYTICS_WEEK_CACHE_SECONDS. */
    last7Days: count,
  }),
});
export type PostAnalytics = z.infer<typeof postAnalyticsSchema>;

/** What a user's activity list records: the events that name them as the one who acted. */
export const activityTypeSchema = z.enum(['user.login', 'post.created', 'post.updated', 'post.deleted']);
export type ActivityType = z.infer<typeof activityTypeSchema>;

export const activityItemSchema = z.object({
  /** The event's stream id: unique, and in time order. */
  id: z.string(),
  type: activityTypeSchema,
  at: z.iso.datetime(),
  postId: z.number().int().positive().optional(),
  title: z.string().optional(),
});
export type ActivityItem = z.infer<typeof activityItemSchema>;

const limitError = { error: 'expected an integer from 1 to 100' };

/** `GET /analytics/me/activity?limit=` and `analytics.myActivity({ limit })`: how many entries, 20 by default. */
export const activityInputSchema = z.object({
  limit: z.number(limitError).int(limitError).min(1, limitError).max(100, limitError).default(20),
});
export type ActivityInput = z.input<typeof activityInputSchema>;

/** `analytics.myActivity`: the caller's recent activity, newest first (at most 100 are kept). */
export const activityListSchema = z.object({ items: z.array(activityItemSchema) });
export type ActivityList = z.infer<typeof activityListSchema>;

/** One day of the daily-active-users series (bitmaps: BITCOUNT, and BITOP AND with the day before). */
export const dailyActiveSchema = z.object({
  day: z.iso.date(),
  activeUsers: count,
  /** Users active both on this day and on the day before. */
  retainedUsers: count,
  /** `retainedUsers` / the day before's active users; null when nobody was active the day before. */
  retention: z.number().min(0).max(1).nullable(),
});
export type DailyActive = z.infer<typeof dailyActiveSchema>;

export const eventsHourSchema = z.object({
  /** Start of the UTC hour. */
  hour: z.iso.datetime(),
  total: count,
  byType: z.record(z.string(), count),
});

export const cacheLookupCountsSchema = z.object({ hits: count, misses: count });

/** `analytics.site` (admins): site-wide figures. */
export const siteAnalyticsSchema = z.object({
  day: z.iso.date(),
  activeUsers: z.object({
    today: count,
    /** Day-over-day retention for today: of yesterday's active users, the share active today. */
    retention: z.number().min(0).max(1).nullable(),
    /** The 7 UTC days ending today, oldest first. */
    last7Days: z.array(dailyActiveSchema),
  }),
  /** The 24 UTC hours ending with the current one, oldest first, from the event stream's consumer group. */
  eventsPerHour: z.array(eventsHourSchema),
  /** Cache lookups on the instance that answers, since it started (each instance counts its own). */
  cache: cacheLookupCountsSchema.extend({
    hitRate: z.number().min(0).max(1).nullable(),
    byCache: z.record(z.string(), cacheLookupCountsSchema),
  }),
  /** From INFO memory and INFO stats of the Redis the app uses: on a Redis Cluster, summed over its masters. */
  redis: z.object({
    /** Masters the figures come from: 1 for a single server. */
    nodes: count,
    usedMemoryBytes: count,
    /** 0: no limit (on a cluster: some master has none). */
    maxMemoryBytes: count,
    /** The masters' distinct policies, comma-separated (one, when they are configured alike). */
    maxMemoryPolicy: z.string(),
    evictedKeys: count,
  }),
});
export type SiteAnalytics = z.infer<typeof siteAnalyticsSchema>;
