import { Hono } from 'hono';
import { activityInputSchema, postAnalyticsInputSchema } from '../../../shared/analytics.ts';
import type { AppEnv } from '../../http-env.ts';
import { parseInput } from '../../transport/rest.ts';
import { requireAdmin, requireSession } from '../auth/auth.guards.ts';
import type { AnalyticsService } from './analytics.service.ts';

/** REST under /analytics, described for OpenAPI in analytics.openapi.ts. */
export function analyticsRoutes(analytics: AnalyticsService) {
  return new Hono<AppEnv>()
    .basePath('/analytics')
    .get('/posts/:id', async (c) => {
      const { id } = parseInput(postAnalyticsInputSchema, c.req.param());
      return c.json(await analytics.post(id));
    })
    .get('/site', async (c) => {
      requireAdmin(c);
      return c.json(await analytics.site());
    })
    .get('/me/activity', async (c) => {
      const session = requireSession(c);
      const { limit } = parseInput(activityInputSchema, c.req.query());
      return c.json(await analytics.myActivity(session.userId, limit));
    });
}
