import type { RedisClient } from '../../redis/client.ts';
import type { AppEvent } from '../../../shared/events.ts';
import type { Keys } from '../../redis/keys.ts';
import { encodeEvent } from './event-codec.ts';

export interface EventPublisherOptions {
  redis: RedisClient;
  keys: Keys;
  /** EVENT_STREAM_MAXLEN: the stream is trimmed to about this many entries. */
  maxLen: number;
  /** Called once per event written, e.g. to count it. */
  onPublished?: (event: AppEvent) => void;
}

export type PublishEvent = (event: AppEvent) => Promise<string>;

/**
 * Builds `publish(event)`: one XADD to the event stream, `MAXLEN ~ <maxLen>` so Redis trims whole
 * macro nodes (cheap) and the stream stays near its cap, `*` so Redis assigns the id. Every
 * instance's live reader and the analytics consumer group read this one stream.
 *
 * Resolves with the stream id. Rejects when Redis refuses or does not answer (the command
 * connection fails fast), or when the event does not match the shared schema (a bug).
 * Publishing must never fail a write that has already committed to SQL: such callers catch, log
 * and count the failure and answer the request as a success; the event is lost for live
 * subscribers (who reload on their next full fetch), not the data.
 * @example
 * const id = await services.events.publish({ type: 'post.created', postId, authorId, title });
 */
export function createEventPublisher({ redis, keys, maxLen, onPublished }: EventPublisherOptions): PublishEvent {
  const key = keys.events();
  const cap = String(maxLen);
  return async function publish(event) {
    const [type, data] = encodeEvent(event);
    const id = await redis.xadd(key, 'MAXLEN', '~', cap, '*', 'type', type, 'data', data);
    // Without NOMKSTREAM, XADD ... * always answers an id.
    onPublished?.(event);
    return id!;
  };
}
