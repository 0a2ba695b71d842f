import { z } from 'zod';
import {
  createPostInputSchema,
  listPostsQuerySchema,
  pageQuerySchema,
  postDeletedSchema,
  postIdParamsSchema,
  postPageSchema,
  postResultSchema,
  postSchema,
  postViewsSchema,
  trendingPostsSchema,
  updatePostInputSchema,
  userIdParamsSchema,
} from '../../../shared/posts.ts';
import { authedProcedure, publicProcedure, router } from '../../trpc.ts';

/** `posts.*`: the same operations as the REST routes, with the same shared schemas. */
export const postsRouter = router({
  list: publicProcedure
    .input(listPostsQuerySchema)
    .output(postPageSchema)
    .query(({ ctx, input }) => ctx.services.posts.list(input)),

  get: publicProcedure
    .input(postIdParamsSchema)
    .output(postResultSchema)
    .query(({ ctx, input }) =>
      ctx.services.posts.get(input.id, { prefetched: ctx.prefetched, viewer: { session: ctx.session, clientIp: ctx.clientIp, userAgent: ctx.userAgent } }),
    ),

  byUser: publicProcedure
    .input(userIdParamsSchema.extend(pageQuerySchema.shape))
    .output(postPageSchema)
    .query(({ ctx, input: { id, ...page } }) => ctx.services.posts.byAuthor(id, page)),

  views: publicProcedure
    .input(postIdParamsSchema)
    .output(postViewsSchema)
    .query(({ ctx, input }) => ctx.services.posts.views(input.id)),

  /** The tutorial's trending (as GET /posts/trending): the 10 most viewed posts of 24 hours; `trending.*` has more. */
  trending: publicProcedure
    .output(trendingPostsSchema)
    .query(async ({ ctx }) => (await ctx.services.trending.list({ window: '24h', limit: 10 })).map((t) => t.post)),

  create: authedProcedure
    .input(createPostInputSchema)
    .output(postSchema)
    .mutation(({ ctx, input }) => ctx.services.posts.create(ctx.session, input)),

  update: authedProcedure
    .input(z.object({ id: postIdParamsSchema.shape.id, patch: updatePostInputSchema }))
    .output(postSchema)
    .mutation(({ ctx, input }) => ctx.services.posts.update(ctx.session, input.id, input.patch)),

  delete: authedProcedure
    .input(postIdParamsSchema)
    .output(postDeletedSchema)
    .mutation(async ({ ctx, input }) => {
      await ctx.services.posts.remove(ctx.session, input.id);
      return { message: 'Post deleted successfully' as const };
    }),
});
