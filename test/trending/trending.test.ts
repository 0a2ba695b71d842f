import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { postSchema } from '../../shared/posts.ts';
import { topAuthorsSchema, trendingListSchema } from '../../shared/trending.ts';
import { manualClock } from '../../server/clock.ts';
import { createContextInner } from '../../server/context.ts';
import { parseSessionToken } from '../../server/features/auth/session-token.ts';
import { HOUR_MS, hourEpoch } from '../../server/redis/keys.ts';
import { mergedKeys, windowPlan } from '../../server/features/trending/trending-windows.ts';
import { createCaller } from '../../server/router.ts';
import { scanKeys } from '../auth/helpers.ts';
import { createTestApp, jsonRequest, type TestApp } from '../helpers/app.ts';
import { waitFor } from '../helpers/wait.ts';
import { author, createPost, getJson, type PostJson } from '../posts/helpers.ts';

// The app's clock starts on an hour boundary (a little ahead of real time, so sessions stay valid
// while it moves); every bucket a test touches is named by it.
const start = (hourEpoch(Date.now()) + 2) * HOUR_MS;
const clock = manualClock(start);
let t: TestApp;
let alice: Awaited<ReturnType<typeof author>>;
let bob: Awaited<ReturnType<typeof author>>;
let carol: Awaited<ReturnType<typeof author>>;

beforeAll(async () => {
  t = await createTestApp({ clock });
  alice = await author(t, 'alice@example.com');
  bob = await author(t, 'bob@example.com');
  carol = await author(t, 'carol@example.com');
});
afterAll(() => t.close());

/** Every trending key under this app's prefix, dropped between tests so each starts with no views. */
async function clearRankings() {
  const keys = (await scanKeys(t.redis, t.config.REDIS_KEY_PREFIX)).filter((k) => k.includes(':trending:'));
  if (keys.length > 0) await t.redis.del(...keys);
}
beforeEach(async () => {
  clock.set(start);
  await clearRankings();
});

/** `times` views of a post at the clock's current time, sent to Redis. */
async function view(id: number, times: number) {
  for (let i = 0; i < times; i++) expect((await jsonRequest(t.app, 'GET', `/posts/${id}`)).status).toBe(200);
  await t.services.posts.sendViews();
}
/** Moves the clock; drops the cached merges so the next read merges again (the cache has its own test). */
async function at(ms: number) {
  clock.set(ms);
  await t.redis.del(...mergedKeys(t.deps.keys, ms));
}

async function trending(query = '') {
  const { status, body } = await getJson<unknown>(t, `/trending${query}`);
  expect(status).toBe(200);
  return trendingListSchema.parse(body).map((e) => ({ id: e.post.id, views: e.views }));
}

describe('GET /posts/trending (the tutorial\'s curl)', () => {
  it('answers an array of posts, most viewed first', async () => {
    const quiet = await createPost(t, alice.auth, { title: 'quiet', content: 'c' });
    const loud = await createPost(t, bob.auth, { title: 'loud', content: 'c' });
    await view(quiet.id, 1);
    await view(loud.id, 3);

    const res = await t.app.request('/posts/trending');
    expect(res.status).toBe(200);
    const body = (await res.json()) as PostJson[];
    expect(body.map((p) => postSchema.parse(p))).toEqual([
      { ...loud, updatedAt: expect.any(String) },
      { ...quiet, updatedAt: expect.any(String) },
    ]);
    expect((await getJson<PostJson[]>(t, '/posts/trending?window=1h&limit=1')).body.map((p) => p.id)).toEqual([loud.id]);
  });

  it('refuses an unknown window or a bad limit with 400 naming the field', async () => {
    for (const [query, field] of [
      ['?window=2h', 'window'],
      ['?limit=0', 'limit'],
      ['?limit=51', 'limit'],
      ['?limit=abc', 'limit'],
    ] as const) {
      for (const path of ['/posts/trending', '/trending', '/trending/authors']) {
        const { status, body } = await getJson<{ error: { code: string; details: { field: string }[] } }>(t, path + query);
        expect(status, path + query).toBe(400);
        expect(body.error.code).toBe('VALIDATION_FAILED');
        expect(body.error.details.map((d) => d.field)).toEqual([field]);
      }
    }
  });
});

describe('windows', () => {
  it('merge exactly the buckets of the window: 1h, 24h and 7d', async () => {
    const [p1, p2, p3, p4] = await Promise.all(['now', 'hours', 'day', 'week'].map((title) => createPost(t, alice.auth, { title, content: 'c' })));
    // On an hour boundary the window's oldest bucket counts in full: 1h = this hour and the last.
    await at(start - 200 * HOUR_MS);
    await view(p4!.id, 9); // older than a week: in no window
    await at(start - 100 * HOUR_MS);
    await view(p4!.id, 4);
    await at(start - 20 * HOUR_MS);
    await view(p3!.id, 4);
    await view(p4!.id, 2);
    await at(start - 1 * HOUR_MS);
    await view(p2!.id, 2);
    await at(start);
    await view(p1!.id, 1);
    await view(p2!.id, 1);

    expect(await trending('?window=1h')).toEqual([{ id: p2!.id, views: 3 }, { id: p1!.id, views: 1 }]);
    expect(await trending('?window=24h')).toEqual([{ id: p3!.id, views: 4 }, { id: p2!.id, views: 3 }, { id: p4!.id, views: 2 }, { id: p1!.id, views: 1 }]);
    expect(await trending('?window=7d')).toEqual([{ id: p4!.id, views: 6 }, { id: p3!.id, views: 4 }, { id: p2!.id, views: 3 }, { id: p1!.id, views: 1 }]);
    expect(await trending('?window=7d&limit=2')).toEqual([{ id: p4!.id, views: 6 }, { id: p3!.id, views: 4 }]);
    // The default window is 24h.
    expect(await trending()).toEqual(await trending('?window=24h'));
  });

  it('decay: views leave the window as the clock moves on, through the hour the window starts in', async () => {
    const old = await createPost(t, alice.auth, { title: 'old news', content: 'c' });
    const fresh = await createPost(t, alice.auth, { title: 'fresh', content: 'c' });
    await view(old.id, 10); // at hour H
    await at(start + HOUR_MS); // H+1
    await view(fresh.id, 2);

    // H+1:00, 1h: bucket H is the hour the window starts in, wholly inside.
    expect(await trending('?window=1h')).toEqual([{ id: old.id, views: 10 }, { id: fresh.id, views: 2 }]);
    // H+1:30: half of hour H is still inside the window.
    await at(start + 1.5 * HOUR_MS);
    expect(await trending('?window=1h')).toEqual([{ id: old.id, views: 5 }, { id: fresh.id, views: 2 }]);
    // H+2:00: hour H has left the 1h window entirely; the post is not trending there at all.
    await at(start + 2 * HOUR_MS);
    expect(await trending('?window=1h')).toEqual([{ id: fresh.id, views: 2 }]);
    expect(await trending('?window=24h')).toEqual([{ id: old.id, views: 10 }, { id: fresh.id, views: 2 }]);
    // A day later the 24h window has let go of both; the week still has them. The buckets are
    // all still in Redis (their TTL is real time): decay comes from which buckets are merged.
    await at(start + 26 * HOUR_MS);
    expect(await trending('?window=24h')).toEqual([]);
    expect(await t.redis.exists(t.deps.keys.trendingBucket(hourEpoch(start)))).toBe(1);
    expect(await trending('?window=7d')).toEqual([{ id: old.id, views: 10 }, { id: fresh.id, views: 2 }]);
    await at(start + (169 + 1) * HOUR_MS);
    expect(await trending('?window=7d')).toEqual([]);
    expect((await getJson<unknown[]>(t, '/posts/trending')).body).toEqual([]);
  });
});

describe('the merge cache', () => {
  it('reuses a window\'s merge for TRENDING_CACHE_SECONDS, then merges again', async () => {
    const cached = await createTestApp({ clock, env: { TRENDING_CACHE_SECONDS: '1' } });
    try {
      const writer = await author(cached, 'cache@example.com');
      const post = await createPost(cached, writer.auth, { title: 'cached', content: 'c' });
      const views = async () => {
        const { body } = await getJson<{ views: number }[]>(cached, '/trending?window=1h');
        return body[0]?.views ?? 0;
      };
      const hit = async (n: number) => {
        for (let i = 0; i < n; i++) await jsonRequest(cached.app, 'GET', `/posts/${post.id}`);
        await cached.services.posts.sendViews();
      };
      await hit(1);
      expect(await views()).toBe(1);
      const merged = windowPlan(cached.deps.keys, 'posts', '1h', clock.now()).merged;
      const ttl = await cached.redis.pttl(merged);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(1000);

      await hit(2);
      expect(await views()).toBe(1); // the cached merge answers
      await waitFor(async () => (await cached.redis.exists(merged)) === 0, { what: 'the cached merge has expired (its TTL is at most 1 s)' });
      expect(await views()).toBe(3);
    } finally {
      await cached.close();
    }
  });

  it('a new hour never reads the last hour\'s merge', async () => {
    const post = await createPost(t, alice.auth, { title: 'hourly', content: 'c' });
    await view(post.id, 1);
    expect(await trending('?window=1h')).toEqual([{ id: post.id, views: 1 }]);
    clock.set(start + 2 * HOUR_MS); // no cache drop: the merge is named by its hour
    expect(await trending('?window=1h')).toEqual([]);
  });
});

describe('deleting a post', () => {
  it('removes it from every ranking and takes its views off its author', async () => {
    const gone = await createPost(t, alice.auth, { title: 'to delete', content: 'c' });
    const kept = await createPost(t, alice.auth, { title: 'kept', content: 'c' });
    const other = await createPost(t, bob.auth, { title: 'bob', content: 'c' });
    await at(start - 100 * HOUR_MS);
    await view(gone.id, 5);
    await at(start - 5 * HOUR_MS);
    await view(gone.id, 3);
    await view(kept.id, 1);
    await at(start);
    await view(gone.id, 2);
    await view(other.id, 4);
    // Read every window first, so that cached merges exist when the post goes.
    expect((await trending('?window=7d'))[0]).toEqual({ id: gone.id, views: 10 });
    expect(await trending('?window=1h')).toEqual([{ id: other.id, views: 4 }, { id: gone.id, views: 2 }]);
    const authors = async (window: string) => (await getJson<{ authors: unknown[] }>(t, `/trending/authors?window=${window}`)).body.authors;
    expect(await authors('7d')).toEqual([
      { authorId: alice.id, views: 11, rank: 1 },
      { authorId: bob.id, views: 4, rank: 2 },
    ]);

    expect((await jsonRequest(t.app, 'DELETE', `/posts/${gone.id}`, undefined, alice.auth)).status).toBe(200);

    expect(await trending('?window=1h')).toEqual([{ id: other.id, views: 4 }]);
    expect(await trending('?window=24h')).toEqual([{ id: other.id, views: 4 }, { id: kept.id, views: 1 }]);
    expect(await trending('?window=7d')).toEqual([{ id: other.id, views: 4 }, { id: kept.id, views: 1 }]);
    expect(await authors('7d')).toEqual([
      { authorId: bob.id, views: 4, rank: 1 },
      { authorId: alice.id, views: 1, rank: 2 },
    ]);
    // An author whose only views were the deleted post's leaves that hour's ranking (no 0 scores).
    expect(await authors('1h')).toEqual([{ authorId: bob.id, views: 4, rank: 1 }]);
    for (const bucket of windowPlan(t.deps.keys, 'posts', '7d', start).buckets) {
      expect(await t.redis.zscore(bucket, String(gone.id))).toBeNull();
    }
  });

  it('a view that raced the deletion back into a bucket is cleaned by the next read', async () => {
    const gone = await createPost(t, alice.auth, { title: 'raced', content: 'c' });
    const kept = await createPost(t, alice.auth, { title: 'stays', content: 'c' });
    await view(kept.id, 1);
    await jsonRequest(t.app, 'DELETE', `/posts/${gone.id}`, undefined, alice.auth);
    // As if another instance sent a view it had buffered before the commit.
    const bucket = t.deps.keys.trendingBucket(hourEpoch(start));
    await t.redis.zincrby(bucket, 50, String(gone.id));

    expect(await trending('?limit=1')).toEqual([{ id: kept.id, views: 1 }]);
    expect(await t.redis.zscore(bucket, String(gone.id))).toBeNull();
  });
});

describe('top authors', () => {
  it('ranks authors by views of their posts, with myRank (1-based) for the caller', async () => {
    const a = await createPost(t, alice.auth, { title: 'a', content: 'c' });
    const b = await createPost(t, bob.auth, { title: 'b1', content: 'c' });
    const b2 = await createPost(t, bob.auth, { title: 'b2', content: 'c' });
    await view(a.id, 2);
    await view(b.id, 3);
    await view(b2.id, 1);
    await createPost(t, carol.auth, { title: 'unread', content: 'c' });

    const as = async (headers: Record<string, string>, query = '') => {
      const { status, body } = await getJson<unknown>(t, `/trending/authors${query}`, headers);
      expect(status).toBe(200);
      return topAuthorsSchema.parse(body);
    };
    const ranking = [
      { authorId: bob.id, views: 4, rank: 1 },
      { authorId: alice.id, views: 2, rank: 2 },
    ];
    expect(await as(bob.auth)).toEqual({ window: '7d', authors: ranking, myRank: 1 });
    expect(await as(alice.auth)).toEqual({ window: '7d', authors: ranking, myRank: 2 });
    expect(await as(alice.auth, '?limit=1')).toEqual({ window: '7d', authors: ranking.slice(0, 1), myRank: 2 });
    expect(await as(carol.auth)).toEqual({ window: '7d', authors: ranking, myRank: null }); // no views: unranked
    const anonymous = await as({});
    expect(anonymous).toEqual({ window: '7d', authors: ranking });
    expect('myRank' in anonymous).toBe(false);

    // The same through tRPC, with and without a session.
    const session = await t.services.auth.sessions.resolve(parseSessionToken(alice.token)!);
    const caller = (s: typeof session | null) =>
      createCaller(createContextInner(t.deps, t.services, { requestId: 'r', log: t.deps.logger, session: s, clientIp: '127.0.0.1', userAgent: '' }));
    expect(await caller(session).trending.authors({ window: '24h' })).toEqual({ window: '24h', authors: ranking, myRank: 2 });
    expect(await caller(null).trending.authors({})).toEqual({ window: '7d', authors: ranking });
    expect((await caller(null).trending.list({ limit: 1 })).map((e) => e.post.id)).toEqual([b.id]);
    expect((await caller(null).posts.trending()).map((p) => p.id)).toEqual([b.id, a.id, b2.id]);
    await expect(caller(null).trending.list({ window: '2h' as '1h' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });
});

describe('topTen (the seam for trending.changed, issue 7)', () => {
  it('answers the window\'s top 10 post ids', async () => {
    const posts = [];
    for (let i = 0; i < 12; i++) posts.push(await createPost(t, carol.auth, { title: `p${i}`, content: 'c' }));
    for (const [i, p] of posts.entries()) await view(p.id, i + 1);
    expect(await t.services.trending.topTen('1h')).toEqual(posts.slice(2).reverse().map((p) => p.id));
  });
});
