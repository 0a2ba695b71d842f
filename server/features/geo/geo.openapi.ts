import { errorResponseSchema } from '../../../shared/errors.ts';
import { postExample } from '../../../shared/posts.ts';
import { distanceQuerySchema, distanceSchema, nearbyListSchema, nearbyQuerySchema } from '../../../shared/geo.ts';
import { route } from '../../openapi/route-doc.ts';

const tags = ['geo'];
const indexDown = {
  description: 'Redis, which holds the location index, is not answering, or the index is being rebuilt from SQL (`Retry-After`)',
  schema: errorResponseSchema,
  headers: { 'Retry-After': { description: 'Seconds to wait, when the index is being rebuilt', schema: { type: 'integer' as const } } },
};

export const nearby = route({
  method: 'get',
  path: '/geo/nearby',
  summary: 'Find posts near a point',
  description: 'Posts written within `radius` of a point, nearest first, each with its distance in `unit` (Redis GEOSEARCH).',
  tags,
  request: { query: nearbyQuerySchema },
  responses: {
    200: { description: 'Nearest first; `distance` in `unit`', schema: nearbyListSchema, example: [{ post: postExample, distance: 1.2 }] },
    400: { description: 'A field is invalid (`details` names it: longitude, latitude, radius, unit, limit)', schema: errorResponseSchema },
    503: indexDown,
  },
});

export const distance = route({
  method: 'get',
  path: '/geo/distance',
  summary: 'Distance between two posts',
  description: 'How far apart two posts were written, in `unit` (Redis GEODIST).',
  tags,
  request: { query: distanceQuerySchema },
  responses: {
    200: { description: 'The distance in `unit`', schema: distanceSchema, example: { distance: 878.4, unit: 'km' } },
    400: { description: 'A field is invalid (`details` names it: from, to, unit)', schema: errorResponseSchema },
    404: { description: 'A post does not exist or has no location (`details` names from or to)', schema: errorResponseSchema },
    503: indexDown,
  },
});

/** Every REST operation of the geo feature. */
export const geoDocs = [nearby, distance];
