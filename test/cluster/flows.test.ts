import type { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { siteAnalyticsSchema } from '../../shared/analytics.ts';
import { sessionListSchema } from '../../shared/auth.ts';
import { distanceSchema, nearbyListSchema } from '../../shared/geo.ts';
import { postPageSchema, postResultSchema, postSchema, postViewsSchema } from '../../shared/posts.ts';
import { topAuthorsSchema, trendingListSchema } from '../../shared/trending.ts';
import { healthSchema } from '../../shared/health.ts';
import { lastHours } from '../../server/features/analytics/calendar.ts';
import { createLimiter } from '../../server/features/ratelimit/limiter.ts';
import { bearer, grantAdmin, login, register, type ErrorJson } from '../auth/helpers.ts';
import { countsByType } from '../analytics/helpers.ts';
import { clusterKeys, startTestCluster, type TestCluster } from '../helpers/cluster.ts';
import { keySlot } from '../helpers/key-slot.ts';
import { createTestApp, createTestDb, jsonRequest, testPrefix, type TestApp } from '../helpers/app.ts';
import type { Db } from '../../server/db/db.ts';
import { author, createPost, getJson } from '../posts/helpers.ts';
import { client, postCreated, subscribePosts } from '../events/helpers.ts';
import { listen } from '../helpers/server.ts';
import { nodeEntry, startServerProcess } from '../helpers/process.ts';
import { freePort } from '../../server/redis/local-server.ts';
import { createClient } from '../../client/index.ts';
import { logSize } from '../ratelimit/log.ts';
import { waitFor } from '../helpers/wait.ts';

// The main flows on a 3-master Redis Cluster. Two app instances share the cluster, one key
// prefix and one database, as two servers behind a load balancer do; their background work
// (view flushes, the analytics stream worker, the live-events reader) runs.
let cluster: TestCluster;
let db: Db;
let a: TestApp<Cluster>;
let b: TestApp<Cluster>;
const prefix = testPrefix();

// Bounds far above a healthy round trip, so a busy machine does not turn a slow answer into a
// fallback (SQL instead of the cache, a fail-open rate-limit decision) that the assertions would see.
const slowMachine = { POST_CACHE_TIMEOUT_MS: '5000', POST_FILL_WAIT_MS: '5000', RATE_LIMIT_TIMEOUT_MS: '5000' };

async function instance(env: Record<string, string> = {}): Promise<TestApp<Cluster>> {
  const t = await createTestApp({ clusterNodes: cluster.nodes, db, env: { REDIS_KEY_PREFIX: prefix, ANALYTICS_VISITOR_SECRET: 'cluster-test-secret-of-32-characters', VIEW_FLUSH_INTERVAL_MS: '100000', TRENDING_ANNOUNCE_MS: '500', ...slowMachine, ...env } });
  t.background.forEach((task) => task.start());
  await waitFor(() => t.services.events.stats().lastId !== null, { timeoutMs: 10_000, what: 'the live reader has found the end of the stream' });
  return t;
}

beforeAll(async () => {
  cluster = await startTestCluster();
  db = await createTestDb();
  a = await instance();
  b = await instance();
});
afterAll(async () => {
  for (const t of [a, b]) {
    t?.background.forEach((task) => task.drain?.());
    await t?.close();
  }
  await db?.close();
  await cluster?.stop();
});

describe('auth on the cluster', () => {
  it('register, login, session on either instance, logout ends it everywhere', async () => {
    const user = await register(a, 'ann@example.com');
    const { sessionId } = await login(b, 'ann@example.com', 'correct horse battery');
    for (const t of [a, b]) {
      const me = await jsonRequest(t.app, 'GET', '/auth/me', undefined, bearer(sessionId));
      expect(me.status).toBe(200);
      expect(await me.json()).toMatchObject({ user: { id: user.id, email: 'ann@example.com' } });
    }
    const second = (await login(a, 'ann@example.com', 'correct horse battery')).sessionId;
    const sessions = await jsonRequest(a.app, 'GET', '/auth/sessions', undefined, bearer(second));
    expect(sessions.status).toBe(200);
    expect(sessionListSchema.parse(await sessions.json()).sessions).toHaveLength(2);

    expect((await jsonRequest(a.app, 'POST', '/auth/logout', undefined, bearer(sessionId))).status).toBe(200);
    for (const t of [a, b]) expect((await jsonRequest(t.app, 'GET', '/auth/me', undefined, bearer(sessionId))).status).toBe(401);
    expect((await jsonRequest(b.app, 'POST', '/auth/logout-all', undefined, bearer(second))).status).toBe(200);
    expect((await jsonRequest(b.app, 'GET', '/auth/me', undefined, bearer(second))).status).toBe(200);
  });

  it('a wrong password is refused (the failure counters are per email and per address, each in its own slot)', async () => {
    await register(a, 'wrong@example.com');
    const res = await jsonRequest(a.app, 'POST', '/auth/login', { email: 'wrong@example.com', password: 'not the password' });
    expect(res.status).toBe(401);
    expect(((await res.json()) as ErrorJson).error.code).toBe('UNAUTHORIZED');
  });
});

describe('posts on the cluster', () => {
  it('create, read (SQL, then the cache on both instances), list, tag query, update, delete with ownership', async () => {
    const alice = await author(a, 'alice@example.com');
    const bob = await author(a, 'bob@example.com');
    const post = await createPost(a, alice.auth, { title: 'Cluster', content: 'Sharded', tags: ['redis', 'cluster'] });
    const other = await createPost(b, bob.auth, { title: 'Other', content: 'Elsewhere', tags: ['redis'] });

    const first = postResultSchema.parse((await getJson(a, `/posts/${post.id}`)).body);
    const second = postResultSchema.parse((await getJson(b, `/posts/${post.id}`)).body);
    expect(first).toEqual({ source: 'database', data: post });
    expect(second).toEqual({ source: 'cache', data: post });

    const list = async (t: TestApp<Cluster>, query: string) => {
      const { status, body } = await getJson(t, `/posts${query}`);
      expect(status, JSON.stringify(body)).toBe(200);
      return postPageSchema.parse(body).data.map((p) => p.id);
    };
    expect(await list(a, '')).toEqual(expect.arrayContaining([post.id, other.id]));
    expect(await list(b, '?tags=redis')).toEqual([other.id, post.id]);
    expect(await list(a, '?tags=redis,cluster')).toEqual([post.id]);
    expect((await getJson(a, `/users/${alice.id}/posts`)).body).toMatchObject({ data: [{ id: post.id }] });

    const forbidden = await jsonRequest(b.app, 'PUT', `/posts/${post.id}`, { title: 'Mine now' }, bob.auth);
    expect(forbidden.status).toBe(403);
    expect((await jsonRequest(b.app, 'DELETE', `/posts/${post.id}`, undefined, bob.auth)).status).toBe(403);

    const put = await jsonRequest(b.app, 'PUT', `/posts/${post.id}`, { title: 'Cluster 2', tags: ['cluster'] }, alice.auth);
    expect(put.status).toBe(200);
    const updated = postSchema.parse(await put.json());
    // The other instance's cached copy is gone: both read the new version.
    for (const t of [a, b]) expect(postResultSchema.parse((await getJson(t, `/posts/${post.id}`)).body).data).toEqual(updated);
    expect(await list(a, '?tags=redis')).toEqual([other.id]);

    expect((await jsonRequest(a.app, 'DELETE', `/posts/${post.id}`, undefined, alice.auth)).status).toBe(200);
    for (const t of [a, b]) expect((await getJson(t, `/posts/${post.id}`)).status).toBe(404);
    expect(await list(b, '?tags=cluster')).toEqual([]);
  });

  it('concurrent misses on both instances load SQL once between them (fill lock and "filled" announcement across nodes)', async () => {
    const { auth } = await author(a, 'stampede@example.com');
    const post = await createPost(a, auth, { title: 'Hot', content: 'Everyone reads it' });
    const read = (t: TestApp<Cluster>) => getJson(t, `/posts/${post.id}`).then((r) => postResultSchema.parse(r.body).source);
    const [onA, onB] = await Promise.all([a, b].map((t) => Promise.all(Array.from({ length: 20 }, () => read(t)))));
    // In each process the concurrent misses share one run (single-flight) and get its source; across
    // the two, one run took the Redis lock and loaded SQL, the other waited for its announcement
    // (on another node than the entry: the announcement follows the store) and read the cache.
    expect(new Set(onA).size).toBe(1);
    expect(new Set(onB).size).toBe(1);
    expect([onA![0], onB![0]].sort()).toEqual(['cache', 'database']);
  });

  it('views from both instances are counted, flushed to SQL and shown by trending', async () => {
    const { id: authorId, auth } = await author(a, 'viewed@example.com');
    const hot = await createPost(a, auth, { title: 'Viewed a lot', content: 'x' });
    const warm = await createPost(a, auth, { title: 'Viewed a little', content: 'y' });
    await Promise.all([
      ...Array.from({ length: 30 }, (_, i) => getJson(i % 2 ? a : b, `/posts/${hot.id}`)),
      ...Array.from({ length: 10 }, (_, i) => getJson(i % 2 ? a : b, `/posts/${warm.id}`)),
    ]);
    // Sends the buffers; a send the buffer's timer started may still be on its way: poll.
    await Promise.all([a.services.posts.sendViews(), b.services.posts.sendViews()]);
    const views = async (id: number) => postViewsSchema.parse((await getJson(b, `/posts/${id}/views`)).body).views;
    await waitFor(async () => (await views(hot.id)) === 30 && (await views(warm.id)) === 10, { timeoutMs: 5000, what: 'the views are counted' });

    await a.services.posts.internals.views.flush();
    const [row] = await db.query<{ views: number }>('select views from posts where id = $1', [hot.id]);
    expect(Number(row!.views)).toBe(30);
    expect(postViewsSchema.parse((await getJson(a, `/posts/${hot.id}/views`)).body).views).toBe(30);

    // Other tests' posts were read this hour too: look at these two and their author. A merge of
    // the window made before the views landed (the announcer's) is served for up to
    // TRENDING_CACHE_SECONDS, so wait for the next one.
    const ours = async () => {
      const trending = trendingListSchema.parse((await getJson(a, '/trending?window=1h&limit=50')).body);
      return trending.filter((e) => e.post.id === hot.id || e.post.id === warm.id).map((e) => [e.post.id, e.views]);
    };
    await waitFor(async () => JSON.stringify(await ours()) === JSON.stringify([[hot.id, 30], [warm.id, 10]]), {
      timeoutMs: (a.config.TRENDING_CACHE_SECONDS + 5) * 1000,
      what: 'trending shows the two posts with their views',
    });
    const authors = topAuthorsSchema.parse((await getJson(b, '/trending/authors?window=1h&limit=50')).body);
    expect(authors.authors.find((e) => e.authorId === authorId)).toMatchObject({ views: 40 });

    // The trending announcer (trending-announce-2.lua, under {events}) puts the new top on the stream.
    const announced = async () => {
      const entries = await a.redis.xrevrange(a.deps.keys.events(), '+', '-', 'COUNT', 200);
      return entries.some(([, fields]) => fields[1] === 'trending.changed' && fields[3]!.includes(String(hot.id)));
    };
    await waitFor(announced, { timeoutMs: 10_000, what: 'a trending.changed names the hot post' });
  });

  it('geo: nearby and distance', async () => {
    const { auth } = await author(b, 'geo@example.com');
    const palermo = await createPost(b, auth, { title: 'Palermo', content: 'p', location: { longitude: 13.361389, latitude: 38.115556 } });
    const catania = await createPost(b, auth, { title: 'Catania', content: 'c', location: { longitude: 15.087269, latitude: 37.502669 } });
    const near = await getJson(a, '/geo/nearby?longitude=15&latitude=37&radius=200&unit=km');
    expect(near.status).toBe(200);
    expect(nearbyListSchema.parse(near.body).map((e) => e.post.id)).toEqual([catania.id, palermo.id]);
    const distance = await getJson(a, `/geo/distance?from=${palermo.id}&to=${catania.id}&unit=km`);
    expect(distance.status).toBe(200);
    expect(distanceSchema.parse(distance.body).distance).toBeCloseTo(166.27, 2);
  });
});

describe('rate limiting on the cluster', () => {
  it('200 concurrent decisions across two connections with limit 50 (and a second window): exactly 50 allowed', async () => {
    const policy = { name: 'cluster-test', windows: [{ limit: 50, windowMs: 60_000 }, { limit: 500, windowMs: 3_600_000 }] };
    const limiters = [a, b].map((t) => createLimiter({ redis: t.redis, keys: t.deps.keys, policy, timeoutMs: 5000 }));
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => limiters[i % 2]!.limit('ip:198.51.100.7')));
    expect(results.filter((r) => r.reason === undefined)).toHaveLength(200);
    expect(results.filter((r) => r.allowed)).toHaveLength(50);
    const keys = policy.windows.map((_, i) => a.deps.keys.rateLimit(policy.name, 'ip:198.51.100.7', ['1m', '1h'][i]));
    expect(await Promise.all(keys.map((k) => logSize(a.redis, k)))).toEqual([50, 50]);
  });

  it('the HTTP middleware with several windows: 429 past the tightest, with Retry-After', async () => {
    const t = await createTestApp({ clusterNodes: cluster.nodes, db, env: { ...slowMachine, RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_WRITE: '3/1m,100/1d', TRUST_PROXY: '1' } });
    try {
      const { auth } = await author(t, 'limited@example.com');
      const headers = { ...auth, 'x-forwarded-for': '203.0.113.9' };
      const statuses = await Promise.all(Array.from({ length: 8 }, (_, i) => jsonRequest(t.app, 'POST', '/posts', { title: `t${i}`, content: 'c' }, headers)));
      expect(statuses.filter((r) => r.status === 201)).toHaveLength(3);
      const refused = statuses.filter((r) => r.status === 429);
      expect(refused).toHaveLength(5);
      expect(Number(refused[0]!.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(((await refused[0]!.json()) as ErrorJson).error.code).toBe('TOO_MANY_REQUESTS');
    } finally {
      await t.close();
    }
  });
});

describe('analytics on the cluster', () => {
  it('unique visitors, DAU, the stream worker counting events, and Redis figures summed over the 3 masters', async () => {
    await register(a, 'boss@example.com');
    await grantAdmin(a, 'boss@example.com');
    const admin = (await login(a, 'boss@example.com', 'correct horse battery')).sessionId;
    const { auth } = await author(b, 'counted@example.com');
    const post = await createPost(b, auth, { title: 'Counted', content: 'c' });
    for (const [t, ip] of [[a, '192.0.2.1'], [b, '192.0.2.2'], [a, '192.0.2.1']] as const) {
      await jsonRequest(t.app, 'GET', `/posts/${post.id}`, undefined, { 'x-forwarded-for': ip });
    }
    await jsonRequest(a.app, 'GET', `/posts/${post.id}`, undefined, auth);
    await Promise.all([a.services.posts.sendViews(), b.services.posts.sendViews()]);
    const uniquesNow = () => getJson<{ uniqueVisitors: { today: number } }>(b, `/analytics/posts/${post.id}`);
    await waitFor(async () => (await uniquesNow()).body.uniqueVisitors.today === 2, { timeoutMs: 5000, what: 'the visits are counted (they ride in the view sends)' });
    const uniques = await uniquesNow();
    expect(uniques.status).toBe(200);
    // Without TRUST_PROXY the forwarded addresses are ignored: every anonymous read is one visitor
    // (both instances hash it alike: one ANALYTICS_VISITOR_SECRET), plus the author.
    expect(uniques.body).toMatchObject({ postId: post.id, uniqueVisitors: { today: 2, last7Days: 2 } });

    const res = await jsonRequest(a.app, 'GET', '/analytics/site', undefined, bearer(admin));
    expect(res.status).toBe(200);
    const site = siteAnalyticsSchema.parse(await res.json());
    expect(site.activeUsers.today).toBeGreaterThanOrEqual(2);
    expect(site.redis.nodes).toBe(3);
    expect(site.redis.usedMemoryBytes).toBeGreaterThan(3 * 500_000);

    // Every event so far went through the stream; the workers on both instances count each once.
    // Read again at each poll: the trending announcers may still be adding entries.
    const inStream = async () => {
      const expected: Record<string, number> = {};
      // Each entry counts once, a `post.viewed` for the views it stands for.
      for (const [, [, type, , data]] of await a.redis.xrange(a.deps.keys.events(), '-', '+')) {
        expected[type!] = (expected[type!] ?? 0) + (type === 'post.viewed' ? (JSON.parse(data!) as { views: number }).views : 1);
      }
      return expected;
    };
    expect((await inStream())['post.created']).toBeGreaterThan(5);
    const counted = () => countsByType(a.redis, a.deps.keys, lastHours(Date.now(), 2));
    const same = (x: Record<string, number>, y: Record<string, number>) => JSON.stringify(Object.entries(x).sort()) === JSON.stringify(Object.entries(y).sort());
    await waitFor(async () => same(await counted(), await inStream()), { timeoutMs: 10_000, what: 'the stream workers have counted the stream' });
    const totals = [a, b].map((t) => t.services.analytics.stats().events);
    expect(totals.reduce((n, s) => n + s.alreadyCounted, 0)).toBe(0);
  });
});

describe('pub/sub, live events and health on the cluster', () => {
  it('a cache-generation bump by A (PUBLISH inside its script, on the counter\'s node) reaches B\'s subscriber', async () => {
    const before = b.services.posts.internals.generation.current()!;
    expect(a.services.posts.internals.generation.current()).toBe(before);
    a.services.posts.internals.generation.suspect();
    await waitFor(() => b.services.posts.internals.generation.current() === before + 1, { timeoutMs: 5000, what: 'B hears the new generation' });
    expect(a.services.posts.internals.generation.current()).toBe(before + 1);
  });

  it('a live subscriber on B (tRPC over SSE) receives the events published through A, in order', async () => {
    const server = await listen(b.app);
    try {
      const sub = subscribePosts(client(server.url));
      await waitFor(() => b.services.events.stats().subscribers === 1, { timeoutMs: 5000, what: 'B has the subscriber' });
      const ids: string[] = [];
      for (let i = 1; i <= 10; i++) ids.push(await a.services.events.publish(postCreated(900_000 + i)));
      await waitFor(() => sub.received.length === 10, { timeoutMs: 5000, what: '10 events arrive on B' });
      expect(sub.received.map((r) => r.id)).toEqual(ids);
      expect(sub.errors).toEqual([]);
      sub.unsubscribe();
      await waitFor(() => b.services.events.stats().subscribers === 0, { timeoutMs: 5000, what: 'B forgets the subscriber' });
    } finally {
      b.background.forEach((task) => task.drain?.());
      await server.close();
    }
  });

  it('the Node entry started with REDIS_CLUSTER_NODES serves on the cluster and shuts down cleanly (QUIT to every node)', async () => {
    const running = await startServerProcess(nodeEntry, {
      REDIS_CLUSTER_NODES: cluster.nodes.join(','),
      REDIS_URL: 'redis://127.0.0.1:1', // ignored when REDIS_CLUSTER_NODES is set
      REDIS_KEY_PREFIX: testPrefix(),
      DATABASE_URL: 'memory://',
    }, await freePort());
    try {
      const api = createClient({ url: running.url });
      expect(await api.health.query()).toMatchObject({ status: 'ok', redis: { status: 'up' } });
      const { sessionId } = await api.auth.login.mutate({ email: 'user@example.com', password: 'password123' });
      const post = await createClient({ url: running.url, token: sessionId }).posts.create.mutate({ title: 'From the entry', content: 'c' });
      expect((await api.posts.get.query({ id: post.id })).source).toBe('database');
      expect((await api.posts.get.query({ id: post.id })).source).toBe('cache');
      expect(await running.stop()).toBe(0);
      expect(running.output()).not.toMatch(/error/i);
    } finally {
      await running.stop();
    }
  }, 150_000);

  it('after SCRIPT FLUSH on every master (as after a restart or failover), script calls fall back from EVALSHA to EVAL', async () => {
    await Promise.all(a.redis.nodes('master').map((node) => node.script('FLUSH')));
    const { auth } = await author(a, 'noscript@example.com'); // session-create, login-attempt scripts
    const post = await createPost(a, auth, { title: 'After the flush', content: 'c', tags: ['flushed'] }); // post-index, cache-invalidate
    expect(postResultSchema.parse((await getJson(a, `/posts/${post.id}`, auth)).body).source).toBe('database'); // session-touch, cache-fill
    expect((await getJson(b, '/posts?tags=flushed')).body).toMatchObject({ data: [{ id: post.id }] }); // tags-query
    // views-record (auto-pipelined), then views-snapshot. The buffer's timer may have sent the view
    // already, and that send may still be on its way (EVALSHA, NOSCRIPT, EVAL): poll.
    await a.services.posts.sendViews();
    const views = async () => postViewsSchema.parse((await getJson(b, `/posts/${post.id}/views`)).body).views;
    await waitFor(async () => (await views()) === 1, { timeoutMs: 5000, what: 'the view is counted' });
    const policy = { name: 'after-flush', windows: [{ limit: 1, windowMs: 60_000 }, { limit: 5, windowMs: 3_600_000 }] };
    const limiter = createLimiter({ redis: b.redis, keys: b.deps.keys, policy, timeoutMs: 5000 });
    expect((await Promise.all([limiter.limit('ip:192.0.2.99'), limiter.limit('ip:192.0.2.99')])).map((r) => r.allowed).sort()).toEqual([false, true]);
  });

  it('health answers ok on both instances (every master answers PING)', async () => {
    for (const t of [a, b]) {
      const res = await jsonRequest(t.app, 'GET', '/health');
      expect(res.status).toBe(200);
      expect(healthSchema.parse(await res.json())).toMatchObject({ status: 'ok', redis: { status: 'up' } });
    }
  });

  it('the keys are spread over all 3 masters, and the static slot check agrees with CLUSTER KEYSLOT', async () => {
    const byNode = await clusterKeys(a.redis, prefix);
    expect(byNode).toHaveLength(3);
    for (const keys of byNode) expect(keys.length).toBeGreaterThan(0);
    const sample = byNode.flat().slice(0, 200);
    const node = a.redis.nodes('master')[0]!;
    const slots = await Promise.all(sample.map((key) => node.cluster('KEYSLOT', key) as Promise<number>));
    expect(sample.map(keySlot)).toEqual(slots);
  });
});
