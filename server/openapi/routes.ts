import { analyticsDocs } from '../features/analytics/analytics.openapi.ts';
import { authDocs } from '../features/auth/auth.openapi.ts';
import { dashboardDocs } from '../features/dashboard/dashboard.openapi.ts';
import { usersDocs } from '../features/auth/users.openapi.ts';
import { eventsDocs } from '../features/events/events.openapi.ts';
import { healthDocs } from '../features/health/health.openapi.ts';
import { geoDocs } from '../features/geo/geo.openapi.ts';
import { postsDocs } from '../features/posts/posts.openapi.ts';
import { trendingDocs } from '../features/trending/trending.openapi.ts';
import type { RouteDoc } from './route-doc.ts';

/**
 * Every documented REST route, feature by feature. A feature that adds REST routes adds its
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
];
