import { z } from 'zod';

/**
 * What live subscribers see of the event stream (shared/events.ts): one schema per topic that
 * lists the public fields of each event type and nothing else. The server parses every event
 * through its topic's schema before sending it, and zod objects drop keys they do not list, so a
 * field added to an event later (or written by another producer) never reaches a subscriber until
 * it is added here on purpose.
 */

/** A Redis stream id, `<ms>-<seq>`, as sent in SSE `id:` lines and taken back as `lastEventId`. */
export const streamIdSchema = z.string().regex(/^\d{1,20}-\d{1,20}$/, { error: 'expected a stream id like 1700000000000-0' });

const postFields = { postId: z.number().int().positive(), authorId: z.number().int().positive() };

/** Topic `posts`: a post was created, updated or deleted. */
export const livePostEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('post.created'), ...postFields, title: z.string() }),
  z.object({ type: z.literal('post.updated'), ...postFields, title: z.string() }),
  z.object({ type: z.literal('post.deleted'), ...postFields }),
]);
export type LivePostEvent = z.infer<typeof livePostEventSchema>;

/** Topic `trending`: the top 10 of a trending window changed; `postIds` is the new order. */
export const liveTrendingEventSchema = z.object({
  type: z.literal('trending.changed'),
  window: z.string(),
  postIds: z.array(z.number().int().positive()),
});
export type LiveTrendingEvent = z.infer<typeof liveTrendingEventSchema>;

/**
 * Sent instead of silence when a subscriber resumes from an id whose successors may be gone: the
 * stream is capped (EVENT_STREAM_MAXLEN) and the oldest entries were trimmed, or the id is not one
 * this stream gave out. Events after it are every event the stream still holds after `lastEventId`
 * (from its oldest entry), then live ones: a client that needs every change reloads its state.
 * It carries the subscriber's own `lastEventId` as its event id, so resuming again is unchanged.
 */
export const liveGapSchema = z.object({
  type: z.literal('gap'),
  /** The id the subscriber resumed from. */
  lastEventId: z.string(),
  /** The oldest entry the stream still holds, null when it holds none. */
  oldestId: z.string().nullable(),
});
export type LiveGap = z.infer<typeof liveGapSchema>;

export const liveTopics = ['posts', 'trending'] as const;
export type LiveTopic = (typeof liveTopics)[number];

/** The public projection of each topic. */
export const liveTopicSchemas = {
  posts: livePostEventSchema,
  trending: liveTrendingEventSchema,
} as const satisfies Record<LiveTopic, z.ZodType>;

export type LiveEvent = LivePostEvent | LiveTrendingEvent;
/** The events of one topic: `LiveEventOf<'posts'>` is `LivePostEvent`. */
export type LiveEventOf<T extends LiveTopic> = z.output<(typeof liveTopicSchemas)[T]>;

/** Input of the `events.*` subscriptions; tRPC fills `lastEventId` from Last-Event-ID on reconnect. */
export const liveSubscriptionInputSchema = z.object({ lastEventId: streamIdSchema.optional() }).optional();

/** `GET /events` query: which topics (comma list; all when absent), and the id to resume after for clients that cannot send Last-Event-ID. */
export const liveEventsQuerySchema = z.object({
  topics: z
    .string()
    .transform((v) => v.split(',').map((t) => t.trim()).filter(Boolean))
    .pipe(z.array(z.enum(liveTopics, { error: `expected a comma list of ${liveTopics.join(', ')}` })).min(1))
    .optional()
    .describe(`Comma list of ${liveTopics.join(', ')}; all when absent`),
  lastEventId: streamIdSchema.optional().describe('Resume after this stream id, for clients that cannot send Last-Event-ID'),
});
