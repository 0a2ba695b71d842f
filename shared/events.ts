import { z } from 'zod';

/**
 * Events on the app's Redis stream (`keys.events()`), written by features and read by the
 * analytics worker (consumer group) and by live subscribers. Each stream entry has two fields:
 * `type` and `data` (this schema's JSON). Only public facts go here: ids, titles, never an email,
 * a token or an address.
 */
const postRef = z.object({ postId: z.number().int().positive(), authorId: z.number().int().positive() });

export const appEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('post.created'), ...postRef.shape, title: z.string() }),
  z.object({ type: z.literal('post.updated'), ...postRef.shape, title: z.string() }),
  z.object({ type: z.literal('post.deleted'), ...postRef.shape }),
  /**
   * Views of a post: one entry per post per view send of an instance (at most VIEW_BUFFER_MS
   * apart), `views` of them, rather than one entry per read.
   */
  z.object({ type: z.literal('post.viewed'), ...postRef.shape, views: z.number().int().positive() }),
  z.object({ type: z.literal('user.login'), userId: z.number().int().positive() }),
  /** The top 10 of a trending window changed: the new order of post ids. */
  z.object({ type: z.literal('trending.changed'), window: z.string(), postIds: z.array(z.number().int().positive()) }),
]);
export type AppEvent = z.infer<typeof appEventSchema>;
export type AppEventType = AppEvent['type'];

/** An event as read back from the stream: its stream id (`1700000000000-0`) and when it was written. */
export interface StoredEvent<E extends AppEvent = AppEvent> {
  id: string;
  event: E;
}
