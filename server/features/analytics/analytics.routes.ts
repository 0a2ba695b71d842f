import { Hono } from 'hono';
import type { AppEnv } from '../../http-env.ts';
import { serve } from '../../transport/rest.ts';
import { requireAdmin, requireSession } from '../auth/auth.guards.ts';
import { myActivity, postAnalytics, siteAnalytics } from './analytics.openapi.ts';
import type { AnalyticsService } from './analytics.service.ts';

/** REST under /analytics, bound to the definitions in analytics.openapi.ts. */
export function analyticsRoutes(analytics: AnalyticsService) {
  const app = new Hono<AppEnv>();
  serve(app, postAnalytics, async (c, { params }) => c.json(await analytics.post(params.id)));
  serve(app, siteAnalytics, async (c) => c.json(await analytics.site()), requireAdmin);
  serve(app, myActivity, async (c, { query, caller }) => c.json(await analytics.myActivity(caller.userId, query.limit)), requireSession);
  return app;
}
