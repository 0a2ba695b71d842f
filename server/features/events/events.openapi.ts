import { z } from 'zod';
import { errorResponseSchema } from '../../../shared/errors.ts';
import { liveEventsQuerySchema, streamIdSchema } from '../../../shared/live-events.ts';
import type { RouteDoc } from '../../openapi/route-doc.ts';

export const eventsDocs: RouteDoc[] = [
  {
    method: 'get',
    path: '/events',
    summary:
      'Live events as Server-Sent Events (`text/event-stream`): `id:` the stream id, `event:` the type, `data:` the event as JSON ' +
      '(posts: post.created/updated/deleted; trending: trending.changed; gap: events after Last-Event-ID may have been trimmed). ' +
      'Resumes after Last-Event-ID (or ?lastEventId=); `: ping` comments keep idle proxies open.',
    tags: ['events'],
    request: {
      query: liveEventsQuerySchema,
      headers: z.object({ 'Last-Event-ID': streamIdSchema.optional() }),
    },
    responses: {
      200: { description: 'An endless `text/event-stream`; `event: error` with the error body ends it (reconnect to resume)', schema: null },
      429: {
        description: 'The caller (its user, else its address) already holds EVENTS_MAX_STREAMS_PER_CLIENT streams on this instance (`retryAfter`)',
        schema: errorResponseSchema,
      },
      503: { description: 'This instance serves its maximum of live subscribers (`retryAfter`), or is shutting down', schema: errorResponseSchema },
    },
  },
];
