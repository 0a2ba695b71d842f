import type { Logger } from '../../logger.ts';
import type { PostsService } from '../posts/posts.service.ts';
import type { EventsService } from './events.service.ts';

/**
 * Sends each committed post write (created, updated, deleted) to the event stream, where live
 * subscribers and the analytics worker read it. The SQL commit already happened: a failed XADD is
 * logged, never turned into a failed write. Views stay off the stream: the view recorder and the
 * HyperLogLogs count them, and one XADD per read would double the read path's Redis work.
 * Returns the unsubscribe.
 */
export function publishPostEvents(posts: Pick<PostsService, 'onEvent'>, events: Pick<EventsService, 'publish'>, logger: Logger): () => void {
  return posts.onEvent((event) => {
    if (event.type === 'post.viewed') return;
    events.publish(event).catch((err: unknown) => logger.warn('post event not published', { type: event.type, postId: event.postId, err }));
  });
}
