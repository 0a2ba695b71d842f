import { z } from 'zod';
import { dailyActiveSchema } from './analytics.ts';
import { topAuthorsSchema, trendingWindows } from './trending.ts';

/**
 * The admin dashboard's data (`GET /admin/api/*`, admins only): each panel's figures, taken from
 * the analytics, trending, geo and posts services.
 */
const count = z.number().int().nonnegative();
const share = z.number().min(0).max(1).nullable();

/** One weekly cohort: users active in a UTC week, and how many came back in the 7 days after. */
export const weeklyCohortSchema = z.object({
  /** First and last UTC day of the cohort's week. */
  from: z.iso.date(),
  to: z.iso.date(),
  users: count,
  /** Active at least once in the 7 days after the week. */
  retained: count,
  /** `retained` / `users`; null for an empty cohort. */
  retention: share,
  /** Each of the 7 days after the week: cohort members active that day. */
  byDay: z.array(z.object({ day: z.iso.date(), users: count, share })),
});
export type WeeklyCohort = z.infer<typeof weeklyCohortSchema>;

export const dashboardOverviewSchema = z.object({
  generatedAt: z.iso.datetime(),
  /** Daily active users, the 30 UTC days ending today, oldest first. */
  activeUsers: z.array(dailyActiveSchema),
  /** The last four weekly cohorts, newest first. */
  cohorts: z.array(weeklyCohortSchema),
  /** Events the analytics worker counted in the last 24 hours. */
  eventsLast24h: count,
  uniqueVisitors: z.object({
    /** HyperLogLog's standard error: 0.81%. */
    standardError: z.number(),
    /** The most viewed posts of the last 7 days. */
    posts: z.array(
      z.object({ postId: z.number().int().positive(), title: z.string(), views: count, today: count, last7Days: count }),
    ),
  }),
  redis: z.object({
    usedMemoryBytes: count,
    /** 0: no limit. */
    maxMemoryBytes: count,
    evictedKeys: count,
    opsPerSecond: count,
    /** The post cache's lookups on the instance that answered, since it started. */
    postCache: z.object({ hits: count, misses: count, hitRate: share }),
    /** The event stream and its analytics consumer group; null before the group exists. */
    stream: z.object({ length: count, pending: count, lag: count.nullable(), consumers: count }).nullable(),
  }),
});
export type DashboardOverview = z.infer<typeof dashboardOverviewSchema>;

export const dashboardTrendingQuerySchema = z.object({
  window: z
    .enum(trendingWindows, { error: `expected one of ${trendingWindows.join(', ')}` })
    .default('24h')
    .describe('The window: 1h, 24h or 7d'),
});
export type DashboardTrendingQuery = z.input<typeof dashboardTrendingQuerySchema>;

export const dashboardTrendingSchema = z.object({
  window: z.enum(trendingWindows),
  /** Most viewed first: views within the window. */
  posts: z.array(z.object({ postId: z.number().int().positive(), title: z.string(), authorId: z.number().int().positive(), views: z.number().nonnegative() })),
  /** The top authors of the same window, with the caller's own rank. */
  authors: topAuthorsSchema,
});
export type DashboardTrending = z.infer<typeof dashboardTrendingSchema>;

export const dashboardMapSchema = z.object({
  /** Posts with a location and their all-time views. */
  points: z.array(
    z.object({
      postId: z.number().int().positive(),
      title: z.string(),
      longitude: z.number(),
      latitude: z.number(),
      views: count,
    }),
  ),
  /** More posts have a location than the map shows. */
  truncated: z.boolean(),
});
export type DashboardMap = z.infer<typeof dashboardMapSchema>;
