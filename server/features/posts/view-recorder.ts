import type { RedisClient } from '../../redis/client.ts';
import type { Clock } from '../../clock.ts';
import type { Logger } from '../../logger.ts';
import { hourEpoch, TRENDING_BUCKET_TTL_MS, type Keys } from '../../redis/keys.ts';

/** Who viewed a post, as the analytics feature counts unique visitors. */
export interface Viewer {
  /** Only the user id is used; null for an anonymous viewer. */
  session: { userId: number } | null;
  clientIp: string;
  userAgent: string;
}

/** A post and who viewed it, as `onSend` receives them. */
export interface Visit extends Viewer {
  postId: number;
}

/** What one send carries, as `onSend` receives it. */
export interface ViewSend {
  /** Views per post (coalesced: one entry per post and hour). */
  views: readonly { postId: number; authorId: number; views: number }[];
  /** The distinct visits (post, user, address, user agent) among them. */
  visits: readonly Visit[];
}

/** Distinct visits kept for `onSend` per send; past it views are still counted, their viewers not passed on. */
const MAX_VISITS_PER_SEND = 10_000;

export interface ViewRecorder {
  /**
   * Counts one view of a post by `authorId` (and, with `viewer`, remembers the visit for
   * `onSend`); it reaches Redis with the next `send` (at most `bufferMs` later).
   */
  record(postId: number, authorId: number, viewer?: Viewer): void;
  /**
   * Sends the buffered views now: one `views-record-3.lua` call per hour they fall in (one in
   * practice), each incrementing the pending counters and the hour's trending and author buckets
   * together (no round trip of its own for the leaderboards).
   * Issue it in the same tick as other commands and auto-pipelining sends them in one write.
   * Never rejects: views Redis refused are dropped and counted.
   */
  send(): Promise<void>;
  /** Views buffered here, not yet sent. */
  buffered(): number;
  /** Sends what is buffered and stops the timer. */
  stop(): Promise<void>;
}

export interface ViewRecorderOptions {
  redis: RedisClient;
  keys: Keys;
  clock: Clock;
  logger: Logger;
  /** Longest a view waits in the process before it is sent. */
  bufferMs: number;
  /** Called with the number of views lost because Redis refused them. */
  onDropped(views: number): void;
  /**
   * Called inside each send, before the counters' call, with what it carries: commands it issues
   * in that tick leave in the same write (analytics' unique visitors, `post.viewed` events).
   */
  onSend?(send: ViewSend): void;
}

/**
 * Views are counted in the process for at most `bufferMs` and sent to Redis together, coalesced
 * per post: a cached read needs no Redis call of its own for its view, and under load one call
 * carries the views of every read in `bufferMs`. The cost: a process that crashes loses at most
 * `bufferMs` of its views (a graceful stop sends them).
 */
export function createViewRecorder({ redis, keys, clock, logger, bufferMs, onDropped, onSend }: ViewRecorderOptions): ViewRecorder {
  /** hour -> post id -> its author and views */
  let buffer = new Map<number, Map<number, { authorId: number; views: number }>>();
  /** Distinct visits since the last send, by post, user, address and user agent. */
  let visits = new Map<string, Visit>();
  let count = 0;
  let timer: NodeJS.Timeout | undefined;
  let failing = false;

  function send(): Promise<void> {
    clearTimeout(timer);
    timer = undefined;
    if (count === 0) return Promise.resolve();
    const batches = buffer;
    const sent = visits;
    buffer = new Map();
    visits = new Map();
    count = 0;
    if (onSend) {
      const views = [...batches.values()].flatMap((posts) => [...posts].map(([postId, { authorId, views }]) => ({ postId, authorId, views })));
      try {
        onSend({ views, visits: [...sent.values()] });
      } catch (err) {
        logger.error('view listener failed', { err });
      }
    }
    return Promise.all(
      [...batches].map(([hour, posts]) => {
        const triples: number[] = [];
        let views = 0;
        for (const [id, { authorId, views: n }] of posts) {
          triples.push(id, authorId, n);
          views += n;
        }
        const buckets = [keys.trendingBucket(hour), keys.authorBucket(hour)] as const;
        return redis.viewsRecord(keys.viewsPending(), ...buckets, TRENDING_BUCKET_TTL_MS, ...triples).then(
          () => {
            if (failing) logger.info('views are recorded again');
            failing = false;
          },
          (err: Error) => {
            onDropped(views);
            if (!failing) logger.warn('views not recorded: RedisClient did not answer', { views, err });
            failing = true;
          },
        );
      }),
    ).then(() => undefined);
  }

  return {
    record(postId, authorId, viewer) {
      if (viewer && onSend && visits.size < MAX_VISITS_PER_SEND) {
        const visit = { postId, session: viewer.session, clientIp: viewer.clientIp, userAgent: viewer.userAgent };
        visits.set(`${postId}\n${viewer.session?.userId ?? ''}\n${viewer.clientIp}\n${viewer.userAgent}`, visit);
      }
      const hour = hourEpoch(clock.now());
      let posts = buffer.get(hour);
      if (!posts) buffer.set(hour, (posts = new Map()));
      const counted = posts.get(postId);
      if (counted) counted.views++;
      else posts.set(postId, { authorId, views: 1 });
      count++;
      if (!timer) {
        timer = setTimeout(() => void send(), bufferMs);
        timer.unref();
      }
    },
    send,
    buffered: () => count,
    stop: send,
  };
}
