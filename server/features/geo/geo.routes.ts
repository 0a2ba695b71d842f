import { Hono } from 'hono';
import type { AppEnv } from '../../http-env.ts';
import { serve } from '../../transport/rest.ts';
import { distance, nearby } from './geo.openapi.ts';
import type { GeoService } from './geo.service.ts';

/** REST for geo search, bound to the definitions in geo.openapi.ts. */
export function geoRoutes(geo: GeoService) {
  const app = new Hono<AppEnv>();
  serve(app, nearby, async (c, { query }) => c.json(await geo.nearby(query)));
  serve(app, distance, async (c, { query }) => c.json(await geo.distance(query)));
  return app;
}
