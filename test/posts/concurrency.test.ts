import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { postResultSchema } from '../../shared/posts.ts';
import { createTestApp, createTestDb, jsonRequest, testPrefix, type TestApp } from '../helpers/app.ts';
import { watchRedis } from '../helpers/monitor.ts';
import { waitFor } from '../helpers/wait.ts';
import { author, createPost, instrumentedDb } from './helpers.ts';

// One database for the file; each test builds its apps on it, with a counting (and gating) Db.
let sql: Awaited<ReturnType<typeof createTestDb>>;
let apps: TestApp[] = [];
beforeAll(async () => {
  sql = await createTestDb();
});
afterEach(async () => {
  for (const app of apps) await app.close();
  apps = [];
});
afterAll(() => sql.close());

async function instances(n: number, env: Record<string, string> = {}) {
  const counted = instrumentedDb(sql);
  // Same Redis, same key prefix, same SQL store: n instances of one deployment. 200 requests at
  // once in one process on a busy machine can keep a lookup's answer waiting past the default
  // 200 ms bound, and such a read goes to SQL by design: a long bound keeps these tests about
  // stampedes, not about slow lookups (test/posts/outage.test.ts covers those).
  const prefix = testPrefix();
  for (let i = 0; i < n; i++) {
    apps.push(await createTestApp({ db: counted.db, env: { REDIS_KEY_PREFIX: prefix, POST_CACHE_TIMEOUT_MS: '5000', ...env } }));
  }
  return { counted, apps: [...apps] };
}

async function uncachedPost(t: TestApp) {
  const who = await author(t, `writer-${Math.random().toString(36).slice(2)}@example.com`);
  // Creating invalidates: the post is not in the cache until someone reads it.
  return createPost(t, who.auth, { title: 'hot', content: 'everyone wants this' });
}

const someLoad = (counted: { loads(): number }) => waitFor(() => counted.loads() > 0, { what: 'a load has started' });

const read = async (t: TestApp, id: number) => {
  const res = await jsonRequest(t.app, 'GET', `/posts/${id}`);
  expect(res.status).toBe(200);
  return postResultSchema.parse(await res.json());
};

describe('stampede: concurrent misses on one post cause one SQL load', () => {
  it('200 concurrent requests on one instance: exactly 1 load', async () => {
    const { counted, apps: [t] } = await instances(1);
    const post = await uncachedPost(t!);
    counted.resetLoads();
    const answers = await Promise.all(Array.from({ length: 200 }, () => read(t!, post.id)));
    expect(counted.loads()).toBe(1);
    expect(answers.every((a) => a.data.id === post.id && a.data.title === 'hot')).toBe(true);
    expect((await read(t!, post.id)).source).toBe('cache');
    expect(counted.loads()).toBe(1);
  });

  it('200 concurrent requests split across two instances: exactly 1 load; the other instance is woken by the pub/sub message, not by its timeout', async () => {
    const { counted, apps: [a, b] } = await instances(2, { POST_FILL_WAIT_MS: '10000' });
    const post = await uncachedPost(a!);
    counted.resetLoads();
    // Each instance's flight tries the fill lock once (SET NX): the holder, then the one that waits.
    const lock = a!.deps.keys.lock('post:');
    let lockAttempts = 0;
    const monitor = await watchRedis(inject('redisUrl'), ({ args }) => {
      if (args[0]?.toLowerCase() === 'set' && args[1]?.startsWith(lock) && args[1].endsWith(`:${post.id}`)) lockAttempts++;
    });
    // Hold the load, so that both instances are surely waiting on the same miss at once.
    const release = counted.hold();
    const started = performance.now();
    const pending = Promise.all(Array.from({ length: 200 }, (_, i) => read(i % 2 ? b! : a!, post.id)));
    try {
      await someLoad(counted);
      await waitFor(() => lockAttempts === 2, { what: "the other instance's flight has found the lock taken" });
    } finally {
      monitor.stop();
      release();
    }
    const answers = await pending;
    const ms = performance.now() - started;
    expect(counted.loads()).toBe(1);
    expect(answers.every((a) => a.data.id === post.id)).toBe(true);
    // One instance loaded (database); the other read what it stored (cache), well before its 10 s bound.
    expect(new Set(answers.map((a) => a.source))).toEqual(new Set(['database', 'cache']));
    expect(ms).toBeLessThan(5000);
  });

  it('waiters are bounded: when the holder is slower than POST_FILL_WAIT_MS they read SQL themselves', async () => {
    const { counted, apps: [a, b] } = await instances(2, { POST_FILL_WAIT_MS: '150' });
    const post = await uncachedPost(a!);
    counted.resetLoads();
    const release = counted.hold();
    const first = read(a!, post.id);
    await someLoad(counted);
    const started = performance.now();
    const second = read(b!, post.id);
    // b waits 150 ms for a's message, then loads itself (and is held at the gate like a).
    await waitFor(() => counted.loads() >= 2, { intervalMs: 5, what: 'b loads itself' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    release();
    expect((await first).data.id).toBe(post.id);
    expect(await second).toMatchObject({ source: 'database', data: { id: post.id } });
    expect(counted.loads()).toBe(2);
  });
});

describe('no stale re-fill', () => {
  it('a reader that loaded the post before an update cannot put it back after the invalidation; the next read serves the update', async () => {
    const { counted, apps: [t] } = await instances(1);
    const who = await author(t!, 'racer@example.com');
    const post = await createPost(t!, who.auth, { title: 'version 1', content: 'c' });
    const gen = t!.services.posts.internals.generation.current()!;
    const entry = t!.deps.keys.postEntry(gen, post.id);

    // The reader misses, takes the lock and loads version 1, then is held before it can fill.
    const release = counted.hold();
    const slowRead = read(t!, post.id);
    await someLoad(counted);

    // Meanwhile the update commits version 2 and invalidates (the fence moves to 2).
    const put = await jsonRequest(t!.app, 'PUT', `/posts/${post.id}`, { title: 'version 2' }, who.auth);
    expect(put.status).toBe(200);
    expect(await t!.redis.get(t!.deps.keys.postFence(post.id))).toBe('2');

    release();
    // The reader answers what it read (it began before the update), but its fill was refused.
    expect(await slowRead).toMatchObject({ source: 'database', data: { title: 'version 1' } });
    expect(await t!.redis.get(entry)).toBeNull();

    expect(await read(t!, post.id)).toMatchObject({ source: 'database', data: { title: 'version 2' } });
    expect(await read(t!, post.id)).toMatchObject({ source: 'cache', data: { title: 'version 2' } });
    expect(await t!.redis.get(entry)).toMatch(/^2\|/);
  });

  it('an entry below its fence is never served, whoever wrote it (e.g. an instance still on an older generation)', async () => {
    const { apps: [t] } = await instances(1);
    const who = await author(t!, 'fenced@example.com');
    const post = await createPost(t!, who.auth, { title: 'v1', content: 'c' });
    const gen = t!.services.posts.internals.generation.current()!;
    expect((await jsonRequest(t!.app, 'PUT', `/posts/${post.id}`, { title: 'v2' }, who.auth)).status).toBe(200);
    // Plant a version-1 entry past the invalidation, as a late writer unaware of the fence would.
    await t!.redis.set(t!.deps.keys.postEntry(gen, post.id), `1|${JSON.stringify({ ...post, title: 'v1' })}`);
    expect(await read(t!, post.id)).toMatchObject({ source: 'database', data: { title: 'v2' } });
  });

  it('cache-fill-2.lua refuses a version below the fence and writes one at or above it', async () => {
    const { apps: [t] } = await instances(1);
    const { redis, deps: { keys } } = t!;
    const entry = keys.postEntry(0, 424242);
    const fence = keys.postFence(424242);
    expect(await redis.cacheFill(entry, fence, 1, '1|{}', 60_000)).toBe(1); // no fence yet
    expect(await redis.cacheInvalidate(entry, fence, 3, 60_000)).toBe(3);
    expect(await redis.exists(entry)).toBe(0);
    expect(await redis.cacheFill(entry, fence, 2, '2|{}', 60_000)).toBe(0);
    expect(await redis.exists(entry)).toBe(0);
    expect(await redis.cacheFill(entry, fence, 3, '3|{}', 60_000)).toBe(1);
    expect(await redis.get(entry)).toBe('3|{}');
    // A late invalidation of an older write never lowers the fence.
    expect(await redis.cacheInvalidate(entry, fence, 2, 60_000)).toBe(3);
  });
});
