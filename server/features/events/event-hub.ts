import type { RedisClient } from '../../redis/client.ts';
import type { BackgroundTask } from '../../lifecycle.ts';
import { AppError } from '../../errors.ts';
import type { Logger } from '../../logger.ts';
import { reconnectDelay } from '../../redis/client.ts';
import { liveTopics, type LiveTopic } from '../../../shared/live-events.ts';
import { decodeEntry, type DecodeResult } from './event-codec.ts';
import { Subscriber, type EndReason } from './event-subscriber.ts';
import { StreamQuota } from './stream-quota.ts';

/** Entries one XREAD returns at most; a burst larger than this is read in several round trips. */
const READ_COUNT = 500;

export interface EventHubOptions {
  /** Opens the hub's own connection (a `createSubscriber` duplicate); called by `start()`, never before. */
  connect: () => RedisClient;
  /** The stream key, `keys.events()`. */
  streamKey: string;
  logger: Logger;
  /** EVENTS_MAX_SUBSCRIBERS: more concurrent subscribers are refused with 503. */
  maxSubscribers: number;
  /** EVENTS_MAX_STREAMS_PER_CLIENT: more concurrent subscribers of one holder are refused with 429. */
  maxPerHolder: number;
  /** EVENTS_SUBSCRIBER_BUFFER: items queued for one subscriber before it is dropped. */
  subscriberBuffer: number;
  /** How long one XREAD blocks in Redis before it is sent again. @default 5000 */
  blockMs?: number;
  /** Told about every entry read (live, private or invalid), for metrics. */
  onEntry?: (result: DecodeResult['kind']) => void;
  /** Told about every subscriber refused at a cap and every one that ends, with the reason, for metrics. */
  onSubscriber?: (outcome: SubscriberOutcome) => void;
}

/** How a subscriber ended, or why it was refused: at the instance's cap, or at its holder's. */
export type SubscriberOutcome = EndReason | 'refused' | 'refused_client';

export interface HubStats {
  /** The reader loop is running (between start and stop). */
  reading: boolean;
  /** Subscribers registered now. */
  subscribers: number;
  /** Holders (users or addresses) with at least one subscriber now. */
  holders: number;
  /** Registered listeners per topic (a subscriber to both topics counts in each). */
  listeners: Record<LiveTopic, number>;
  /** The id the reader has read up to; null until it has found where the stream ends (subscribers are refused until then). */
  lastId: string | null;
  /** Timers the hub holds: its retry pause while Redis is unreachable, else 0. */
  timers: number;
}

export interface EventHub extends BackgroundTask {
  /**
   * Registers a subscriber to `topics` for `holder` (see streamHolder); it receives every entry
   * the reader reads from now on, and gives its holder's slot back when it ends, however it ends.
   * @throws AppError TOO_MANY_REQUESTS when `holder` already holds EVENTS_MAX_STREAMS_PER_CLIENT
   * @throws AppError SERVICE_UNAVAILABLE when the instance is at EVENTS_MAX_SUBSCRIBERS, or not
   * reading yet (the reader admits subscribers once it knows where the stream ends) or any more.
   */
  subscribe(topics: readonly LiveTopic[], holder: string): Subscriber;
  /** Ends every subscriber's stream and refuses new ones, so an HTTP server can finish closing; `stop()` follows. */
  drain(): void;
  stats(): HubStats;
}

/**
 * The one reader of the event stream in this instance, and the fan-out to its subscribers.
 *
 * A loop of `XREAD BLOCK <blockMs> COUNT <n> STREAMS <key> <lastId>` on a connection of its own (a
 * blocking read would stall every other command on a shared one), handing each entry to the local
 * subscribers of its topic. However many clients are connected, the instance holds one reading
 * connection, and an event published by any instance reaches every instance's subscribers.
 *
 * `lastId` only moves past entries that were read, so after a lost connection the next XREAD
 * resumes exactly where the last one stopped: no entry is skipped or handed out twice. It starts
 * at the stream's newest entry when the reader starts (live subscribers want what comes next;
 * replays read the stream themselves, see event-feed.ts).
 *
 * Nothing happens at construction: `start()` opens the connection, `stop()` disconnects it, which
 * fails the XREAD in flight at once instead of waiting out its block.
 */
export function createEventHub(opts: EventHubOptions): EventHub {
  const blockMs = String(opts.blockMs ?? 5000);
  const byTopic = new Map<LiveTopic, Set<Subscriber>>(liveTopics.map((t) => [t, new Set()]));
  const subscribers = new Set<Subscriber>();
  const quota = new StreamQuota(opts.maxPerHolder);
  let accepting = false;
  let draining = false;
  let connection: RedisClient | null = null;
  let loop: Promise<void> | null = null;
  let stopping: AbortController | null = null;
  let lastId: string | null = null;
  let pauses = 0;

  function forget(subscriber: Subscriber, reason: EndReason): void {
    subscribers.delete(subscriber);
    quota.give(subscriber.holder);
    for (const topic of subscriber.topics) byTopic.get(topic)!.delete(subscriber);
    opts.onSubscriber?.(reason);
  }

  function dispatch(entries: [id: string, fields: string[]][]): void {
    for (const [id, fields] of entries) {
      lastId = id;
      const decoded = decodeEntry(id, fields);
      opts.onEntry?.(decoded.kind);
      if (decoded.kind !== 'live') continue;
      // One item object for every subscriber: fan-out costs a queue slot per subscriber, not a copy.
      const { item } = decoded;
      // A subscriber dropped for being slow leaves the set during this loop, which Set iteration allows.
      for (const subscriber of byTopic.get(item.topic)!) subscriber.push(item);
    }
  }

  /** The id to read after when starting: the newest entry's, or 0-0 for a stream not created yet. */
  async function newestId(redis: RedisClient): Promise<string> {
    const [newest] = await redis.xrevrange(opts.streamKey, '+', '-', 'COUNT', 1);
    return newest?.[0] ?? '0-0';
  }

  async function read(redis: RedisClient, signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      try {
        if (lastId === null) {
          lastId = await newestId(redis);
          // Admit subscribers only now: one admitted earlier would miss what is published
          // between its admission and the position the reader starts from.
          accepting = !signal.aborted && !draining;
        }
        const reply = await redis.xread('COUNT', READ_COUNT, 'BLOCK', blockMs, 'STREAMS', opts.streamKey, lastId);
        if (failures > 0) opts.logger.info('live events reader resumed', { lastId });
        failures = 0;
        if (reply) dispatch(reply[0]![1]);
      } catch (err) {
        if (signal.aborted) return;
        // Commands fail while the connection is down (ioredis gives up on queued ones at each
        // reconnect attempt); pause, then read again from the same lastId.
        if (failures++ === 0) opts.logger.warn('live events reader: read failed, retrying', { err });
        await pause(reconnectDelay(failures), signal);
      }
    }
  }

  function pause(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      pauses++;
      const done = () => {
        pauses--;
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  function endAll(reason: EndReason): void {
    for (const subscriber of [...subscribers]) subscriber.end(reason);
  }

  return {
    name: 'live-events',

    start() {
      if (loop) return;
      const redis = opts.connect();
      connection = redis;
      stopping = new AbortController();
      lastId = null;
      draining = false;
      loop = read(redis, stopping.signal);
    },

    drain() {
      draining = true;
      accepting = false;
      endAll('shutdown');
    },

    async stop() {
      if (!loop) return;
      accepting = false;
      endAll('shutdown');
      stopping!.abort();
      // Fails the blocked XREAD now (and any reconnect in progress) instead of after its block.
      connection!.disconnect();
      await loop;
      loop = null;
      connection = null;
    },

    subscribe(topics, holder) {
      if (!accepting) throw new AppError('SERVICE_UNAVAILABLE', 'Live events are not available on this instance right now', { retryAfter: 1 });
      // The holder's cap first, so a client at its own cap is told so; the instance's cap stays the last guard.
      try {
        quota.take(holder);
      } catch (err) {
        opts.onSubscriber?.('refused_client');
        throw err;
      }
      if (subscribers.size >= opts.maxSubscribers) {
        quota.give(holder);
        opts.onSubscriber?.('refused');
        throw new AppError('SERVICE_UNAVAILABLE', `This instance serves its maximum of ${opts.maxSubscribers} live subscribers; retry later`, {
          retryAfter: 5,
        });
      }
      const subscriber = new Subscriber(new Set(topics), holder, opts.subscriberBuffer, forget);
      subscribers.add(subscriber);
      for (const topic of subscriber.topics) byTopic.get(topic)!.add(subscriber);
      return subscriber;
    },

    stats() {
      return {
        reading: loop !== null,
        subscribers: subscribers.size,
        holders: quota.holders,
        listeners: Object.fromEntries(liveTopics.map((t) => [t, byTopic.get(t)!.size])) as Record<LiveTopic, number>,
        lastId,
        timers: pauses,
      };
    },
  };
}
