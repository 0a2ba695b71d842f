import type { LiveEventOf, LiveGap, LiveTopic } from '../../../shared/live-events.ts';
import { decodeEntry } from './event-codec.ts';
import type { EventHub } from './event-hub.ts';
import type { EventStreamReader, StreamBounds } from './event-stream.ts';
import type { Subscriber } from './event-subscriber.ts';
import { compareStreamIds } from './stream-id.ts';

/** Entries one replay XRANGE reads; the replay holds one page in memory at a time. */
const REPLAY_PAGE = 200;

/** One item of a feed: an event with its stream id, or the gap notice (with the id resumed from). */
export interface FeedItem<E> {
  id: string;
  event: E | LiveGap;
}

/** One subscriber's stream of events, from `open()` (which admits it) to `close()`. */
export interface Feed<E> {
  /**
   * The replay after `lastEventId` (when given), then live events, in stream order, each once.
   * Ends when `signal` aborts, `close()` is called or the server drains; throws a 503 AppError
   * when the subscriber was dropped for falling behind or Redis cannot be read for the replay.
   */
  items(signal?: AbortSignal): AsyncGenerator<FeedItem<E>, void>;
  /** Unregisters the subscriber; safe to call more than once. */
  close(): void;
}

/**
 * Where a replay starts after `lastEventId`, and whether events after it may be gone:
 * - no stream (never written, or lost with Redis): nothing to replay, a gap;
 * - an id past the last one the stream ever gave out (another stream's id, a client's invention):
 *   resume from the stream's end, a gap;
 * - an id older than the oldest entry still held: MAXLEN trimmed what followed it, a gap (possibly
 *   a false alarm when only the id itself was trimmed), and the replay starts at the oldest entry;
 * - otherwise everything after it is still there: no gap.
 */
export function resumePoint(bounds: StreamBounds | null, lastEventId: string): { cursor: string; gap: LiveGap | null } {
  const gap = (oldestId: string | null): LiveGap => ({ type: 'gap', lastEventId, oldestId });
  if (!bounds) return { cursor: '0-0', gap: gap(null) };
  const { oldestId, lastGeneratedId } = bounds;
  if (compareStreamIds(lastEventId, lastGeneratedId) > 0) return { cursor: lastGeneratedId, gap: gap(oldestId) };
  const trimmed = oldestId === null ? compareStreamIds(lastEventId, lastGeneratedId) < 0 : compareStreamIds(lastEventId, oldestId) < 0;
  return { cursor: lastEventId, gap: trimmed ? gap(oldestId) : null };
}

/**
 * Admits a subscriber of `holder` to `topics` and returns its feed.
 *
 * No duplicates and no gaps across the switch from replay to live (the pattern of tRPC's
 * next-sse-chat `onAdd`): the subscriber is registered with the hub BEFORE the replay reads the
 * stream, so live entries arriving meanwhile wait in its queue; the replay then reads everything
 * after `lastEventId` page by page, and a queued live entry is delivered only when its id is past
 * the last id the replay covered.
 * @throws AppError TOO_MANY_REQUESTS at the holder's cap; SERVICE_UNAVAILABLE at the instance's
 * subscriber cap, or while the instance is not reading.
 */
export function openFeed<T extends LiveTopic>(
  hub: EventHub,
  reader: EventStreamReader,
  holder: string,
  topics: readonly T[],
  lastEventId?: string,
): Feed<LiveEventOf<T>> {
  const subscriber = hub.subscribe(topics, holder);
  return {
    items: (signal) => replayThenLive(subscriber, reader, lastEventId, signal) as AsyncGenerator<FeedItem<LiveEventOf<T>>, void>,
    close: () => subscriber.end('closed'),
  };
}

async function* replayThenLive(
  subscriber: Subscriber,
  reader: EventStreamReader,
  lastEventId: string | undefined,
  signal: AbortSignal | undefined,
): AsyncGenerator<FeedItem<unknown>, void> {
  // An abort wakes a pending next() with null, so the generator returns and its finally runs.
  const onAbort = () => subscriber.end('closed');
  signal?.addEventListener('abort', onAbort, { once: true });
  if (signal?.aborted) onAbort();
  try {
    let cursor: string | null = null;
    if (lastEventId !== undefined && subscriber.open) {
      const start = resumePoint(await reader.bounds(), lastEventId);
      cursor = start.cursor;
      if (start.gap) yield { id: lastEventId, event: start.gap };
      for (;;) {
        const page = await reader.after(cursor, REPLAY_PAGE);
        for (const [id, fields] of page) {
          if (!subscriber.open) break;
          cursor = id;
          const decoded = decodeEntry(id, fields);
          if (decoded.kind === 'live' && subscriber.topics.has(decoded.item.topic)) yield decoded.item;
        }
        // Live entries that piled up during a long replay can drop the subscriber: stop replaying then.
        subscriber.throwIfDropped();
        if (page.length < REPLAY_PAGE || !subscriber.open) break;
      }
    }
    for (;;) {
      const item = await subscriber.next();
      if (item === null) return;
      if (cursor !== null && compareStreamIds(item.id, cursor) <= 0) continue;
      yield item;
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    subscriber.end('closed');
  }
}
