import { Hono } from 'hono';
import type { AppEnv } from '../../http-env.ts';
import { json } from '../../transport/response.ts';
import { serve } from '../../transport/rest.ts';
import { requireSession } from '../auth/auth.guards.ts';
import { createPost, deletePost, getPost, getPostViews, listPosts, listUserPosts, updatePost } from './posts.openapi.ts';
import type { PostsService } from './posts.service.ts';

/**
 * REST for posts, in the tutorial's shapes, each bound to its definition in posts.openapi.ts.
 * Thin: the definition's schemas parse the input, the posts service does the work. Writes need a
 * session (401, or 503 while Redis is down); reads do not. `/posts/trending` belongs to the
 * trending feature (trending.routes.ts), mounted before these.
 */
export function postsRoutes(posts: PostsService) {
  const app = new Hono<AppEnv>();
  serve(app, listPosts, async (c, { query }) => c.json(await posts.list(query)));
  serve(app, getPost, async (c, { params }) => {
    // HEAD is served by this GET route too; it is not a view.
    const countView = c.req.method === 'GET';
    const { session, read } = c.get('preflight');
    const viewer = { session, clientIp: c.get('clientIp'), userAgent: c.req.header('user-agent') ?? '' };
    return json(c, await posts.get(params.id, { prefetched: read, countView, viewer }));
  });
  serve(app, getPostViews, async (c, { params }) => c.json(await posts.views(params.id)));
  serve(app, createPost, async (c, { body, caller }) => c.json(await posts.create(caller, body), 201), requireSession);
  serve(app, updatePost, async (c, { params, body, caller }) => c.json(await posts.update(caller, params.id, body)), requireSession);
  serve(
    app,
    deletePost,
    async (c, { params, caller }) => {
      await posts.remove(caller, params.id);
      return c.json({ message: 'Post deleted successfully' as const });
    },
    requireSession,
  );
  serve(app, listUserPosts, async (c, { params, query }) => c.json(await posts.byAuthor(params.id, query)));
  return app;
}
