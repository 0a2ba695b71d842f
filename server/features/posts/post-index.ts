import { randomBytes } from 'node:crypto';
import type { RedisClient } from '../../redis/client.ts';
import type { Location } from '../../../shared/posts.ts';
import type { Db } from '../../db/db.ts';
import type { Logger } from '../../logger.ts';
import type { Keys } from '../../redis/keys.ts';
import { within } from '../../timeout.ts';
import { createPostsRepo } from './posts.repo.ts';

/** One post's change, as the index needs it. */
export interface IndexChange {
  id: number;
  authorId: number;
  op: 'put' | 'del';
  /** The tags the row had before the change (read under the row lock); [] for a new post. */
  oldTags: readonly string[];
  /** The tags it has now; [] for a deletion. */
  newTags: readonly string[];
  /** Where it is now; null without a location, and for a deletion. */
  location: Location | null;
}

export interface PostIndexOptions {
  redis: RedisClient;
  keys: Keys;
  db: Db;
  logger: Logger;
  /** Bound on a query's Redis read; past it the caller answers from SQL. */
  timeoutMs: number;
}

const REBUILD_LOCK_MS = 60_000;
/** Commands per pipeline while rebuilding. */
const CHUNK = 500;

/**
 * The tag index (tag -> post ids, post -> tags; Sets), the author index (user -> post ids;
 * Sorted set by id) and the location index (post ids by where they are; Geo, read by the geo
 * feature), mirrors of SQL under the hash tag `{idx}`:
 *
 * - Writes: `post-index.lua`, called inside the SQL transaction that changes the row, after the
 *   change (the row lock orders the calls for one post; a Redis failure rolls the write back).
 * - Reads: all-of is SINTER, any-of SUNION (`tags-query.lua`), an author's page is ZREVRANGE; each
 *   only while the `ready` marker says the index is complete. Without it (Redis lost its data, a
 *   drift was found, first start), callers answer from SQL and the index is rebuilt from SQL in the
 *   background, under a Redis lock and a SQL table lock that holds writes off meanwhile.
 */
export function createPostIndex({ redis, keys, db, logger, timeoutMs }: PostIndexOptions) {
  const ready = keys.postIndexReady();
  let rebuilding: Promise<void> | null = null;

  async function rebuild(): Promise<void> {
    const lock = keys.lock('post-index-rebuild');
    const token = randomBytes(16).toString('base64url');
    if ((await redis.set(lock, token, 'PX', REBUILD_LOCK_MS, 'NX')) !== 'OK') return; // another instance is at it
    try {
      await db.transaction(async (tx) => {
        // Writers wait (ROW EXCLUSIVE conflicts with this mode); so do other rebuilds.
        await tx.query('lock table posts in share row exclusive mode');
        if (await redis.exists(ready)) return;
        await dropAll();
        const rows = await createPostsRepo(tx).allForIndex();
        for (let i = 0; i < rows.length; i += CHUNK) {
          const p = redis.pipeline();
          for (const { id, authorId, tags, location } of rows.slice(i, i + CHUNK)) {
            if (location) p.geoadd(keys.postLocations(), location.longitude, location.latitude, id);
            if (tags.length > 0) {
              p.sadd(keys.postTags(id), ...tags);
              for (const tag of tags) p.sadd(keys.tagPosts(tag), id).sadd(keys.indexedTags(), tag);
            }
            p.zadd(keys.userPosts(authorId), id, id).sadd(keys.indexedAuthors(), authorId);
          }
          await execOrThrow(p);
        }
        await redis.set(ready, Date.now());
        logger.info('post index rebuilt from SQL', { posts: rows.length });
      });
    } finally {
      await redis.releaseLock(lock, token).catch(() => {});
    }
  }

  /** Deletes every index key, found through the registries (never by scanning). */
  async function dropAll(): Promise<void> {
    const [tags, authors] = await Promise.all([redis.smembers(keys.indexedTags()), redis.smembers(keys.indexedAuthors())]);
    const ids = new Set((await Promise.all(tags.map((t) => redis.smembers(keys.tagPosts(t))))).flat());
    const doomed = [
      ...tags.map(keys.tagPosts),
      ...[...ids].map((id) => keys.postTags(Number(id))),
      ...authors.map((a) => keys.userPosts(Number(a))),
      keys.indexedTags(),
      keys.indexedAuthors(),
      keys.postLocations(),
    ];
    for (let i = 0; i < doomed.length; i += CHUNK) await redis.unlink(...doomed.slice(i, i + CHUNK));
  }

  /** Starts a rebuild unless one runs here already; never rejects. */
  function ensureBuilt(): Promise<void> {
    rebuilding ??= rebuild()
      .catch((err: Error) => logger.warn('post index rebuild failed; tag and author queries use SQL', { err }))
      .finally(() => (rebuilding = null));
    return rebuilding;
  }

  return {
    /** Inside the write's transaction. Rejects when Redis does not answer (roll the write back). */
    async apply(change: IndexChange): Promise<void> {
      const tags = [...change.oldTags, ...change.newTags];
      const keyList = [
        ready,
        keys.postTags(change.id),
        keys.userPosts(change.authorId),
        keys.indexedTags(),
        keys.indexedAuthors(),
        keys.postLocations(),
        ...tags.map(keys.tagPosts),
      ];
      const at = change.op === 'put' ? change.location : null;
      const args = [change.id, change.authorId, change.op, at?.longitude ?? '', at?.latitude ?? '', change.oldTags.length, ...tags];
      const applied = await redis.postIndex(keyList.length, ...keyList, ...args);
      if (applied === -1) {
        logger.warn('post index drifted from SQL; rebuilding it', { postId: change.id });
        void ensureBuilt();
      }
    },

    /** Post ids with all (or any) of `tags`, newest first; null when the index is not ready. */
    async tagged(tags: readonly string[], mode: 'all' | 'any'): Promise<number[] | null> {
      const keyList = [ready, ...tags.map(keys.tagPosts)];
      const ids = await within(redis.tagsQuery(keyList.length, ...keyList, mode), timeoutMs, 'tag query').catch(() => undefined);
      if (ids === undefined) return null; // Redis not answering
      if (ids === null) {
        void ensureBuilt();
        return null;
      }
      return ids.map(Number).sort((a, b) => b - a);
    },

    /** One page of an author's post ids, newest first, and their count; null when the index is not ready. */
    async authored(authorId: number, offset: number, limit: number): Promise<{ ids: number[]; total: number } | null> {
      const key = keys.userPosts(authorId);
      const query = redis.multi().exists(ready).zrevrange(key, offset, offset + limit - 1).zcard(key).exec();
      const reply = await within(query, timeoutMs, 'author query').catch(() => null);
      if (!reply || reply.some(([err]) => err)) return null;
      if (reply[0]![1] !== 1) {
        void ensureBuilt();
        return null;
      }
      return { ids: (reply[1]![1] as string[]).map(Number), total: reply[2]![1] as number };
    },

    ensureBuilt,

    /**
     * A write's index step got no answer: the script may or may not have run, so the index may
     * disagree with SQL. Drops the marker (queries go to SQL, the next one starts a rebuild).
     */
    distrust(): void {
      const drop = () => void redis.del(ready).catch(() => redis.once('ready', drop));
      if (redis.status === 'ready') drop();
      else redis.once('ready', drop);
    },
  };
}

async function execOrThrow(p: ReturnType<RedisClient['pipeline']>): Promise<void> {
  const results = (await p.exec()) ?? [];
  const failed = results.find(([err]) => err);
  if (failed) throw failed[0];
}

export type PostIndex = ReturnType<typeof createPostIndex>;
