import { z } from 'zod';
import { answerSizeSchema, POST_LIMITS, postIdSchema, postSchema } from './posts.ts';

/** Distance units Redis GEO understands, and how many metres each is. */
export const geoUnits = ['m', 'km', 'mi', 'ft'] as const;
export type GeoUnit = (typeof geoUnits)[number];
export const METRES_PER_UNIT: Record<GeoUnit, number> = { m: 1, km: 1000, mi: 1609.34, ft: 0.3048 };

/** The widest search: half the Earth's circumference, roughly. */
export const MAX_RADIUS_KM = 20_000;

const unitSchema = z.enum(geoUnits, { error: `expected one of ${geoUnits.join(', ')}` }).default('km').describe('m, km, mi or ft');

/** Degrees; REST turns a query string's number into one at its edge, and refuses an empty one rather than read it as 0. */
const coordinate = (name: string, max: number) =>
  z
    .number({ error: `expected a ${name} in degrees` })
    .min(-max, { error: `expected a ${name} between -${max} and ${max}` })
    .max(max, { error: `expected a ${name} between -${max} and ${max}` })
    .describe(`${name[0]!.toUpperCase()}${name.slice(1)} in degrees (WGS 84), within ±${max}`);

/** `GET /geo/nearby`, `geo.nearby`: posts within `radius` of a point, nearest first. */
export const nearbyQuerySchema = z
  .object({
    longitude: coordinate('longitude', 180),
    latitude: coordinate('latitude', POST_LIMITS.maxLatitude),
    radius: z
      .number({ error: 'expected a radius' })
      .positive({ error: 'expected a radius above 0' })
      .describe(`Search radius in \`unit\`, above 0 and at most ${MAX_RADIUS_KM.toLocaleString('en')} km`),
    unit: unitSchema,
    limit: answerSizeSchema(20),
  })
  .superRefine((q, ctx) => {
    const maxInUnit = (MAX_RADIUS_KM * 1000) / METRES_PER_UNIT[q.unit];
    if (q.radius > maxInUnit) {
      ctx.addIssue({
        code: 'custom',
        path: ['radius'],
        message: `expected at most ${MAX_RADIUS_KM} km (${Math.floor(maxInUnit)} ${q.unit})`,
      });
    }
  });
export type NearbyQuery = z.input<typeof nearbyQuerySchema>;

export const nearbyPostSchema = z
  .object({ post: postSchema, distance: z.number().nonnegative().describe('From the point, in the requested unit') })
  .meta({ id: 'NearbyPost' });
/** Nearest first. */
export const nearbyListSchema = z.array(nearbyPostSchema);
export type NearbyPost = z.infer<typeof nearbyPostSchema>;

/** `GET /geo/distance`, `geo.distance`: how far apart two posts were written. */
export const distanceQuerySchema = z.object({
  from: postIdSchema.describe('A post id'),
  to: postIdSchema.describe('Another post id'),
  unit: unitSchema,
});
export type DistanceQuery = z.input<typeof distanceQuerySchema>;

export const distanceSchema = z.object({ distance: z.number().nonnegative(), unit: z.enum(geoUnits) });
export type Distance = z.infer<typeof distanceSchema>;
