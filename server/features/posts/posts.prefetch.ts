import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../../context.ts';
import type { PostsService } from './posts.service.ts';

/** `/posts/<id>` with a well-formed id; anything else is left to the route (which answers 400 or 404). */
const postPath = /^\/posts\/([1-9][0-9]{0,9})$/;

/**
 * Starts the cache lookup of `GET /posts/:id` before the session and rate-limit middleware, so
 * that it leaves in the same write as their Redis calls (ioredis auto-pipelining gathers what is
 * issued in one tick): a cached read costs 1 round trip (session + cache lookup + the rate-limit
 * decision sent ahead, see `rateLimitAhead`). The lookup only reads: a request the limiter
 * refuses, or one without a valid session, drops the result and nothing is recorded; the route
 * counts the view only when it serves the post.
 *
 * Mounted before the session middleware; the route picks the lookup up from `c.get('postPrefetch')`.
 */
export function postPrefetch(posts: Pick<PostsService, 'prefetch'>): MiddlewareHandler<AppEnv> {
  if (typeof posts?.prefetch !== 'function') throw new Error('postPrefetch: a posts service with prefetch() is required');
  return async function postPrefetch(c, next) {
    if (c.req.method === 'GET') {
      const match = postPath.exec(c.req.path);
      if (match) c.set('postPrefetch', posts.prefetch(Number(match[1])));
    }
    return next();
  };
}
