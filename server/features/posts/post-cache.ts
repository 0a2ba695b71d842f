import type { RedisClient } from '../../redis/client.ts';
import type { Post } from '../../../shared/posts.ts';
import type { Keys } from '../../redis/keys.ts';
import { within } from '../../timeout.ts';
import type { Checked, FillGuard, Filled } from './fill-guard.ts';
import type { PostRecord } from './posts.repo.ts';

/** What a miss needs to remember: the fence seen before loading (0: none). */
export interface EntryMiss {
  fence: number;
}

/** A post with its version, or null for "no such post" (the negative entry). */
export type CachedPost = PostRecord | null;

/** A cache read's reply; when Redis did not answer, a miss with `redisFailed` (and fence -1, which no fill passes). */
export type EntryRead = Checked<CachedPost, EntryMiss>;

export interface PostCacheOptions {
  redis: RedisClient;
  keys: Keys;
  guard: FillGuard;
  /** Loads a post from SQL (the source of truth). */
  load(id: number): Promise<PostRecord | null>;
  ttlMs: number;
  negativeTtlMs: number;
  /** A lookup without an answer by then counts as Redis failing (the read goes to SQL). */
  timeoutMs: number;
}

/** ±10%: entries filled together (after a deploy, a new generation) do not all expire together. */
export const jitter = (ms: number) => Math.round(ms * (0.9 + Math.random() * 0.2));

/**
 * Cache-aside for single posts. An entry is `<version>|<post JSON>` (or `<fence>|null` for an id
 * that does not exist) under the post's key of the current generation, next to the post's fence:
 * the highest version an invalidation recorded. One MGET reads both, and an entry below its fence
 * is treated as a miss, so a write is never hidden by an entry that escaped its invalidation
 * (e.g. filled by an instance still on an older generation). Fills go through `cache-fill-2.lua`,
 * which refuses any version below the fence: a reader that loaded the old post before an update
 * cannot put it back afterwards.
 */
export function createPostCache({ redis, keys, guard, load, ttlMs, negativeTtlMs, timeoutMs }: PostCacheOptions) {
  /** Invalidation fences live twice as long as an entry can, so they outlive every entry they guard. */
  const fenceTtlMs = 2 * Math.ceil(ttlMs * 1.1);

  function decode(entry: string | null, fenceRaw: string | null): EntryRead {
    const fence = Number(fenceRaw ?? 0);
    if (entry !== null) {
      const bar = entry.indexOf('|');
      const version = Number(entry.slice(0, bar));
      if (version >= fence) {
        try {
          const post = JSON.parse(entry.slice(bar + 1)) as Post | null;
          return { hit: true, value: post && { post, version } };
        } catch {
          // A corrupt entry is a miss; the fill overwrites it.
        }
      }
    }
    return { hit: false, miss: { fence } };
  }

  const unavailable: EntryRead = { hit: false, miss: { fence: -1 }, redisFailed: true };

  /** The keys `read` reads, for a caller that reads them itself (the request preflight). */
  const keysOf = (generation: number, id: number) => [keys.postEntry(generation, id), keys.postFence(id)] as const;

  /** What such a caller read (null: Redis did not answer), as `read` would answer. */
  function decodeRead(values: readonly (string | null)[] | null): EntryRead {
    return values === null ? unavailable : decode(values[0] ?? null, values[1] ?? null);
  }

  /** One MGET of the entry and its fence; never rejects. */
  function read(generation: number, id: number): Promise<EntryRead> {
    return within(redis.mget(keys.postEntry(generation, id), keys.postFence(id)), timeoutMs, 'post cache lookup').then(
      ([entry, fence]) => decode(entry ?? null, fence ?? null),
      () => unavailable,
    );
  }

  function store(generation: number, id: number, record: CachedPost, miss: EntryMiss) {
    const key = keys.postEntry(generation, id);
    const fence = keys.postFence(id);
    if (record) return redis.cacheFill(key, fence, record.version, `${record.version}|${JSON.stringify(record.post)}`, jitter(ttlMs));
    // "No such post" holds the fence seen before the load: a post created since raised it.
    return redis.cacheFill(key, fence, miss.fence, `${miss.fence}|null`, negativeTtlMs);
  }

  return {
    read,
    keysOf,
    decodeRead,

    /**
     * After a miss: one SQL load for all concurrent misses (FillGuard), then a fenced fill.
     * `generation` null (the cache is bypassed) or `viaRedis` false (Redis just failed): only the
     * load, still shared by concurrent callers.
     */
    fill(generation: number | null, id: number, viaRedis = true): Promise<Filled<CachedPost>> {
      const steps = {
        check: () => (generation === null ? Promise.resolve(unavailable) : read(generation, id)),
        load: () => load(id),
        store: async (record: CachedPost, miss: EntryMiss) => {
          if (generation !== null) await store(generation, id, record, miss);
        },
      };
      return guard.run<CachedPost, EntryMiss>(`post:g${generation}:${id}`, steps, viaRedis && generation !== null);
    },

    /**
     * After a write committed: raise the fence to the version it produced (a deletion: its last
     * version + 1) and drop the entry. Rejects when Redis does not answer (the caller then starts
     * a new generation).
     */
    invalidate(generation: number, id: number, version: number): Promise<number> {
      return redis.cacheInvalidate(keys.postEntry(generation, id), keys.postFence(id), version, fenceTtlMs);
    },
  };
}

export type PostCache = ReturnType<typeof createPostCache>;
