import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { liveEventsQuerySchema, liveTopics, streamIdSchema } from '../../../shared/live-events.ts';
import type { AppEnv } from '../../context.ts';
import { toAppError } from '../../errors.ts';
import type { Services } from '../../services.ts';
import { parseInput } from '../../transport/rest.ts';

/**
 * `GET /events?topics=posts,trending`: live events as plain Server-Sent Events, for clients
 * without tRPC (`curl -N`, a browser's EventSource). Each event is `id: <stream id>`,
 * `event: <type>`, `data: <JSON>`; a client resumes with the `Last-Event-ID` header (EventSource
 * sends it by itself) or `?lastEventId=` (polyfills that cannot set headers). A `: ping` comment
 * goes out every EVENTS_HEARTBEAT_MS. A subscriber that falls behind, or whose replay cannot be
 * read, gets `event: error` with the error body and the stream ends: reconnecting resumes it.
 */
/** The reconnect delay advised to EventSource clients (`retry:`). */
const RECONNECT_MS = 1000;

export function eventsRoutes(services: Services) {
  return new Hono<AppEnv>().get('/events', async (c) => {
    const query = parseInput(liveEventsQuerySchema, c.req.query());
    const header = c.req.header('last-event-id');
    const lastEventId = header === undefined || header === '' ? query.lastEventId : parseInput(streamIdSchema, header);
    // Admission before the stream starts, so a refusal is a real 503 with the error body.
    const feed = services.events.open(query.topics ?? liveTopics, lastEventId);
    const requestId = c.get('requestId');

    const res = streamSSE(c, async (stream) => {
      const gone = new AbortController();
      stream.onAbort(() => gone.abort());
      c.req.raw.signal.addEventListener('abort', () => gone.abort(), { once: true });
      // Skip a ping while the last one is still unwritten: a stalled client must not queue them up.
      let pinging = false;
      const stopPings = services.events.heartbeat.add(() => {
        if (pinging) return;
        pinging = true;
        void stream.write(': ping\n\n').finally(() => (pinging = false));
      });
      try {
        // Sent first, so headers and a first byte reach the client at once; EventSource waits
        // this long before reconnecting after the stream ends.
        await stream.write(`retry: ${RECONNECT_MS}\n\n`);
        for await (const item of feed.items(gone.signal)) {
          await stream.writeSSE({ id: item.id, event: item.event.type, data: JSON.stringify(item.event) });
        }
      } catch (err) {
        const error = toAppError(err);
        if (error.status >= 500 && error.appCode === 'INTERNAL') c.get('log').error('live events stream failed', { err });
        await stream.writeSSE({ event: 'error', data: JSON.stringify({ error: error.toBody(requestId) }) });
      } finally {
        stopPings();
        feed.close();
      }
    });
    // No buffering by nginx-style proxies, no caching or transforming by anyone in between
    // (set on the response: streamSSE writes its own Cache-Control).
    res.headers.set('Cache-Control', 'no-cache, no-transform');
    res.headers.set('X-Accel-Buffering', 'no');
    return res;
  });
}
