import {
  activityInputSchema,
  activityListSchema,
  postAnalyticsInputSchema,
  postAnalyticsSchema,
  siteAnalyticsSchema,
} from '../../../shared/analytics.ts';
import { adminProcedure, authedProcedure, publicProcedure, router } from '../../trpc.ts';

/** `analytics.*`: the same operations as the REST routes under /analytics, with the same schemas. */
export const analyticsRouter = router({
  post: publicProcedure
    .input(postAnalyticsInputSchema)
    .output(postAnalyticsSchema)
    .query(({ ctx, input }) => ctx.services.analytics.post(input.id)),

  site: adminProcedure.output(siteAnalyticsSchema).query(({ ctx }) => ctx.services.analytics.site()),

  myActivity: authedProcedure
    // No input at all is fine: myActivity.query() is the default limit.
    .input(activityInputSchema.prefault({}))
    .output(activityListSchema)
    .query(({ ctx, input }) => ctx.services.analytics.myActivity(ctx.session.userId, input.limit)),
});
