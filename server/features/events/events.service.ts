import type { ServiceDeps } from '../../deps.ts';
import { observeRedis } from '../../metrics/redis.ts';
import { createSubscriber } from '../../redis/client.ts';
import type { AppEvent } from '../../../shared/events.ts';
import type { LiveEventOf, LiveTopic } from '../../../shared/live-events.ts';
import { openFeed, type Feed } from './event-feed.ts';
import { createHeartbeat } from './heartbeat.ts';
import { createEventHub } from './event-hub.ts';
import { createEventsMetrics } from './event-metrics.ts';
import { createEventPublisher } from './event-publisher.ts';
import { createEventStreamReader } from './event-stream.ts';

/** The connection name of each instance's live reader, as CLIENT LIST shows it. */
export const EVENTS_CONNECTION_NAME = 'blog-api:events';

/**
 * The event stream's producer and this instance's live fan-out:
 * - `publish(event)`: XADD to the stream (event-publisher.ts);
 * - `open(holder, topics, lastEventId?)`: admit a live subscriber of `holder` (streamHolder) and give
 *   it its feed (event-feed.ts);
 * - `hub`: the one reader per instance, a BackgroundTask that createApp registers;
 * - `heartbeat`: one shared timer for the plain SSE route's pings.
 */
export function createEventsService(deps: ServiceDeps) {
  const { config, redis, keys, logger } = deps;
  // The gauge reads the hub at scrape time, after both exist.
  const metrics = createEventsMetrics(deps.metrics, () => hub.stats().subscribers);
  const hub = createEventHub({
    connect: () => {
      const connection = createSubscriber(redis, logger, EVENTS_CONNECTION_NAME);
      observeRedis(connection, deps.metrics);
      return connection;
    },
    streamKey: keys.events(),
    logger,
    maxSubscribers: config.EVENTS_MAX_SUBSCRIBERS,
    maxPerHolder: config.EVENTS_MAX_STREAMS_PER_CLIENT,
    subscriberBuffer: config.EVENTS_SUBSCRIBER_BUFFER,
    onEntry: metrics.entryRead,
    onSubscriber: metrics.subscriberEnded,
  });
  const reader = createEventStreamReader(redis, keys.events());
  const heartbeat = createHeartbeat(config.EVENTS_HEARTBEAT_MS);

  const countPublished = (event: AppEvent) => metrics.published(event.type);

  return {
    publish: createEventPublisher({ redis, keys, maxLen: config.EVENT_STREAM_MAXLEN, onPublished: countPublished }),
    /** Counts an event written to the stream by a producer of its own (the trending announcer's script). */
    countPublished,
    open: <T extends LiveTopic>(holder: string, topics: readonly T[], lastEventId?: string): Feed<LiveEventOf<T>> =>
      openFeed(hub, reader, holder, topics, lastEventId),
    hub,
    heartbeat,
    /** Subscribers, listeners and timers held now: what a leak would show. */
    stats: () => ({ ...hub.stats(), heartbeat: heartbeat.stats() }),
  };
}

export type EventsService = ReturnType<typeof createEventsService>;
