import { randomBytes } from 'node:crypto';
import type { RedisClient } from '../../redis/client.ts';
import type { BackgroundTask } from '../../lifecycle.ts';
import type { Db } from '../../db/db.ts';
import type { Logger } from '../../logger.ts';
import type { Keys } from '../../redis/keys.ts';
import { within } from '../../timeout.ts';
import { createPostsRepo } from './posts.repo.ts';
import type { ViewRecorder } from './view-recorder.ts';

export interface ViewStoreOptions {
  redis: RedisClient;
  keys: Keys;
  db: Db;
  logger: Logger;
  recorder: ViewRecorder;
  intervalMs: number;
  /** Bound on the Redis snapshot of a read; past it the SQL total answers. */
  timeoutMs: number;
}

/** Longest a flush may hold the flush lock; a flusher that died lets the next one in after it. */
const FLUSH_LOCK_MS = 30_000;

/**
 * Views between Redis and SQL. Redis counts them (`views-record-3.lua`); every `intervalMs` one
 * instance moves them to `posts.views` in numbered batches:
 *
 * 1. claim: `views-claim-3.lua` RENAMEs the pending hash to the flushing hash with the next batch
 *    number (or hands back a batch a dead flusher left);
 * 2. apply: one SQL transaction adds the batch and records its number in `view_flushes`; a number
 *    not above the highest applied one changes nothing (it was applied before);
 * 3. drop: `views-done-1.lua` deletes the batch.
 *
 * A crash between 2 and 3 leaves the batch in Redis; the next flush applies it again, and SQL
 * ignores it: nothing is counted twice. A Redis loss costs at most the views of one interval.
 */
export function createViewStore({ redis, keys, db, logger, recorder, intervalMs, timeoutMs }: ViewStoreOptions) {
  const pending = keys.viewsPending();
  const flushing = keys.viewsFlushing();
  const seqKey = keys.viewsBatchSeq();
  const repo = createPostsRepo(db);

  /** Step 1: the batch to apply, or 0 when nothing is pending. */
  async function claim(): Promise<number> {
    const [seq] = await redis.viewsClaim(pending, flushing, seqKey, await repo.appliedSeq());
    return seq;
  }

  /** Step 2: adds batch `seq` to SQL; false when SQL had applied it already. */
  async function apply(seq: number): Promise<boolean> {
    const fields = await redis.hgetall(flushing);
    if (fields._seq !== String(seq)) return false; // dropped meanwhile by another flusher
    const counts = new Map<number, number>();
    for (const [field, value] of Object.entries(fields)) {
      if (field.startsWith('_')) continue;
      const n = Number(value);
      if (n > 0) counts.set(Number(field), n);
    }
    return db.transaction((tx) => createPostsRepo(tx).applyViewBatch(seq, counts));
  }

  /** Step 3. */
  const drop = (seq: number) => redis.viewsDone(flushing, seq);

  /** One flush: buffered views to Redis, then a leftover batch (if any) and the pending one to SQL. */
  async function flush(): Promise<void> {
    await recorder.send();
    const lock = keys.lock('views-flush');
    const token = randomBytes(16).toString('base64url');
    if ((await redis.set(lock, token, 'PX', FLUSH_LOCK_MS, 'NX')) !== 'OK') return; // another instance is flushing
    try {
      // A leftover batch goes first; then the pending views get their own batch.
      for (let round = 0; round < 2; round++) {
        const seq = await claim();
        if (seq === 0) return;
        await apply(seq);
        await drop(seq);
      }
    } finally {
      await redis.releaseLock(lock, token).catch(() => {});
    }
  }

  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | null = null;
  let failing = false;
  const tick = (): Promise<void> =>
    (running ??= flush()
      .then(
        () => {
          if (failing) logger.info('view flush works again');
          failing = false;
        },
        (err: Error) => {
          // The views stay in Redis and go with the next flush.
          if (!failing) logger.warn('view flush failed; retrying next interval', { err });
          failing = true;
        },
      )
      .finally(() => (running = null)));

  const task: BackgroundTask = {
    name: 'post-views-flush',
    start() {
      timer ??= setInterval(() => void tick(), intervalMs);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      timer = undefined;
      await running;
      await tick();
    },
  };

  return {
    claim,
    apply,
    drop,
    flush,
    task,

    /**
     * A post's views: the SQL total plus what Redis still holds (pending, and the batch being
     * flushed unless SQL has it), and what this process has buffered. The SQL and Redis reads are
     * not one transaction, so the applied batch number is read before and after the Redis
     * snapshot; if a batch was applied in between, the answer could count it twice, and it is
     * read again. Null when the post does not exist. Redis down: the SQL total.
     */
    async total(postId: number): Promise<number | null> {
      let last: number | null = null;
      for (let attempt = 0; attempt < 3; attempt++) {
        const appliedBefore = await repo.appliedSeq();
        void recorder.send(); // same tick as the snapshot: our own buffered views are in it
        const snapshot = await within(redis.viewsSnapshot(pending, flushing, seqKey, postId), timeoutMs, 'views snapshot').catch(() => null);
        const row = await repo.viewTotal(postId);
        if (!row) return null;
        last = row.views;
        if (!snapshot) return row.views;
        if (row.appliedSeq !== appliedBefore) continue;
        const [inPending, inFlushing, flushingSeq] = snapshot;
        return row.views + inPending + (flushingSeq > row.appliedSeq ? inFlushing : 0);
      }
      return last;
    },

    /** Views counted but not yet in SQL (for the `blog_api_worker_backlog_items` gauge). */
    async backlog(): Promise<number> {
      const [inPending, inFlushing] = await redis.viewsSnapshot(pending, flushing, seqKey, '_total');
      return inPending + inFlushing + recorder.buffered();
    },
  };
}

export type ViewStore = ReturnType<typeof createViewStore>;
