import { Hono } from 'hono';
import { liveTopics, streamIdSchema, type LiveEvent } from '../../../shared/live-events.ts';
import type { AppEnv } from '../../http-env.ts';
import { toAppError } from '../../errors.ts';
import type { Logger } from '../../logger.ts';
import { parseInput, serve } from '../../transport/rest.ts';
import type { Feed, FeedItem } from './event-feed.ts';
import { liveEvents } from './events.openapi.ts';
import type { EventsService } from './events.service.ts';
import { streamHolder } from './stream-quota.ts';

/** The reconnect delay advised to EventSource clients (`retry:`). */
const RECONNECT_MS = 1000;

const encoder = new TextEncoder();
const PING = encoder.encode(': ping\n\n');

/**
 * `GET /events?topics=posts,trending`: live events as plain Server-Sent Events, for clients
 * without tRPC (`curl -N`, a browser's EventSource). Each event is `id: <stream id>`,
 * `event: <type>`, `data: <JSON>`; a client resumes with the `Last-Event-ID` header (EventSource
 * sends it by itself) or `?lastEventId=` (polyfills that cannot set headers). A `: ping` comment
 * goes out every EVENTS_HEARTBEAT_MS. A subscriber that falls behind, or whose replay cannot be
 * read, gets `event: error` with the error body and the stream ends: reconnecting resumes it.
 */
export function eventsRoutes(events: EventsService) {
  const app = new Hono<AppEnv>();
  serve(app, liveEvents, (c, { query }) => {
    const header = c.req.header('last-event-id');
    const lastEventId = header === undefined || header === '' ? query.lastEventId : parseInput(streamIdSchema, header);
    // Admission before the stream starts, so a refusal is a real 429 or 503 with the error body.
    const holder = streamHolder(c.get('preflight').session?.userId, c.get('clientIp'));
    const feed = events.open(holder, query.topics ?? liveTopics, lastEventId);
    return c.body(sseStream(feed, events.heartbeat, c.get('log'), c.get('requestId')), 200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      // No caching or transforming by anyone in between, no buffering by nginx-style proxies.
      'Cache-Control': 'no-cache, no-transform',
      'X-Accel-Buffering': 'no',
    });
  });
  return app;
}

function frame({ id, event }: FeedItem<LiveEvent>): Uint8Array {
  return encoder.encode(`id: ${id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
}

/**
 * The response body: one pull-driven stream, so a client that stops reading stops the pulls, its
 * subscriber's queue fills and the hub drops it (event-subscriber.ts). Cancelling the body (the
 * client went away) ends the feed; the feed ending (shutdown) closes the body.
 */
function sseStream(feed: Feed<LiveEvent>, heartbeat: EventsService['heartbeat'], log: Logger, requestId: string): ReadableStream<Uint8Array> {
  const gone = new AbortController();
  const items = feed.items(gone.signal);
  let stopPings = () => {};
  let done = false;
  const finish = () => {
    done = true;
    stopPings();
    feed.close();
  };
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        // First, so headers and a first byte reach the client at once; EventSource waits this
        // long before reconnecting after the stream ends.
        controller.enqueue(encoder.encode(`retry: ${RECONNECT_MS}\n\n`));
        // A ping only when the client has taken what was sent: a stalled client queues none.
        stopPings = heartbeat.add(() => {
          if (!done && (controller.desiredSize ?? 0) > 0) controller.enqueue(PING);
        });
      },
      async pull(controller) {
        let chunk: Uint8Array | null;
        try {
          const next = await items.next();
          chunk = next.done ? null : frame(next.value);
        } catch (err) {
          const error = toAppError(err);
          if (error.appCode === 'INTERNAL') log.error('live events stream failed', { err });
          chunk = encoder.encode(`event: error\ndata: ${JSON.stringify({ error: error.toBody(requestId) })}\n\n`);
          finish();
        }
        if (gone.signal.aborted) return; // cancelled while waiting: the stream is already closed
        if (chunk) controller.enqueue(chunk);
        if (done || !chunk) {
          finish();
          controller.close();
        }
      },
      cancel() {
        gone.abort();
        finish();
      },
    },
    { highWaterMark: 1 },
  );
}
