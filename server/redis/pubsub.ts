import type { RedisClient } from './client.ts';
import type { Logger } from '../logger.ts';

export type MessageHandler = (message: string) => void;

/**
 * Routes the messages of the app's one subscriber connection (`createSubscriber`) to local
 * handlers by channel, so any number of waiters and features share one connection.
 */
export interface PubSub {
  /**
   * Calls `handler` for every message on `channel`, subscribing on first use. Resolves once Redis
   * confirmed the subscription (while Redis is down it stays queued, and happens on reconnect).
   */
  subscribe(channel: string, handler: MessageHandler): Promise<void>;
  /**
   * Calls `listener` each time the connection has (re)subscribed after connecting: messages
   * published while it was away are lost, so state that messages keep current must be re-read.
   */
  onResubscribed(listener: () => void): void;
}

export function createPubSub(subscriber: RedisClient, logger: Logger): PubSub {
  const handlers = new Map<string, Set<MessageHandler>>();
  const resubscribed = new Set<() => void>();

  subscriber.on('message', (channel: string, message: string) => {
    for (const handler of handlers.get(channel) ?? []) {
      try {
        handler(message);
      } catch (err) {
        logger.error('pub/sub handler failed', { channel, err });
      }
    }
  });

  // ioredis re-subscribes by itself on 'ready' but says nothing when Redis confirmed it; this
  // SUBSCRIBE (a no-op for channels already subscribed) gives a reply to wait for, after which
  // every later message is delivered, so a re-read done then misses nothing.
  subscriber.on('ready', () => {
    const channels = [...handlers.keys()];
    if (channels.length === 0) return;
    subscriber.subscribe(...channels).then(
      () => resubscribed.forEach((listener) => listener()),
      (err: Error) => logger.warn('pub/sub re-subscribe failed', { err }),
    );
  });

  return {
    async subscribe(channel, handler) {
      let set = handlers.get(channel);
      if (!set) handlers.set(channel, (set = new Set()));
      set.add(handler);
      await subscriber.subscribe(channel);
    },
    onResubscribed: (listener) => void resubscribed.add(listener),
  };
}
