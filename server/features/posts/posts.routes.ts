import { Hono } from 'hono';
import {
  createPostInputSchema,
  listPostsQuerySchema,
  pageQuerySchema,
  postIdParamsSchema,
  updatePostInputSchema,
  userIdParamsSchema,
} from '../../../shared/posts.ts';
import type { AppEnv } from '../../http-env.ts';
import { json } from '../../transport/response.ts';
import { parseInput, readJson } from '../../transport/rest.ts';
import { requireSession } from '../auth/auth.guards.ts';
import type { PostsService } from './posts.service.ts';

/**
 * REST for posts, in the tutorial's shapes. Thin: parse with the shared schema, call the posts
 * service, shape the answer. Writes need a session (401, or 503 while Redis is down); reads do not.
 * `/posts/trending` belongs to the trending feature (trending.routes.ts), mounted before these.
 * Described for OpenAPI in posts.openapi.ts.
 */
export function postsRoutes(posts: PostsService) {

  return new Hono<AppEnv>()
    .get('/posts', async (c) => c.json(await posts.list(parseInput(listPostsQuerySchema, c.req.query()))))
    .get('/posts/:id', async (c) => {
      const { id } = parseInput(postIdParamsSchema, c.req.param());
      // HEAD is served by this GET route too; it is not a view.
      const countView = c.req.method === 'GET';
      const { session, read } = c.get('preflight');
      const viewer = { session, clientIp: c.get('clientIp'), userAgent: c.req.header('user-agent') ?? '' };
      return json(c, await posts.get(id, { prefetched: read, countView, viewer }));
    })
    .get('/posts/:id/views', async (c) => {
      const { id } = parseInput(postIdParamsSchema, c.req.param());
      return c.json(await posts.views(id));
    })
    .post('/posts', async (c) => {
      const session = requireSession(c);
      const input = await readJson(c, createPostInputSchema);
      return c.json(await posts.create(session, input), 201);
    })
    .put('/posts/:id', async (c) => {
      const session = requireSession(c);
      const { id } = parseInput(postIdParamsSchema, c.req.param());
      const patch = await readJson(c, updatePostInputSchema);
      return c.json(await posts.update(session, id, patch));
    })
    .delete('/posts/:id', async (c) => {
      const session = requireSession(c);
      const { id } = parseInput(postIdParamsSchema, c.req.param());
      await posts.remove(session, id);
      return c.json({ message: 'Post deleted successfully' as const });
    })
    .get('/users/:id/posts', async (c) => {
      const { id } = parseInput(userIdParamsSchema, c.req.param());
      return c.json(await posts.byAuthor(id, parseInput(pageQuerySchema, c.req.query())));
    });
}
