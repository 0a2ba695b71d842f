import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { postPageSchema, postResultSchema } from '../../shared/posts.ts';
import { createTestApp, createTestDb, jsonRequest, testPrefix, type TestApp } from '../helpers/app.ts';
import { sample, scrape } from '../helpers/metrics.ts';
import { waitFor } from '../helpers/wait.ts';
import { author, createPost } from './helpers.ts';

// Two instances of one deployment: same Redis, same key prefix, same SQL store.
let a: TestApp;
let b: TestApp;
let sql: Awaited<ReturnType<typeof createTestDb>>;
beforeAll(async () => {
  sql = await createTestDb();
  const prefix = testPrefix();
  a = await createTestApp({ db: sql, env: { REDIS_KEY_PREFIX: prefix } });
  b = await createTestApp({ db: sql, env: { REDIS_KEY_PREFIX: prefix } });
});
afterAll(async () => {
  await a.close();
  await b.close();
  await sql.close();
});

const read = async (t: TestApp, id: number) => postResultSchema.parse(await (await jsonRequest(t.app, 'GET', `/posts/${id}`)).json());

describe('the cache generation', () => {
  it('a bump by one instance reaches the other through pub/sub; entries of the old generation are not read again', async () => {
    const writer = await author(a, 'gen@example.com');
    const post = await createPost(a, writer.auth, { title: 'generations', content: 'c' });
    await read(b, post.id);
    expect((await read(b, post.id)).source).toBe('cache');
    const before = b.services.posts.internals.generation.current()!;
    expect(a.services.posts.internals.generation.current()).toBe(before);

    a.services.posts.internals.generation.suspect();
    await waitFor(() => b.services.posts.internals.generation.current() === before + 1, { timeoutMs: 5000, what: 'b hears the new generation' });
    expect(a.services.posts.internals.generation.current()).toBe(before + 1);
    expect(await b.redis.exists(b.deps.keys.postEntry(before, post.id))).toBe(1); // still there, never read again
    expect((await read(b, post.id)).source).toBe('database');
    expect((await read(a, post.id)).source).toBe('cache'); // b filled the new generation
  });

  it('an invalidation that cannot reach Redis leaves the write standing and drops the whole cache (new generation)', async () => {
    const writer = await author(a, 'lost-invalidation@example.com');
    const post = await createPost(a, writer.auth, { title: 'old title', content: 'c' });
    await read(a, post.id);
    await read(b, post.id);
    expect((await read(b, post.id)).source).toBe('cache');
    const before = a.services.posts.internals.generation.current()!;

    // The post-commit invalidation fails (as when Redis drops right after the SQL commit).
    const spy = vi.spyOn(a.redis, 'cacheInvalidate').mockRejectedValueOnce(new Error('Connection is closed.'));
    try {
      const res = await jsonRequest(a.app, 'PUT', `/posts/${post.id}`, { title: 'new title' }, writer.auth);
      expect(res.status).toBe(200); // committed in SQL: the write stands
    } finally {
      spy.mockRestore();
    }
    expect(await a.redis.get(a.deps.keys.postFence(post.id))).toBe('1'); // the fence never moved...
    await waitFor(() => [a, b].every((t) => t.services.posts.internals.generation.current() === before + 1), {
      timeoutMs: 5000,
      what: 'both instances are on a new generation',
    });
    // ...yet neither instance serves the old entry.
    expect((await read(b, post.id)).data.title).toBe('new title');
    expect((await read(a, post.id)).data.title).toBe('new title');
  });

  it('counts lookups as hits and misses', async () => {
    const writer = await author(a, 'metrics@example.com');
    const post = await createPost(a, writer.auth, { title: 'counted', content: 'c' });
    const count = async (cache: string, outcome: string) => sample(await scrape(a.app), 'blog_api_cache_lookups_total', { cache, outcome }) ?? 0;
    const [hits, misses, listMisses] = [await count('post', 'hit'), await count('post', 'miss'), await count('post-list', 'miss')];
    await read(a, post.id);
    await read(a, post.id);
    await jsonRequest(a.app, 'GET', '/posts?limit=7');
    expect(await count('post', 'miss')).toBe(misses + 1);
    expect(await count('post', 'hit')).toBe(hits + 1);
    expect(await count('post-list', 'miss')).toBe(listMisses + 1);
  });
});

describe('the tag and author indexes without their marker', () => {
  const page = async (path: string) => postPageSchema.parse(await (await jsonRequest(a.app, 'GET', path)).json());

  it('answer from SQL while the index is missing, and it is rebuilt from SQL to match', async () => {
    const writer = await author(a, 'rebuild@example.com');
    const p1 = await createPost(a, writer.auth, { title: 'r1', content: 'c', tags: ['lost', 'found'] });
    const p2 = await createPost(a, writer.auth, { title: 'r2', content: 'c', tags: ['lost'] });
    const k = a.deps.keys;
    // Redis lost the index (all of it, or only the marker after a flush of some keys).
    await a.redis.del(k.postIndexReady(), k.tagPosts('lost'), k.tagPosts('found'), k.postTags(p1.id), k.postTags(p2.id), k.userPosts(writer.id));

    // Each query below is new to the list cache, so it reaches the index (or SQL).
    expect((await page('/posts?tags=lost,found&limit=11')).data.map((p) => p.id)).toEqual([p1.id]);
    expect((await page(`/users/${writer.id}/posts?limit=11`)).data.map((p) => p.id)).toEqual([p2.id, p1.id]);
    await waitFor(async () => (await a.redis.exists(k.postIndexReady())) === 1, { timeoutMs: 5000, what: 'the index is rebuilt' });
    expect((await a.redis.smembers(k.tagPosts('lost'))).map(Number).sort((x, y) => x - y)).toEqual([p1.id, p2.id]);
    expect(await a.redis.smembers(k.tagPosts('found'))).toEqual([String(p1.id)]);
    expect(await a.redis.zrevrange(k.userPosts(writer.id), 0, -1)).toEqual([String(p2.id), String(p1.id)]);
    expect((await page('/posts?tags=lost&tagMode=any&limit=12')).data.map((p) => p.id)).toEqual([p2.id, p1.id]);
  });

  it('a write that finds the stored tags disagreeing with SQL drops the marker, and the rebuild repairs the index', async () => {
    const writer = await author(a, 'drift@example.com');
    const post = await createPost(a, writer.auth, { title: 'drifting', content: 'c', tags: ['calm'] });
    const k = a.deps.keys;
    // Something outside the app corrupted the index: the post appears under a tag it does not have.
    await a.redis.sadd(k.postTags(post.id), 'bogus');
    await a.redis.sadd(k.tagPosts('bogus'), String(post.id));
    await a.redis.sadd(k.indexedTags(), 'bogus');

    expect((await jsonRequest(a.app, 'PUT', `/posts/${post.id}`, { tags: ['stormy'] }, writer.auth)).status).toBe(200);
    await waitFor(async () => (await a.redis.exists(k.postIndexReady())) === 1 && (await a.redis.exists(k.tagPosts('bogus'))) === 0, { timeoutMs: 5000, what: 'the index is repaired' });
    expect(await a.redis.smembers(k.postTags(post.id))).toEqual(['stormy']);
    expect(await a.redis.exists(k.tagPosts('calm'))).toBe(0);
    expect((await page('/posts?tags=stormy&limit=13')).data.map((p) => p.id)).toEqual([post.id]);
  });
});
