import {
  activityInputSchema,
  activityListSchema,
  postAnalyticsInputSchema,
  postAnalyticsSchema,
  siteAnalyticsSchema,
} from '../../../shared/analytics.ts';
import { errorResponseSchema } from '../../../shared/errors.ts';
import { route } from '../../openapi/route-doc.ts';

const tags = ['analytics'];
const badInput = { description: 'A parameter is not what it should be (`details` names it)', schema: errorResponseSchema };
const redisDown = { description: 'Redis, which holds the analytics, is not answering', schema: errorResponseSchema };

export const postAnalytics = route({
  method: 'get',
  path: '/analytics/posts/:id',
  summary: "A post's views and visitors",
  description: "A post's views, and its unique visitors today and over the last 7 days (HyperLogLog estimates, about 0.81% standard error).",
  tags,
  request: { params: postAnalyticsInputSchema },
  responses: {
    200: {
      description: 'The figures',
      schema: postAnalyticsSchema,
      example: { postId: 1, day: '2026-01-15', views: 42, uniqueVisitors: { today: 7, last7Days: 31 } },
    },
    400: badInput,
    404: { description: 'No such post', schema: errorResponseSchema },
    503: redisDown,
  },
});

export const siteAnalytics = route({
  method: 'get',
  path: '/analytics/site',
  summary: 'Site-wide figures (admins)',
  description:
    'Daily active users over 7 days with day-over-day retention (bitmaps), events per hour (the stream consumer group), ' +
    'the cache hit rate, and Redis memory and evictions. Admins only.',
  tags,
  auth: true,
  responses: {
    200: { description: 'The figures', schema: siteAnalyticsSchema },
    403: { description: 'The caller is not an admin (granted by `npm run admin -- grant <email>`)', schema: errorResponseSchema },
    503: redisDown,
  },
});

export const myActivity = route({
  method: 'get',
  path: '/analytics/me/activity',
  summary: "The caller's recent activity",
  description: "The caller's logins and posts created, edited and deleted, newest first (a capped Redis list: at most 100 kept).",
  tags,
  auth: true,
  request: { query: activityInputSchema },
  responses: {
    200: {
      description: 'Newest first',
      schema: activityListSchema,
      example: { items: [{ id: '1768469400000-0', type: 'post.created', at: '2026-01-15T09:30:00.000Z', postId: 1, title: 'Redis Guide' }] },
    },
    400: badInput,
    503: redisDown,
  },
});

/** Every REST operation under /analytics. */
export const analyticsDocs = [postAnalytics, siteAnalytics, myActivity];
