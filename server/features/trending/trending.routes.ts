import { Hono } from 'hono';
import { topAuthorsQuerySchema, trendingQuerySchema } from '../../../shared/trending.ts';
import type { AppEnv } from '../../http-env.ts';
import { parseInput } from '../../transport/rest.ts';
import type { TrendingService } from './trending.service.ts';

/**
 * REST for trending. `GET /posts/trending` keeps the tutorial's answer (an array of posts, most
 * viewed first); `GET /trending` answers each post with its views. Mounted before the posts
 * routes, whose `/posts/:id` would otherwise take "trending" as an id. Described in trending.openapi.ts.
 */
export function trendingRoutes(trending: TrendingService) {

  return new Hono<AppEnv>()
    .get('/posts/trending', async (c) => {
      const top = await trending.list(parseInput(trendingQuerySchema, c.req.query()));
      return c.json(top.map((t) => t.post));
    })
    .get('/trending', async (c) => c.json(await trending.list(parseInput(trendingQuerySchema, c.req.query()))))
    .get('/trending/authors', async (c) => {
      const query = parseInput(topAuthorsQuerySchema, c.req.query());
      return c.json(await trending.authors(query, c.get('preflight').session?.userId ?? null));
    });
}
