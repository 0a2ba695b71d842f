import type { z } from 'zod';
import type { Distance, distanceQuerySchema, NearbyPost, nearbyQuerySchema } from '../../../shared/geo.ts';
import type { ServiceDeps } from '../../deps.ts';
import { AppError } from '../../errors.ts';
import { within } from '../../timeout.ts';
import type { PostsService } from '../posts/posts.service.ts';

type Nearby = z.output<typeof nearbyQuerySchema>;
type Between = z.output<typeof distanceQuerySchema>;

const unavailable = (cause?: unknown) =>
  new AppError('SERVICE_UNAVAILABLE', 'The location index is not available right now; try again shortly', { retryAfter: 1, cause });

/**
 * Geo search over posts with a location (a Geo set, `keys.postLocations()`). The set is part of
 * the posts index (post-index.ts): `post-index.lua` GEOADDs or removes a post inside the SQL
 * transaction that creates, updates or deletes it, so it never disagrees with SQL, and it is
 * rebuilt from SQL with the tag index whenever the `ready` marker is missing (Redis lost its data,
 * first start). A query reads the marker in the same MULTI; without it, it waits for the rebuild
 * once, then answers 503 (a radius search in SQL without PostGIS would scan every post).
 */
export function createGeoService(deps: ServiceDeps, posts: PostsService) {
  const { redis, keys, config } = deps;
  const timeoutMs = config.POST_CACHE_TIMEOUT_MS;
  const index = posts.internals.index;

  /** Runs `query` after the marker check in one MULTI; its reply, or a 503 when the index is not there. */
  async function indexed<T>(query: (m: ReturnType<typeof redis.multi>) => unknown, what: string): Promise<T> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const m = redis.multi().exists(keys.postIndexReady());
      query(m);
      const reply = await within(m.exec(), timeoutMs, what).catch((err: unknown) => {
        throw unavailable(err);
      });
      if (!reply || reply.some(([err]) => err)) throw unavailable(reply?.find(([err]) => err)?.[0]);
      if (reply[0]![1] === 1) return reply[1]![1] as T;
      await index.ensureBuilt();
    }
    throw unavailable();
  }

  return {
    /** Posts within `radius` of a point, nearest first, each with its distance in `unit` (GEOSEARCH). */
    async nearby({ longitude, latitude, radius, unit, limit }: Nearby): Promise<NearbyPost[]> {
      const found = await indexed<[string, string][]>(
        (m) => m.geosearch(keys.postLocations(), 'FROMLONLAT', longitude, latitude, 'BYRADIUS', radius, unit, 'ASC', 'COUNT', limit, 'WITHDIST'),
        'geo search',
      );
      const byId = new Map((await posts.getMany(found.map(([id]) => Number(id)))).map((p) => [p.id, p]));
      return found.flatMap(([id, distance]) => {
        const post = byId.get(Number(id));
        return post ? [{ post, distance: Number(distance) }] : [];
      });
    },

    /**
     * Up to `limit` posts with a location and their coordinates (GEOSEARCH over a box the size of
     * the Earth, nearest to 0°,0° first: beyond `limit` a bounded subset), for a map.
     */
    async located(limit: number): Promise<{ postId: number; longitude: number; latitude: number }[]> {
      const found = await indexed<[string, [string, string]][]>(
        (m) => m.geosearch(keys.postLocations(), 'FROMLONLAT', 0, 0, 'BYBOX', 40_076, 20_038, 'km', 'ASC', 'COUNT', limit, 'WITHCOORD'),
        'geo search',
      );
      return found.map(([id, [longitude, latitude]]) => ({ postId: Number(id), longitude: Number(longitude), latitude: Number(latitude) }));
    },

    /** How far apart two posts were written (GEODIST); 404 when one does not exist or has no location. */
    async distance({ from, to, unit }: Between): Promise<Distance> {
      const distance = await indexed<string | null>((m) => m.call('GEODIST', keys.postLocations(), from, to, unit), 'geo distance');
      if (distance !== null) return { distance: Number(distance), unit };
      const found = new Map((await posts.getMany([from, to])).map((p) => [p.id, p]));
      const culprit = [from, to].find((id) => !found.get(id)?.location) ?? from;
      throw new AppError(
        'NOT_FOUND',
        found.has(culprit) ? `Post ${culprit} has no location` : `Post ${culprit} not found`,
        { details: [{ field: culprit === from ? 'from' : 'to', message: found.has(culprit) ? 'no location' : 'not found' }] },
      );
    },
  };
}

export type GeoService = ReturnType<typeof createGeoService>;
