import type { Logger } from '../../logger.ts';
import type { PostsService } from '../posts/posts.service.ts';
import type { EventsService } from './events.service.ts';

/*
 * The producers of the event stream's entries that come from other features. Each write has
 * already happened (a SQL commit, a session, counted views) when its event is published: a failed
 * XADD is logged, never turned into a failed request. `trending.changed` has its own producer
 * (trending-announcer.ts).
 */

type Publisher = Pick<EventsService, 'publish'>;

/** Sends each committed post write (created, updated, deleted) to the stream. Returns the unsubscribe. */
export function publishPostEvents(posts: Pick<PostsService, 'onEvent'>, events: Publisher, logger: Logger): () => void {
  return posts.onEvent((event) => {
    events.publish(event).catch((err: unknown) => logger.warn('post event not published', { type: event.type, postId: event.postId, err }));
  });
}

/**
 * Sends `post.viewed` per post and view send, carrying how many views it stands for: the XADDs
 * are issued in the send's tick, so auto-pipelining puts them in the same write as the view
 * counters (no round trip of their own), and a busy post makes one entry per send, not one per
 * read. Returns the unsubscribe.
 */
export function publishViewEvents(posts: Pick<PostsService, 'onViewSend'>, events: Publisher, logger: Logger): () => void {
  return posts.onViewSend(({ views }) => {
    for (const { postId, authorId, views: count } of views) {
      events.publish({ type: 'post.viewed', postId, authorId, views: count }).catch((err: unknown) => logger.warn('view event not published', { postId, err }));
    }
  });
}

/** `user.login` after each successful login, for the analytics worker (activity lists, counts). */
export function loginPublisher(events: Publisher, logger: Logger): (userId: number) => void {
  return (userId) => {
    events.publish({ type: 'user.login', userId }).catch((err: unknown) => logger.warn('login event not published', { userId, err }));
  };
}
