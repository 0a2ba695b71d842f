import { distanceQuerySchema, distanceSchema, nearbyListSchema, nearbyQuerySchema } from '../../../shared/geo.ts';
import { publicProcedure, router } from '../../trpc.ts';

/** `geo.*`: the same operations as the REST routes, with the same shared schemas. */
export const geoRouter = router({
  nearby: publicProcedure
    .input(nearbyQuerySchema)
    .output(nearbyListSchema)
    .query(({ ctx, input }) => ctx.services.geo.nearby(input)),

  distance: publicProcedure
    .input(distanceQuerySchema)
    .output(distanceSchema)
    .query(({ ctx, input }) => ctx.services.geo.distance(input)),
});
