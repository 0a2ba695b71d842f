import type { ChainableCommander } from 'ioredis';
import type { RedisClient } from '../../redis/client.ts';
import { Counter } from 'prom-client';
import type { AppEvent } from '../../../shared/events.ts';
import type { z } from 'zod';
import type {
  createPostInputSchema,
  listPostsQuerySchema,
  pageQuerySchema,
  Post,
  PostPage,
  PostResult,
  PostViews,
  Source,
  updatePostInputSchema,
} from '../../../shared/posts.ts';
import type { BackgroundTask } from '../../lifecycle.ts';
import type { ServiceDeps } from '../../deps.ts';
import { AppError } from '../../errors.ts';
import type { AuthSession } from '../../identity.ts';
import { createCacheGeneration } from './cache-generation.ts';
import type { Queryable } from '../../db/db.ts';
import { isForeignKeyViolation } from '../../db/errors.ts';
import { createFillGuard } from './fill-guard.ts';
import { createListCache, type ListPage } from './list-cache.ts';
import { createPostCache, type EntryRead } from './post-cache.ts';
import { createPostIndex } from './post-index.ts';
import { createPostsRepo, type PostFilter, type PostRecord } from './posts.repo.ts';
import { createViewRecorder, type Viewer, type ViewSend } from './view-recorder.ts';
import { createViewStore } from './views.store.ts';

/**
 * A committed post write (shared/events.ts), as `onEvent` listeners hear it: the live-event and
 * trending features. Views reach `onViewSend` listeners instead, batched per send.
 */
export type PostEvent = Extract<AppEvent, { type: 'post.created' | 'post.updated' | 'post.deleted' }>;

/** Inputs as the transports hand them over: parsed with the shared schemas (defaults applied, tags deduplicated). */
export type NewPostFields = z.output<typeof createPostInputSchema>;
export type PostChanges = z.output<typeof updatePostInputSchema>;
export type ListQuery = z.output<typeof listPostsQuerySchema>;
export type PageParams = z.output<typeof pageQuerySchema>;

export type { Viewer, ViewSend, Visit } from './view-recorder.ts';

/**
 * Hears what a view send carries (views per post, distinct visits), in that send's tick, with a
 * pipeline-shaped handle on the connection's auto-pipeline: what it appends, and any command it
 * issues in that tick, leaves in the same write as the view counters, so it costs no round trip of
 * its own (analytics' unique visitors, `post.viewed` on the event stream).
 */
export type ViewSendListener = (send: ViewSend, pipeline: ChainableCommander) => void;

/** A post's cache entry to read in the request's preflight (see post-reads.ts). */
export interface PostPrefetch {
  id: number;
  generation: number;
  keys: readonly string[];
}

/**
 * A prefetch this module issued: the class is not exported, so `instanceof` proves a read was
 * made by a posts service. Not a WeakSet of issued reads: an entry per request is an ephemeron
 * the garbage collector has to trace.
 */
class IssuedPrefetch implements PostPrefetch {
  constructor(
    readonly id: number,
    readonly generation: number,
    readonly keys: readonly string[],
  ) {}
}

/** What the preflight read for a registered PostPrefetch; `values` null when Redis did not answer. */
export interface Prefetched {
  owner: unknown;
  values: readonly (string | null)[] | null;
}

/** The stampede lock's TTL: longer than any sane SQL load; a holder that died frees it after this. */
const FILL_LOCK_MS = 10_000;

const notFound = (id: number) => new AppError('NOT_FOUND', `Post ${id} not found`);
/** A write by a user whose account was deleted after their session was checked: a 401, like any gone session. */
const authorGone = () => new AppError('UNAUTHORIZED', 'This account no longer exists');
const redisDownForWrites = (cause: unknown) =>
  new AppError('SERVICE_UNAVAILABLE', 'Redis is unavailable: the post was not saved; try again shortly', { retryAfter: 1, cause });

/**
 * Posts: SQL is the source of truth, Redis the cache in front of it (post-cache.ts, list-cache.ts),
 * the view counters (views.*.ts) and the tag/author indexes (post-index.ts).
 *
 * Reads never fail because of Redis: without it (or while the cache generation is not known to be
 * current) they are served from SQL with `source: "database"`. Writes go to SQL first, keep the
 * indexes in step inside the same transaction, and invalidate the cache after the commit; if the
 * invalidation cannot reach Redis, the cache generation is bumped as soon as it can.
 */
export function createPostsService(deps: ServiceDeps) {
  const { config, redis, db, keys, clock, logger, metrics, pubsub } = deps;
  const repo = createPostsRepo(db);
  const generation = createCacheGeneration({ redis, pubsub, keys, logger });
  const timeoutMs = config.POST_CACHE_TIMEOUT_MS;
  const guard = createFillGuard({ redis, pubsub, keys, logger, waitMs: config.POST_FILL_WAIT_MS, lockMs: FILL_LOCK_MS, timeoutMs });
  const ttlMs = config.POST_CACHE_TTL_SECONDS * 1000;
  const entries = createPostCache({
    redis,
    keys,
    guard,
    load: (id) => repo.findById(id),
    ttlMs,
    negativeTtlMs: config.POST_NEGATIVE_CACHE_TTL_SECONDS * 1000,
    timeoutMs,
  });
  const lists = createListCache({ redis, keys, guard, ttlMs, timeoutMs });
  const index = createPostIndex({ redis, keys, db, logger, timeoutMs });
  const viewsDropped = new Counter({
    name: 'blog_api_post_views_dropped_total',
    help: 'Post views lost because Redis did not take them',
    registers: [metrics.registry],
  });
  const viewSendListeners = new Set<ViewSendListener>();
  const recorder = createViewRecorder({
    redis,
    keys,
    clock,
    logger,
    bufferMs: config.VIEW_BUFFER_MS,
    onDropped: (n) => viewsDropped.inc(n),
    onSend: (send) => {
      const pipeline = autoPipelined(redis);
      for (const listener of viewSendListeners) listener(send, pipeline);
    },
  });
  const views = createViewStore({ redis, keys, db, logger, recorder, intervalMs: config.VIEW_FLUSH_INTERVAL_MS, timeoutMs });
  metrics.registerBacklog('post-views', () => views.backlog());

  const listeners = new Set<(event: PostEvent) => void>();
  function emit(event: PostEvent): void {
    for (const listener of listeners) {
      try {
        listener(event);
      } catch (err) {
        logger.error('post event listener failed', { type: event.type, err });
      }
    }
  }

  /** After a write committed. Never rejects: the write stands; a failed invalidation drops the whole cache instead. */
  async function invalidate(id: number, version: number): Promise<void> {
    try {
      await Promise.all([entries.invalidate(generation.current() ?? 0, id, version), lists.invalidate()]);
    } catch (err) {
      logger.warn('post cache invalidation failed; a new cache generation will drop every entry', {
        postId: id,
        err,
      });
      generation.suspect();
    }
  }

  /** Runs a write in one transaction, on the repo bound to it; anything thrown rolls it back. */
  function write<T>(fn: (rows: ReturnType<typeof createPostsRepo>) => Promise<T>): Promise<T> {
    return db.transaction((tx) => fn(createPostsRepo(tx)));
  }

  async function applyIndex(change: Parameters<typeof index.apply>[0]): Promise<void> {
    try {
      await index.apply(change);
    } catch (err) {
      // The script may have run even though no answer came back: trust the index no more.
      index.distrust();
      throw redisDownForWrites(err);
    }
  }

  /** A prefetched read is used only for the post and generation it was made for. */
  const prefetchFor = (owner: unknown, id: number, gen: number) => owner instanceof IssuedPrefetch && owner.id === id && owner.generation === gen;

  async function readPost(id: number, prefetched: Prefetched | undefined): Promise<{ record: PostRecord | null; source: Source }> {
    const gen = generation.current();
    const first =
      gen === null
        ? null
        : prefetched && prefetchFor(prefetched.owner, id, gen)
          ? entries.decodeRead(prefetched.values)
          : await entries.read(gen, id);
    if (first?.hit) {
      metrics.cacheLookup('post', 'hit');
      return { record: first.value, source: 'cache' };
    }
    metrics.cacheLookup('post', 'miss');
    const filled = await entries.fill(gen, id, !first?.redisFailed);
    return { record: filled.value, source: filled.source };
  }

  /** A list page through the list cache; `name` identifies the query within a list version. */
  async function cachedPage(name: string, page: number, limit: number, load: () => Promise<ListPage>): Promise<PostPage> {
    const gen = generation.current();
    const first = gen === null ? null : await lists.read(gen, name);
    let found: { value: ListPage; source: Source };
    if (first?.hit) {
      metrics.cacheLookup('post-list', 'hit');
      found = { value: first.value, source: 'cache' };
    } else {
      metrics.cacheLookup('post-list', 'miss');
      found = await lists.fill(gen, name, first?.miss.version ?? -1, load, !first?.redisFailed);
    }
    return { source: found.source, data: found.value.data, page, limit, total: found.value.total };
  }

  return {
    /**
     * The cache entry of post `id` for the request's preflight to read, so the lookup rides in the
     * request's one Redis call; `get` takes what it read. Undefined while the cache is bypassed.
     */
    prefetch(id: number): PostPrefetch | undefined {
      const gen = generation.current();
      if (gen === null) return undefined;
      return new IssuedPrefetch(id, gen, entries.keysOf(gen, id));
    },

    /**
     * One post; counts a view unless `countView` is false (HEAD), and passes `viewer` on to the
     * view-send listeners with the view. 404 when it does not exist.
     */
    async get(id: number, opts: { prefetched?: Prefetched; countView?: boolean; viewer?: Viewer } = {}): Promise<PostResult> {
      const { record, source } = await readPost(id, opts.prefetched);
      if (!record) throw notFound(id);
      if (opts.countView !== false) {
        recorder.record(id, record.post.authorId, opts.viewer);
      }
      return { source, data: record.post };
    },

    /** Newest first; with tags, only posts having all (or any) of them. */
    async list({ page, limit, tags, tagMode }: ListQuery): Promise<PostPage> {
      const offset = (page - 1) * limit;
      if (!tags || tags.length === 0) {
        return cachedPage(`all:p${page}:l${limit}`, page, limit, () =>
          repo.page({ kind: 'all' }, limit, offset).then(({ posts, total }) => ({ data: posts, total })),
        );
      }
      const filter: PostFilter = { kind: 'tags', tags, mode: tagMode };
      return cachedPage(`tags-${tagMode}:${tags.join(',')}:p${page}:l${limit}`, page, limit, async () => {
        const ids = await index.tagged(tags, tagMode);
        if (ids === null) return repo.page(filter, limit, offset).then(({ posts, total }) => ({ data: posts, total }));
        return { data: await repo.findByIds(ids.slice(offset, offset + limit)), total: ids.length };
      });
    },

    /** A user's posts, newest first; 404 when the user does not exist. */
    async byAuthor(userId: number, { page, limit }: PageParams): Promise<PostPage> {
      const offset = (page - 1) * limit;
      return cachedPage(`user:${userId}:p${page}:l${limit}`, page, limit, async () => {
        if (!(await repo.userExists(userId))) throw new AppError('NOT_FOUND', `User ${userId} not found`);
        const indexed = await index.authored(userId, offset, limit);
        if (indexed === null) {
          return repo.page({ kind: 'author', authorId: userId }, limit, offset).then(({ posts, total }) => ({ data: posts, total }));
        }
        return { data: await repo.findByIds(indexed.ids), total: indexed.total };
      });
    },

    /** 401 when the author's account is gone (deleted after the session was checked): the foreign key says so. */
    async create(session: AuthSession, fields: NewPostFields): Promise<Post> {
      const record = await write(async (rows) => {
        const created = await rows.insert(session.userId, { ...fields, location: fields.location ?? null });
        const { id, tags, location } = created.post;
        await applyIndex({ id, authorId: session.userId, op: 'put', oldTags: [], newTags: tags, location });
        return created;
      }).catch((err: unknown) => {
        throw isForeignKeyViolation(err) ? authorGone() : err;
      });
      // A negative entry cached for this id (someone asked for it before it existed) is dropped too.
      await invalidate(record.post.id, record.version);
      emit({ type: 'post.created', postId: record.post.id, authorId: session.userId, title: record.post.title });
      return record.post;
    },

    /** Only the author may update; another user gets 403 and nothing changes. */
    async update(session: AuthSession, id: number, patch: PostChanges): Promise<Post> {
      const record = await write(async (rows) => {
        const current = await rows.lockForWrite(id);
        if (!current) throw notFound(id);
        if (current.authorId !== session.userId) throw new AppError('FORBIDDEN', 'Only the author may update this post');
        const updated = await rows.update(id, patch);
        if (patch.tags !== undefined || patch.location !== undefined) {
          const { tags, location } = updated.post;
          await applyIndex({ id, authorId: current.authorId, op: 'put', oldTags: current.tags, newTags: tags, location });
        }
        return updated;
      });
      await invalidate(id, record.version);
      emit({ type: 'post.updated', postId: id, authorId: session.userId, title: record.post.title });
      return record.post;
    },

    /** Only the author may delete; another user gets 403 and nothing changes. */
    async remove(session: AuthSession, id: number): Promise<void> {
      const deleted = await write(async (rows) => {
        const current = await rows.lockForWrite(id);
        if (!current) throw notFound(id);
        if (current.authorId !== session.userId) throw new AppError('FORBIDDEN', 'Only the author may delete this post');
        await rows.remove(id);
        await applyIndex({ id, authorId: current.authorId, op: 'del', oldTags: current.tags, newTags: [], location: null });
        return current;
      });
      // Past the last version: no entry of the deleted post is served or written again.
      await invalidate(id, deleted.version + 1);
      emit({ type: 'post.deleted', postId: id, authorId: session.userId });
    },

    /**
     * Deletes every post of `authorId` inside the caller's transaction `tx` (an account's deletion,
     * which deletes the user row in it too), keeping the indexes in step like `remove`. The caller
     * runs `afterCommit` once it committed: each post's cache entry is fenced off and `post.deleted`
     * is emitted (live subscribers, trending). A Redis failure throws (503) and rolls `tx` back.
     */
    async removeAllBy(tx: Queryable, authorId: number): Promise<{ count: number; afterCommit(): Promise<void> }> {
      const removed = await createPostsRepo(tx).removeByAuthor(authorId);
      // One script call per post, issued together: auto-pipelining sends them in one write.
      await Promise.all(removed.map(({ id, tags }) => applyIndex({ id, authorId, op: 'del', oldTags: tags, newTags: [], location: null })));
      return {
        count: removed.length,
        async afterCommit() {
          await Promise.all(removed.map(({ id, version }) => invalidate(id, version + 1)));
          for (const { id } of removed) emit({ type: 'post.deleted', postId: id, authorId });
        },
      };
    },

    /** Views flushed to SQL plus those Redis (and this process) still hold. 404 when the post does not exist. */
    async views(id: number): Promise<PostViews> {
      const total = await views.total(id);
      if (total === null) throw notFound(id);
      return { postId: id, views: total };
    },

    /**
     * Posts by id, in the order of `ids`, leaving out those that do not exist; no view is counted.
     * Through the cache like `get`: the lookups are issued in one tick, so auto-pipelining sends
     * them in one write, and only the misses load from SQL (each filling its entry).
     */
    async getMany(ids: readonly number[]): Promise<Post[]> {
      const found = await Promise.all(ids.map((id) => readPost(id, undefined)));
      return found.flatMap(({ record }) => (record ? [record.post] : []));
    },

    /** Sends the views buffered here; issued in the same tick as a read, they leave in the same write. */
    sendViews: (): Promise<void> => recorder.send(),

    /** Calls `listener` after each commit (created, updated, deleted); returns the unsubscribe. */
    onEvent(listener: (event: PostEvent) => void): () => void {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },

    /** Calls `listener` with each view send (see ViewSendListener); returns the unsubscribe. */
    onViewSend(listener: ViewSendListener): () => void {
      viewSendListeners.add(listener);
      return () => void viewSendListeners.delete(listener);
    },

    /** Subscribes to cache messages, learns the cache generation, builds the indexes if Redis has none. */
    async startup(): Promise<void> {
      // While Redis is down at start-up the subscriptions wait for it; serving does not.
      await Promise.race([Promise.all([guard.start(), generation.start()]), new Promise((r) => setTimeout(r, 2000).unref())]);
      await index.ensureBuilt();
    },

    background: [
      views.task,
      {
        name: 'post-cache-generation',
        start() {},
        async stop() {
          generation.stop();
        },
      },
    ] satisfies BackgroundTask[],

    /** The parts, for tests and operations. */
    internals: { generation, index, views, recorder },
  };
}

export type PostsService = ReturnType<typeof createPostsService>;

/**
 * A pipeline-shaped view of the connection for code that appends commands to a pipeline
 * (`analytics.appendView`): each command goes through the connection's auto-pipeline instead of an
 * explicit pipeline, so it leaves with whatever else this tick issues, in one write, rather than in
 * a write of its own (and on a Cluster ioredis groups it by slot). There is no exec: failures are
 * caught here (observeRedis counts them).
 */
function autoPipelined(redis: RedisClient): ChainableCommander {
  const commands = redis as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  const chain: ChainableCommander = new Proxy({} as ChainableCommander, {
    get: (_target, name: string) => (...args: unknown[]) => {
      commands[name]!(...args).catch(() => {});
      return chain;
    },
  });
  return chain;
}
