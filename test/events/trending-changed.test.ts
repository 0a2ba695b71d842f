import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mergedKeys } from '../../server/features/trending/trending-windows.ts';
import { createTestApp, testPrefix } from '../helpers/app.ts';
import { author, createPost } from '../posts/helpers.ts';
import { waitFor } from '../helpers/wait.ts';
import { client, startLiveApp, subscribeTrending, type LiveApp } from './helpers.ts';

let a: LiveApp;
let b: LiveApp;
let posts: number[];
beforeAll(async () => {
  // Two instances on one Redis and prefix. Their timers stay out of the way (an hour apart):
  // each test calls `announce()` itself, as the timer would.
  const env = { REDIS_KEY_PREFIX: testPrefix(), TRENDING_ANNOUNCE_MS: '3600000' };
  a = await startLiveApp({ env });
  b = await startLiveApp({ env });
  const alice = await author(a, 'alice@example.com');
  posts = [];
  for (let i = 1; i <= 3; i++) posts.push((await createPost(a, alice.auth, { title: `post ${i}`, content: 'x' })).id);
});
afterAll(async () => {
  await a?.close();
  await b?.close();
});

/** `views[i]` views of post i through instance A, sent to Redis; the trending merges are dropped so the next read sees them. */
async function view(views: number[]) {
  for (const [i, n] of views.entries()) for (let v = 0; v < n; v++) await a.services.posts.get(posts[i]!);
  await a.services.posts.sendViews();
  await a.redis.del(...mergedKeys(a.deps.keys, Date.now()));
}

/** The `trending.changed` entries in the stream, oldest first. */
async function announcedInStream() {
  const entries = (await a.redis.xrange(a.deps.keys.events(), '-', '+')) as [string, string[]][];
  return entries.filter(([, fields]) => fields[1] === 'trending.changed').map(([id, fields]) => ({ id, data: JSON.parse(fields[3]!) as unknown }));
}

beforeEach(async () => {
  // Each test starts from "nothing announced yet" for every window.
  await a.redis.del(...['1h', '24h', '7d'].map((w) => a.deps.keys.trendingAnnounced(w)));
});

describe('trending.changed', () => {
  it('reaches a subscriber on another instance with the new top 10 of each window, most viewed first', async () => {
    const sub = subscribeTrending(client(b.url));
    await waitFor(() => b.services.events.stats().subscribers === 1, { timeoutMs: 5000, what: 'B has the subscriber' });
    await view([1, 3, 2]);

    expect(await a.services.trendingAnnouncer.announce()).toBe(3);
    await waitFor(() => sub.received.length === 3, { timeoutMs: 5000, what: 'three trending.changed events arrive on B' });
    const top = [posts[1], posts[2], posts[0]];
    expect(sub.received.map((r) => r.data)).toEqual(['1h', '24h', '7d'].map((window) => ({ type: 'trending.changed', window, postIds: top })));
    sub.unsubscribe();
  });

  it('is announced once per change: an unchanged top writes nothing, a new order writes one event per window', async () => {
    await view([0, 0, 5]);
    const before = (await announcedInStream()).length;
    expect(await a.services.trendingAnnouncer.announce()).toBe(3);
    expect(await b.services.trendingAnnouncer.announce()).toBe(0);
    expect(await a.services.trendingAnnouncer.announce()).toBe(0);
    expect((await announcedInStream()).length).toBe(before + 3);
  });

  it('two instances that see the same change at once announce it once between them', async () => {
    await a.services.trendingAnnouncer.announce();
    await view([20, 0, 0]); // post 1 goes first
    const before = (await announcedInStream()).length;
    const written = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).services.trendingAnnouncer.announce()));
    expect(written.reduce((sum, n) => sum + n, 0)).toBe(3);
    const after = await announcedInStream();
    expect(after.length).toBe(before + 3);
    expect(after.slice(-3).map((e) => e.data)).toEqual(
      ['1h', '24h', '7d'].map((window) => ({ type: 'trending.changed', window, postIds: [posts[0], posts[2], posts[1]] })),
    );
  });

  it('announces nothing, and does not reject, while Redis does not answer (an outage is not an empty top)', async () => {
    const t = await createTestApp();
    try {
      t.redis.disconnect(); // its commands now fail at once, as with fail-fast while Redis is down
      expect(await t.services.trending.topTen('1h')).toBeNull();
      expect(await t.services.trendingAnnouncer.announce()).toBe(0);
    } finally {
      await t.close();
    }
  });

  it('the started task announces on its own every TRENDING_ANNOUNCE_MS, and stops with the app', async () => {
    await view([0, 1, 0]);
    const c = await startLiveApp({ env: { REDIS_KEY_PREFIX: a.config.REDIS_KEY_PREFIX, TRENDING_ANNOUNCE_MS: '100' } });
    try {
      await waitFor(async () => (await a.redis.exists(a.deps.keys.trendingAnnounced('1h'))) === 1, { timeoutMs: 5000, what: 'the timer announces' });
    } finally {
      await c.close();
    }
    const count = (await announcedInStream()).length;
    await a.redis.del(a.deps.keys.trendingAnnounced('1h'));
    await new Promise((r) => setTimeout(r, 300)); // nothing to wait for: three intervals pass, and nothing may be announced
    expect((await announcedInStream()).length).toBe(count);
  });

  it('a window without views announces nothing: an empty top is what "nothing announced yet" means', async () => {
    const t = await createTestApp();
    try {
      expect(await t.services.trending.topTen('1h')).toEqual([]);
      expect(await t.services.trendingAnnouncer.announce()).toBe(0);
      expect(await t.redis.exists(t.deps.keys.events())).toBe(0);
    } finally {
      await t.close();
    }
  });

  it('the announcement key expires (it is no unbounded state)', async () => {
    await view([1, 0, 0]);
    await a.services.trendingAnnouncer.announce();
    const ttl = await a.redis.pttl(a.deps.keys.trendingAnnounced('7d'));
    expect(ttl).toBeGreaterThan(7 * 24 * 3_600_000);
    expect(ttl).toBeLessThanOrEqual(7 * 24 * 3_600_000 + 3_600_000);
  });
});
