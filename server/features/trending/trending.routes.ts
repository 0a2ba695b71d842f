import { Hono } from 'hono';
import type { AppEnv } from '../../http-env.ts';
import { serve } from '../../transport/rest.ts';
import { topAuthors, trendingList, tutorialTrending } from './trending.openapi.ts';
import type { TrendingService } from './trending.service.ts';

/**
 * REST for trending, bound to the definitions in trending.openapi.ts. `GET /posts/trending` keeps
 * the tutorial's answer (an array of posts, most viewed first); `GET /trending` answers each post
 * with its views. Mounted before the posts routes, whose `/posts/:id` would otherwise take
 * "trending" as an id.
 */
export function trendingRoutes(trending: TrendingService) {
  const app = new Hono<AppEnv>();
  serve(app, tutorialTrending, async (c, { query }) => c.json((await trending.list(query)).map((t) => t.post)));
  serve(app, trendingList, async (c, { query }) => c.json(await trending.list(query)));
  serve(app, topAuthors, async (c, { query }) => c.json(await trending.authors(query, c.get('preflight').session?.userId ?? null)));
  return app;
}
