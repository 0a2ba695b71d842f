import { z } from 'zod';
import { analyticsDocs } from '../features/analytics/analytics.openapi.ts';
import { authDocs } from '../features/auth/auth.openapi.ts';
import { dashboardDocs } from '../features/dashboard/dashboard.openapi.ts';
import { usersDocs } from '../features/auth/users.openapi.ts';
import { eventsDocs } from '../features/events/events.openapi.ts';
import { healthDocs } from '../features/health/health.openapi.ts';
import { geoDocs } from '../features/geo/geo.openapi.ts';
import { postsDocs } from '../features/posts/posts.openapi.ts';
import { trendingDocs } from '../features/trending/trending.openapi.ts';
import { errorResponseSchema } from '../../shared/errors.ts';
import type { OpenApiDocument } from './document.ts';
import { route, type RouteDoc } from './route-doc.ts';

/** The operational routes, answered before the preflight (no session, no rate limit), described here. */
export const operationalDocs = [
  route({
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics',
    description: 'Request durations, Redis, cache, rate-limit and live-event figures in the Prometheus text format. With METRICS_TOKEN set, send it as a bearer token.',
    tags: ['operations'],
    auth: false,
    rateLimited: false,
    responses: {
      200: { description: 'The Prometheus text exposition format', schema: z.string(), mediaType: 'text/plain' },
      401: {
        description: 'METRICS_TOKEN is set and the request does not carry it',
        schema: errorResponseSchema,
        headers: { 'WWW-Authenticate': { description: '`Bearer realm="metrics"`', required: true, schema: { type: 'string' } } },
      },
    },
  }),
  route({
    method: 'get',
    path: '/openapi.json',
    summary: 'This document',
    description: 'The OpenAPI 3.1 document of the REST API, generated from the same definitions the routes are bound to.',
    tags: ['operations'],
    rateLimited: false,
    responses: { 200: { description: 'OpenAPI 3.1', schema: z.object({ openapi: z.string() }).loose() } },
  }),
  route({
    method: 'get',
    path: '/docs',
    summary: 'API reference',
    description: 'This document as an interactive reference page (Swagger UI, served by this app, no CDN).',
    tags: ['operations'],
    rateLimited: false,
    responses: { 200: { description: 'An HTML page', schema: z.string(), mediaType: 'text/html' } },
  }),
] satisfies RouteDoc[];

/**
 * Every REST operation, feature by feature. A feature that adds REST routes adds its
 * `<feature>.openapi.ts` list here; test/ops/openapi.test.ts fails while a route the app serves
 * is missing from this list (or a listed one is not served).
 */
export const routeDocs: readonly RouteDoc[] = [
  ...healthDocs,
  ...authDocs,
  ...usersDocs,
  ...trendingDocs,
  ...postsDocs,
  ...geoDocs,
  ...eventsDocs,
  ...analyticsDocs,
  ...dashboardDocs,
  ...operationalDocs,
];

/** The tags, in the order the reference shows them. */
export const tagDocs: OpenApiDocument['tags'] = [
  { name: 'auth', description: 'Accounts and sessions: register, log in (bearer token and `sid` cookie), list and end sessions.' },
  { name: 'posts', description: 'The tutorial\'s posts: cached reads (Redis in front of SQL), view counts, tags; writes by their author.' },
  { name: 'trending', description: 'The most viewed posts and authors of the last hour, day or week (sorted sets per hour).' },
  { name: 'geo', description: 'Posts near a point and distances between posts (Redis GEO).' },
  { name: 'events', description: 'Live events as Server-Sent Events, resumable after a reconnect (a Redis stream).' },
  { name: 'analytics', description: 'Views and unique visitors per post (HyperLogLog), daily active users (bitmaps), activity feeds (lists).' },
  { name: 'health', description: 'Liveness and store status for load balancers.' },
  { name: 'admin', description: 'The admin dashboard and the figures it draws: admins only.' },
  { name: 'operations', description: 'Metrics and this reference: for operators and tools, outside the rate limit.' },
];
