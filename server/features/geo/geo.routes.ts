import { Hono } from 'hono';
import { distanceQuerySchema, nearbyQuerySchema } from '../../../shared/geo.ts';
import type { AppEnv } from '../../context.ts';
import type { Services } from '../../services.ts';
import { parseInput } from '../../transport/rest.ts';

/** REST for geo search; described in geo.openapi.ts. */
export function geoRoutes(services: Services) {
  const geo = services.geo;

  return new Hono<AppEnv>()
    .get('/geo/nearby', async (c) => c.json(await geo.nearby(parseInput(nearbyQuerySchema, c.req.query()))))
    .get('/geo/distance', async (c) => c.json(await geo.distance(parseInput(distanceQuerySchema, c.req.query()))));
}
