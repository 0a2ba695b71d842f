import { Hono } from 'hono';
import { distanceQuerySchema, nearbyQuerySchema } from '../../../shared/geo.ts';
import type { AppEnv } from '../../http-env.ts';
import { parseInput } from '../../transport/rest.ts';
import type { GeoService } from './geo.service.ts';

/** REST for geo search; described in geo.openapi.ts. */
export function geoRoutes(geo: GeoService) {

  return new Hono<AppEnv>()
    .get('/geo/nearby', async (c) => c.json(await geo.nearby(parseInput(nearbyQuerySchema, c.req.query()))))
    .get('/geo/distance', async (c) => c.json(await geo.distance(parseInput(distanceQuerySchema, c.req.query()))));
}
