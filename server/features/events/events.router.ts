import { tracked } from '@trpc/server';
import { liveSubscriptionInputSchema, type LiveTopic } from '../../../shared/live-events.ts';
import type { Context } from '../../context.ts';
import { publicProcedure, router } from '../../trpc.ts';
import type { EventsService } from './events.service.ts';
import { streamHolder } from './stream-quota.ts';

/**
 * A feed as a tRPC subscription: each event `tracked()` with its stream id, so tRPC's SSE link
 * sends it back as `lastEventId` when it reconnects (and tRPC also fills `lastEventId` from the
 * Last-Event-ID header), and the feed resumes right after it. `signal` ends the feed when the
 * client goes away.
 */
async function* subscription<T extends LiveTopic>(ctx: Context, topic: T, lastEventId: string | undefined, signal: AbortSignal | undefined) {
  const events: EventsService = ctx.services.events;
  // Counted against the caller's per-client cap (a 429 in the stream's error event beyond it).
  const feed = events.open(streamHolder(ctx.session?.userId, ctx.clientIp), [topic], lastEventId);
  try {
    for await (const item of feed.items(signal)) yield tracked(item.id, item.event);
  } finally {
    feed.close();
  }
}

/** Live events over Server-Sent Events; anonymous callers may subscribe (events are public by construction). */
export const eventsRouter = router({
  /** `post.created`, `post.updated`, `post.deleted` (and `gap` after a resume past the stream's cap). */
  onPost: publicProcedure
    .input(liveSubscriptionInputSchema)
    .subscription(({ ctx, input, signal }) => subscription(ctx, 'posts', input?.lastEventId, signal)),
  /** `trending.changed`: the new top 10 (and `gap` after a resume past the stream's cap). */
  onTrending: publicProcedure
    .input(liveSubscriptionInputSchema)
    .subscription(({ ctx, input, signal }) => subscription(ctx, 'trending', input?.lastEventId, signal)),
});
