import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../server/errors.ts';
import { resumePoint, type FeedItem } from '../../server/features/events/event-feed.ts';
import { createEventStreamReader } from '../../server/features/events/event-stream.ts';
import { compareStreamIds } from '../../server/features/events/stream-id.ts';
import type { LiveEvent, LiveTopic } from '../../shared/live-events.ts';
import type { TestApp } from '../helpers/app.ts';
import { waitFor } from '../helpers/wait.ts';
import { postCreated, startedApp } from './helpers.ts';

/** The events service in-process (no HTTP), its reader started, with a small buffer and cap. */
let t: TestApp;
beforeAll(async () => {
  t = await startedApp({ env: { EVENTS_SUBSCRIBER_BUFFER: '8', EVENTS_MAX_SUBSCRIBERS: '3', EVENT_STREAM_MAXLEN: '100' } });
});
afterAll(() => t.close());

const events = () => t.services.events;
// Each feed its own client, so only the instance-wide cap (3) applies here (per-client-cap.test.ts has the other).
let clients = 0;
const open = <T extends LiveTopic>(topics: T[], lastEventId?: string) => events().open(`ip:198.51.100.${++clients}`, topics, lastEventId);
const publish = (postId: number) => events().publish(postCreated(postId));
async function take<E>(items: AsyncGenerator<FeedItem<E>, void>, n: number): Promise<FeedItem<E>[]> {
  const got: FeedItem<E>[] = [];
  while (got.length < n) {
    const r = await items.next();
    if (r.done) break;
    got.push(r.value);
  }
  return got;
}
const postIds = (items: FeedItem<LiveEvent>[]) => items.map((i) => (i.event.type === 'post.created' ? i.event.postId : i.event.type));

describe('stream ids', () => {
  it('orders by milliseconds, then sequence, past 2^53', () => {
    expect(compareStreamIds('1-0', '1-0')).toBe(0);
    expect(compareStreamIds('9-5', '10-0')).toBeLessThan(0);
    expect(compareStreamIds('10-2', '10-10')).toBeLessThan(0);
    expect(compareStreamIds('18446744073709551615-1', '18446744073709551615-0')).toBeGreaterThan(0);
  });
});

describe('resumePoint', () => {
  const bounds = { oldestId: '100-0', lastGeneratedId: '200-0' };
  it('resumes right after an id the stream still holds, with no gap', () => {
    expect(resumePoint(bounds, '150-3')).toEqual({ cursor: '150-3', gap: null });
    expect(resumePoint(bounds, '100-0')).toEqual({ cursor: '100-0', gap: null });
    expect(resumePoint(bounds, '200-0')).toEqual({ cursor: '200-0', gap: null });
  });
  it('signals a gap for an id older than the oldest entry and replays from the oldest', () => {
    expect(resumePoint(bounds, '99-9')).toEqual({ cursor: '99-9', gap: { type: 'gap', lastEventId: '99-9', oldestId: '100-0' } });
  });
  it('signals a gap for an id the stream never gave out, and resumes from its end', () => {
    expect(resumePoint(bounds, '300-0')).toEqual({ cursor: '200-0', gap: { type: 'gap', lastEventId: '300-0', oldestId: '100-0' } });
  });
  it('signals a gap when the stream is gone, or emptied after the id', () => {
    expect(resumePoint(null, '5-0')).toEqual({ cursor: '0-0', gap: { type: 'gap', lastEventId: '5-0', oldestId: null } });
    expect(resumePoint({ oldestId: null, lastGeneratedId: '200-0' }, '150-0').gap).toMatchObject({ type: 'gap' });
    expect(resumePoint({ oldestId: null, lastGeneratedId: '200-0' }, '200-0').gap).toBeNull();
  });
});

describe('feeds', () => {
  it('replays what followed the last id while live events queue, then hands over without duplicates or gaps', async () => {
    const seen = await publish(1);
    const missed = [await publish(2), await publish(3)];
    const feed = open(['posts'], seen);
    const items = feed.items();
    // Published after the subscriber registered but before the replay has read anything: both
    // the replay and the live queue see these; each must come once.
    const racing = [await publish(4), await publish(5)];
    await waitFor(() => events().stats().lastId === racing[1], { timeoutMs: 5000, what: 'the reader has read the racing events' });
    const after = await publish(6);
    const got = await take(items, 5);
    expect(got.map((i) => i.id)).toEqual([...missed, ...racing, after]);
    expect(postIds(got)).toEqual([2, 3, 4, 5, 6]);
    feed.close();
    expect(await items.next()).toEqual({ done: true, value: undefined });
    expect(events().stats().subscribers).toBe(0);
  });

  it('sends a gap notice, then the oldest entries, when the last id was trimmed away', async () => {
    const old = await publish(10);
    // MAXLEN ~ 100 trims whole macro nodes (100 entries each by default): 300 more trim `old` away.
    for (let i = 0; i < 300; i++) await publish(1000 + i);
    const { oldestId } = (await createEventStreamReader(t.redis, t.deps.keys.events()).bounds())!;
    expect(compareStreamIds(oldestId!, old)).toBeGreaterThan(0);
    const feed = open(['posts'], old);
    const [gap, first] = await take(feed.items(), 2);
    expect(gap).toEqual({ id: old, event: { type: 'gap', lastEventId: old, oldestId } });
    expect(first!.id).toBe(oldestId);
    feed.close();
  });

  it('drops a subscriber that stops reading once its buffer is full, releasing it, and its next read says to reconnect', async () => {
    const feed = open(['posts']);
    const items = feed.items();
    const firstRead = items.next();
    await publish(20);
    expect((await firstRead).value).toMatchObject({ event: { postId: 20 } });
    // The consumer stops reading: 8 events fit in its buffer, the 9th drops it.
    for (let i = 0; i < 9; i++) await publish(21 + i);
    await waitFor(() => events().stats().subscribers === 0, { timeoutMs: 5000, what: 'the slow subscriber is dropped' });
    const err = await items.next().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ appCode: 'SERVICE_UNAVAILABLE', message: expect.stringMatching(/fell behind by more than 8 events; reconnect/) });
  });

  it('refuses subscribers past EVENTS_MAX_SUBSCRIBERS with a 503, and admits again once one leaves', async () => {
    const feeds = [open(['posts']), open(['trending']), open(['posts', 'trending'])];
    expect(events().stats()).toMatchObject({ subscribers: 3, listeners: { posts: 2, trending: 2 } });
    const refusal = (() => {
      try {
        open(['posts']);
      } catch (err) {
        return err;
      }
    })();
    expect(refusal).toBeInstanceOf(AppError);
    expect(refusal).toMatchObject({ appCode: 'SERVICE_UNAVAILABLE', status: 503, retryAfter: 5, message: expect.stringMatching(/maximum of 3 live subscribers/) });
    feeds[0]!.close();
    const again = open(['posts']);
    again.close();
    feeds.forEach((f) => f.close());
    expect(events().stats()).toMatchObject({ subscribers: 0, listeners: { posts: 0, trending: 0 } });
  });

  it('an aborted signal ends a waiting feed and unregisters it', async () => {
    const ac = new AbortController();
    const feed = open(['posts']);
    const pending = feed.items(ac.signal).next();
    await waitFor(() => events().stats().subscribers === 1);
    ac.abort();
    expect(await pending).toEqual({ done: true, value: undefined });
    expect(events().stats().subscribers).toBe(0);
  });

  it('a trending subscriber gets only trending events', async () => {
    const feed = open(['trending']);
    const items = feed.items();
    const next = items.next();
    await publish(40);
    const id = await events().publish({ type: 'trending.changed', window: '24h', postIds: [3, 1, 2] });
    expect((await next).value).toEqual({ id, topic: 'trending', event: { type: 'trending.changed', window: '24h', postIds: [3, 1, 2] } });
    feed.close();
  });
});
