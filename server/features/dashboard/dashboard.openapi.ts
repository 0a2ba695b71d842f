import { z } from 'zod';
import { dashboardMapSchema, dashboardOverviewSchema, dashboardTrendingQuerySchema, dashboardTrendingSchema } from '../../../shared/dashboard.ts';
import { errorResponseSchema } from '../../../shared/errors.ts';
import { route } from '../../openapi/route-doc.ts';

const tags = ['admin'];
const forbidden = { description: 'The caller is not an admin (granted by `npm run admin -- grant <email>`)', schema: errorResponseSchema };
const redisDown = { description: 'Redis, which holds the figures, is not answering', schema: errorResponseSchema };

export const dashboardPage = route({
  method: 'get',
  path: '/admin',
  summary: 'The admin dashboard',
  description: 'An HTML page for admins that draws the figures below and follows the live events; anyone else gets the login form (401) or a 403 page, with no figures.',
  tags,
  auth: 'optional',
  responses: {
    200: { description: 'The dashboard', schema: z.string(), mediaType: 'text/html' },
    401: { description: 'The login form: no valid session', schema: z.string(), mediaType: 'text/html' },
    403: { description: 'The caller is not an admin', schema: z.string(), mediaType: 'text/html' },
  },
});

export const overview = route({
  method: 'get',
  path: '/admin/api/overview',
  summary: 'Admins: activity, retention, unique visitors, Redis at a glance',
  description: '30 days of daily active users (bitmaps), the last four weekly retention cohorts (BITOP), unique visitors of the top posts (HyperLogLog) and Redis figures (INFO, the stream group).',
  tags,
  auth: true,
  responses: { 200: { description: 'The figures', schema: dashboardOverviewSchema }, 403: forbidden, 503: redisDown },
});

export const trending = route({
  method: 'get',
  path: '/admin/api/trending',
  summary: "Admins: trending posts and top authors of a window, with the caller's rank",
  description: 'The most viewed posts of the window with their views, and the top authors with the caller’s own rank.',
  tags,
  auth: true,
  request: { query: dashboardTrendingQuerySchema },
  responses: {
    200: { description: 'Most viewed first', schema: dashboardTrendingSchema },
    400: { description: 'A parameter is invalid (`details` names it)', schema: errorResponseSchema },
    403: forbidden,
    503: redisDown,
  },
});

export const map = route({
  method: 'get',
  path: '/admin/api/map',
  summary: 'Admins: the posts with a location and their views',
  description: 'At most 200 posts with a location (GEOSEARCH over the whole Earth) and their views, for the map.',
  tags,
  auth: true,
  responses: { 200: { description: 'At most 200 posts', schema: dashboardMapSchema }, 403: forbidden, 503: redisDown },
});

/** The dashboard's page and the figures it draws; its static files are not API. */
export const dashboardDocs = [dashboardPage, overview, trending, map];
