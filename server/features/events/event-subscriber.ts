import { AppError } from '../../errors.ts';
import type { LiveTopic } from '../../../shared/live-events.ts';
import type { LiveItem } from './event-codec.ts';

/** Why a subscriber stopped receiving. */
export type EndReason = 'closed' | 'shutdown' | 'slow';

/**
 * One live subscriber as the hub sees it: a bounded queue between the hub's single reader and one
 * SSE response. The hub `push`es; the response's feed awaits `next()`. When the response does
 * not keep up and `capacity` items are waiting, the subscriber is dropped: its queue is released
 * and its next read fails with a 503 telling the client to reconnect, which resumes from its last
 * event id, so dropping costs the client a reconnect, never an event, and costs the server no memory.
 */
export class Subscriber {
  private queue: LiveItem[] = [];
  private waiter: { resolve: (item: LiveItem | null) => void; reject: (err: AppError) => void } | null = null;
  private ended: EndReason | null = null;

  constructor(
    readonly topics: ReadonlySet<LiveTopic>,
    /** Who holds it (streamHolder): the hub gives this holder's slot back when it ends. */
    readonly holder: string,
    private readonly capacity: number,
    /** Called once when the subscriber ends, whatever the reason: the hub forgets it. */
    private readonly onEnd: (subscriber: Subscriber, reason: EndReason) => void,
  ) {}

  /** Whether it is still registered with the hub. */
  get open(): boolean {
    return this.ended === null;
  }

  push(item: LiveItem): void {
    if (this.ended) return;
    if (this.waiter) {
      const { resolve } = this.waiter;
      this.waiter = null;
      resolve(item);
    } else if (this.queue.length < this.capacity) {
      this.queue.push(item);
    } else {
      this.end('slow');
    }
  }

  /**
   * The next live item; null once the subscriber was closed (client gone, server shutting down).
   * @throws AppError SERVICE_UNAVAILABLE when it was dropped for falling behind.
   */
  next(): Promise<LiveItem | null> {
    const item = this.queue.shift();
    if (item) return Promise.resolve(item);
    if (this.ended === 'slow') return Promise.reject(fellBehind(this.capacity));
    if (this.ended) return Promise.resolve(null);
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  /** Throws the drop error if it was dropped; a feed checks this between pages of a replay. */
  throwIfDropped(): void {
    if (this.ended === 'slow') throw fellBehind(this.capacity);
  }

  /** Ends it once: releases the queue, wakes a waiting `next()`, tells the hub. */
  end(reason: EndReason): void {
    if (this.ended) return;
    this.ended = reason;
    this.queue = [];
    const waiter = this.waiter;
    this.waiter = null;
    if (waiter) {
      if (reason === 'slow') waiter.reject(fellBehind(this.capacity));
      else waiter.resolve(null);
    }
    this.onEnd(this, reason);
  }
}

function fellBehind(capacity: number): AppError {
  return new AppError('SERVICE_UNAVAILABLE', `Subscriber fell behind by more than ${capacity} events; reconnect with the last event id to resume`, {
    retryAfter: 1,
  });
}
