import { errorResponseSchema } from '../../../shared/errors.ts';
import { distanceQuerySchema, distanceSchema, nearbyListSchema, nearbyQuerySchema } from '../../../shared/geo.ts';
import type { RouteDoc } from '../../openapi/route-doc.ts';

const tags = ['geo'];
const indexDown = {
  description: 'Redis, which holds the location index, is not answering, or the index is being rebuilt from SQL (`Retry-After`)',
  schema: errorResponseSchema,
};

/** Every REST route of the geo feature. */
export const geoDocs: RouteDoc[] = [
  {
    method: 'get',
    path: '/geo/nearby',
    summary: 'Posts written within `radius` of a point, nearest first, each with its distance (GEOSEARCH)',
    tags,
    request: { query: nearbyQuerySchema },
    responses: {
      200: { description: 'Nearest first; `distance` in `unit`', schema: nearbyListSchema },
      400: {
        description: 'A field is invalid (`details` names it: longitude, latitude, radius, unit, limit)',
        schema: errorResponseSchema,
      },
      503: indexDown,
    },
  },
  {
    method: 'get',
    path: '/geo/distance',
    summary: 'How far apart two posts were written (GEODIST)',
    tags,
    request: { query: distanceQuerySchema },
    responses: {
      200: { description: 'The distance in `unit`', schema: distanceSchema },
      400: { description: 'A field is invalid (`details` names it: from, to, unit)', schema: errorResponseSchema },
      404: { description: 'A post does not exist or has no location (`details` names from or to)', schema: errorResponseSchema },
      503: indexDown,
    },
  },
];
