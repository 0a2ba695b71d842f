import { dashboardMapSchema, dashboardOverviewSchema, dashboardTrendingQuerySchema, dashboardTrendingSchema } from '../../../shared/dashboard.ts';
import { errorResponseSchema } from '../../../shared/errors.ts';
import type { RouteDoc } from '../../openapi/route-doc.ts';

const tags = ['admin'];
const unauthorized = { description: 'No valid session', schema: errorResponseSchema };
const forbidden = { description: 'The caller is not an admin (granted by `npm run admin -- grant <email>`)', schema: errorResponseSchema };
const redisDown = { description: 'Redis, which holds the figures, is not answering', schema: errorResponseSchema };

/**
 * The figures the admin dashboard (`GET /admin`, a page, not described here) draws. Admins only.
 */
export const dashboardDocs: RouteDoc[] = [
  {
    method: 'get',
    path: '/admin/api/overview',
    summary: 'Admins: 30 days of active users, weekly retention cohorts, unique visitors of the top posts, Redis at a glance',
    tags,
    auth: true,
    responses: { 200: { description: 'The figures', schema: dashboardOverviewSchema }, 401: unauthorized, 403: forbidden, 503: redisDown },
  },
  {
    method: 'get',
    path: '/admin/api/trending',
    summary: "Admins: the trending posts and top authors of a window, with the caller's rank",
    tags,
    auth: true,
    request: { query: dashboardTrendingQuerySchema },
    responses: {
      200: { description: 'Most viewed first', schema: dashboardTrendingSchema },
      400: { description: 'A parameter is not what it should be (`details` names it)', schema: errorResponseSchema },
      401: unauthorized,
      403: forbidden,
    },
  },
  {
    method: 'get',
    path: '/admin/api/map',
    summary: 'Admins: the posts with a location and their views, for the map',
    tags,
    auth: true,
    responses: { 200: { description: 'At most 200 posts', schema: dashboardMapSchema }, 401: unauthorized, 403: forbidden, 503: redisDown },
  },
];
