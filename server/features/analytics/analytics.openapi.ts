import {
  activityInputSchema,
  activityListSchema,
  postAnalyticsInputSchema,
  postAnalyticsSchema,
  siteAnalyticsSchema,
} from '../../../shared/analytics.ts';
import { errorResponseSchema } from '../../../shared/errors.ts';
import type { RouteDoc } from '../../openapi/route-doc.ts';

const tags = ['analytics'];
const badInput = { description: 'A parameter is not what it should be (`details` names it)', schema: errorResponseSchema };
const unauthorized = { description: 'No valid session', schema: errorResponseSchema };
const redisDown = { description: 'Redis, which holds the analytics, is not answering', schema: errorResponseSchema };

/** Every REST route under /analytics. */
export const analyticsDocs: RouteDoc[] = [
  {
    method: 'get',
    path: '/analytics/posts/:id',
    summary: "A post's views and unique visitors today and over the last 7 days (HyperLogLog estimates)",
    tags,
    request: { params: postAnalyticsInputSchema },
    responses: {
      200: { description: 'The figures', schema: postAnalyticsSchema },
      400: badInput,
      404: { description: 'No such post', schema: errorResponseSchema },
      503: redisDown,
    },
  },
  {
    method: 'get',
    path: '/analytics/site',
    summary: 'Admins: daily active users over 7 days with retention, events per hour, cache hit rate, Redis memory and evictions',
    tags,
    auth: true,
    responses: {
      200: { description: 'The figures', schema: siteAnalyticsSchema },
      401: unauthorized,
      403: { description: 'The caller is not an admin (granted by `npm run admin -- grant <email>`)', schema: errorResponseSchema },
      503: redisDown,
    },
  },
  {
    method: 'get',
    path: '/analytics/me/activity',
    summary: "The caller's recent activity (logins, posts created, edited, deleted), newest first; at most 100 kept",
    tags,
    auth: true,
    request: { query: activityInputSchema },
    responses: {
      200: { description: 'Newest first', schema: activityListSchema },
      400: badInput,
      401: unauthorized,
      503: redisDown,
    },
  },
];
