import { topAuthorsQuerySchema, topAuthorsSchema, trendingListSchema, trendingQuerySchema } from '../../../shared/trending.ts';
import { publicProcedure, router } from '../../trpc.ts';

/** `trending.*`: the same operations as the REST routes, with the same shared schemas. */
export const trendingRouter = router({
  list: publicProcedure
    .input(trendingQuerySchema)
    .output(trendingListSchema)
    .query(({ ctx, input }) => ctx.services.trending.list(input)),

  /** With `myRank` when the caller has a session. */
  authors: publicProcedure
    .input(topAuthorsQuerySchema)
    .output(topAuthorsSchema)
    .query(({ ctx, input }) => ctx.services.trending.authors(input, ctx.session?.userId ?? null)),
});
