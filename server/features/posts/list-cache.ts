import type { RedisClient } from '../../redis/client.ts';
import type { Post } from '../../../shared/posts.ts';
import type { Keys } from '../../redis/keys.ts';
import type { Checked, FillGuard, Filled } from './fill-guard.ts';
import { within } from '../../timeout.ts';
import { jitter } from './post-cache.ts';

/** One cached list page: the posts and how many match in all. */
export interface ListPage {
  data: Post[];
  total: number;
}

/** The list version the page was missing under; the fill stores under it. */
interface ListMiss {
  version: number;
}

export type ListRead = Checked<ListPage, ListMiss>;

export interface ListCacheOptions {
  redis: RedisClient;
  keys: Keys;
  guard: FillGuard;
  ttlMs: number;
  /** A lookup without an answer by then counts as Redis failing (the read goes to SQL). */
  timeoutMs: number;
}

/**
 * Cache-aside for list pages. Every page key carries the list version (`posts:list:{pl}:g<gen>:v<N>:<query>`);
 * a write INCRs the version after its commit, which makes every page unreachable at once, without
 * scanning or deleting keys (the old pages expire by TTL). A reader that loaded a page before the
 * write stores it under the old version, where nobody looks any more: no stale re-fill.
 * One MGET reads the version and the page under the version this process saw last; only when the
 * version moved does a second read follow.
 */
export function createListCache({ redis, keys, guard, ttlMs, timeoutMs }: ListCacheOptions) {
  const versionKey = keys.postListVersion();
  let lastVersion = 0;

  function decode(page: string | null | undefined, version: number): ListRead {
    if (page) return { hit: true, value: JSON.parse(page) as ListPage };
    return { hit: false, miss: { version } };
  }

  async function readOrThrow(generation: number, query: string): Promise<ListRead> {
    const guess = lastVersion;
    const [versionRaw, page] = await redis.mget(versionKey, keys.postListPage(generation, guess, query));
    const version = Number(versionRaw ?? 0);
    if (version === guess) return decode(page, version);
    lastVersion = version;
    return decode(await redis.get(keys.postListPage(generation, version, query)), version);
  }

  const unavailable: ListRead = { hit: false, miss: { version: -1 }, redisFailed: true };

  /** Never rejects: a Redis failure is a miss that must not be stored. */
  const read = (generation: number, query: string): Promise<ListRead> =>
    within(readOrThrow(generation, query), timeoutMs, 'list cache lookup').catch(() => unavailable);

  return {
    read,

    /**
     * After a miss under list `version`: one SQL load for all concurrent misses (FillGuard), then
     * the page is stored under that version. `generation` null or `viaRedis` false: only the load.
     */
    fill(generation: number | null, query: string, version: number, load: () => Promise<ListPage>, viaRedis = true): Promise<Filled<ListPage>> {
      const steps = {
        check: () => (generation === null ? Promise.resolve(unavailable) : read(generation, query)),
        load,
        store: async (page: ListPage, miss: ListMiss) => {
          if (generation !== null && miss.version >= 0) {
            await redis.set(keys.postListPage(generation, miss.version, query), JSON.stringify(page), 'PX', jitter(ttlMs));
          }
        },
      };
      return guard.run<ListPage, ListMiss>(`list:g${generation}:v${version}:${query}`, steps, viaRedis && generation !== null);
    },

    /** After a write committed: every cached page becomes unreachable. Rejects when Redis does not answer. */
    invalidate: () => redis.incr(versionKey),
  };
}

export type ListCache = ReturnType<typeof createListCache>;
