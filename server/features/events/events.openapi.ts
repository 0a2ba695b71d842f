import { z } from 'zod';
import { errorResponseSchema } from '../../../shared/errors.ts';
import { liveEventsQuerySchema, streamIdSchema } from '../../../shared/live-events.ts';
import { route } from '../../openapi/route-doc.ts';

export const liveEvents = route({
  method: 'get',
  path: '/events',
  summary: 'Live events (Server-Sent Events)',
  description:
    'Live events as Server-Sent Events (`text/event-stream`): `id:` the stream id, `event:` the type, `data:` the event as JSON ' +
    '(posts: post.created/updated/deleted; trending: trending.changed; gap: events after Last-Event-ID may have been trimmed). ' +
    'Resumes after Last-Event-ID (or `?lastEventId=`); `: ping` comments keep idle proxies open. Try it with `curl -N`.',
  tags: ['events'],
  auth: 'optional',
  request: {
    query: liveEventsQuerySchema,
    headers: z.object({ 'Last-Event-ID': streamIdSchema.optional().describe('The id of the last event received, to resume after it') }),
  },
  responses: {
    200: {
      description: 'An endless `text/event-stream`; `event: error` with the error body ends it (reconnect to resume)',
      schema: z.string(),
      mediaType: 'text/event-stream',
      example: 'retry: 1000\n\nid: 1768469400000-0\nevent: post.created\ndata: {"type":"post.created","postId":1,"authorId":1,"title":"Redis Guide"}\n\n',
    },
    429: {
      description: 'The caller (its user, else its address) already holds EVENTS_MAX_STREAMS_PER_CLIENT streams on this instance (`retryAfter`)',
      schema: errorResponseSchema,
    },
    503: {
      description: 'This instance serves its maximum of live subscribers (`retryAfter`), or is shutting down',
      schema: errorResponseSchema,
      headers: { 'Retry-After': { description: 'Seconds to wait before reconnecting', schema: { type: 'integer' as const } } },
    },
  },
});

export const eventsDocs = [liveEvents];
