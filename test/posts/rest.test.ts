import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorResponseSchema } from '../../shared/errors.ts';
import { postPageSchema, postResultSchema, postSchema, postViewsSchema } from '../../shared/posts.ts';
import { createContextInner } from '../../server/context.ts';
import { parseSessionToken } from '../../server/features/auth/session-token.ts';
import { createCaller } from '../../server/router.ts';
import { createTestApp, jsonRequest, type TestApp } from '../helpers/app.ts';
import { author, createPost, getJson, postStores, type PostJson } from './helpers.ts';

let t: TestApp;
let alice: Awaited<ReturnType<typeof author>>;
let bob: Awaited<ReturnType<typeof author>>;

beforeAll(async () => {
  t = await createTestApp();
  alice = await author(t, 'alice@example.com');
  bob = await author(t, 'bob@example.com');
});
afterAll(() => t.close());

const page = async (path: string) => {
  const { status, body } = await getJson(t, path);
  expect(status, JSON.stringify(body)).toBe(200);
  return postPageSchema.parse(body);
};
const ids = (p: { data: { id: number }[] }) => p.data.map((post) => post.id);

describe('the tutorial shapes', () => {
  it('POST /posts answers 201 with the post (id at the top level); GET /posts/:id answers { source, data }, first from SQL, then from the cache', async () => {
    const res = await jsonRequest(t.app, 'POST', '/posts', { title: 'Redis Guide', content: 'Learn Redis...' }, alice.auth);
    expect(res.status).toBe(201);
    const created = postSchema.parse(await res.json());
    expect(created).toMatchObject({ authorId: alice.id, title: 'Redis Guide', content: 'Learn Redis...', tags: [], location: null });
    expect(created.createdAt).toBe(created.updatedAt);

    const first = postResultSchema.parse((await getJson(t, `/posts/${created.id}`)).body);
    const second = postResultSchema.parse((await getJson(t, `/posts/${created.id}`)).body);
    expect(first).toEqual({ source: 'database', data: created });
    expect(second).toEqual({ source: 'cache', data: created });
    expect(postViewsSchema.parse((await getJson(t, `/posts/${created.id}/views`)).body)).toEqual({ postId: created.id, views: 2 });
  });

  it('creates with tags and a location; PUT changes only the fields sent, location null removes it; DELETE answers the tutorial message', async () => {
    const post = await createPost(t, alice.auth, { title: 'Geo', content: 'Where', tags: ['maps', 'maps', 'geo'], location: { longitude: 2.35, latitude: 48.85 } });
    expect(post.tags).toEqual(['maps', 'geo']); // repeats dropped
    expect(post.location).toEqual({ longitude: 2.35, latitude: 48.85 });

    const put = await jsonRequest(t.app, 'PUT', `/posts/${post.id}`, { title: 'Geo 2', location: null }, alice.auth);
    expect(put.status).toBe(200);
    const updated = postSchema.parse(await put.json());
    expect(updated).toMatchObject({ id: post.id, title: 'Geo 2', content: 'Where', tags: ['maps', 'geo'], location: null, createdAt: post.createdAt });
    expect(Date.parse(updated.updatedAt)).toBeGreaterThan(Date.parse(post.updatedAt));
    expect((await getJson(t, `/posts/${post.id}`)).body).toMatchObject({ data: updated });

    const del = await jsonRequest(t.app, 'DELETE', `/posts/${post.id}`, undefined, alice.auth);
    expect(del.status).toBe(200);
    expect(await del.json()).toEqual({ message: 'Post deleted successfully' });
    const gone = await getJson(t, `/posts/${post.id}`);
    expect(gone.status).toBe(404);
    expect(errorResponseSchema.parse(gone.body).error).toMatchObject({ code: 'NOT_FOUND', message: `Post ${post.id} not found` });
    expect((await getJson(t, `/posts/${post.id}/views`)).status).toBe(404);
    expect((await jsonRequest(t.app, 'DELETE', `/posts/${post.id}`, undefined, alice.auth)).status).toBe(404);
  });

  it('writes need a session: 401 without one, and nothing is written', async () => {
    const before = await postStores(t);
    for (const [method, path] of [['POST', '/posts'], ['PUT', '/posts/1'], ['DELETE', '/posts/1']] as const) {
      const res = await jsonRequest(t.app, method, path, method === 'DELETE' ? undefined : { title: 'x', content: 'y' });
      expect(res.status).toBe(401);
      expect(errorResponseSchema.parse(await res.json()).error.code).toBe('UNAUTHORIZED');
    }
    expect(await postStores(t)).toEqual(before);
  });
});

describe('ownership', () => {
  it("another user's update or delete gets 403 and changes nothing, in SQL or Redis", async () => {
    const post = await createPost(t, alice.auth, { title: 'Mine', content: 'Hands off', tags: ['private'] });
    await getJson(t, `/posts/${post.id}`); // cached
    await page('/posts?tags=private'); // a cached list page and the tag index
    const before = await postStores(t);

    for (const [method, body] of [['PUT', { title: 'Stolen', tags: ['hacked'] }], ['DELETE', undefined]] as const) {
      const res = await jsonRequest(t.app, method, `/posts/${post.id}`, body, bob.auth);
      expect(res.status).toBe(403);
      expect(errorResponseSchema.parse(await res.json()).error).toMatchObject({ code: 'FORBIDDEN', message: expect.stringMatching(/^Only the author may/) });
    }
    expect(await postStores(t)).toEqual(before);
    expect((await getJson(t, `/posts/${post.id}`)).body).toEqual({ source: 'cache', data: post });
  });
});

describe('bad input: 400 naming the field, nothing written', () => {
  const long = (n: number, ch = 'a') => ch.repeat(n);
  const create: [string, Record<string, unknown>, string][] = [
    ['empty title', { title: '', content: 'c' }, 'title'],
    ['blank title', { title: '   ', content: 'c' }, 'title'],
    ['title of 201 characters', { title: long(201), content: 'c' }, 'title'],
    ['missing content', { title: 't' }, 'content'],
    ['content of 100 KiB + 1 byte', { title: 't', content: long(102_401) }, 'content'],
    ['content of 100 KiB + 1 byte in 3-byte characters', { title: 't', content: long(34_134, '€') }, 'content'],
    ['11 tags', { title: 't', content: 'c', tags: Array.from({ length: 11 }, (_, i) => `t${i}`) }, 'tags'],
    ['an upper-case tag', { title: 't', content: 'c', tags: ['ok', 'Redis'] }, 'tags.1'],
    ['a tag of 33 characters', { title: 't', content: 'c', tags: [long(33)] }, 'tags.0'],
    ['an empty tag', { title: 't', content: 'c', tags: [''] }, 'tags.0'],
    ['a tag with a space', { title: 't', content: 'c', tags: ['two words'] }, 'tags.0'],
    ['longitude 180.5', { title: 't', content: 'c', location: { longitude: 180.5, latitude: 0 } }, 'location.longitude'],
    ['latitude 85.06 (beyond Redis GEO)', { title: 't', content: 'c', location: { longitude: 0, latitude: 85.06 } }, 'location.latitude'],
    ['latitude -90', { title: 't', content: 'c', location: { longitude: 0, latitude: -90 } }, 'location.latitude'],
    ['a location without latitude', { title: 't', content: 'c', location: { longitude: 1 } }, 'location.latitude'],
    ['a string longitude', { title: 't', content: 'c', location: { longitude: '1', latitude: 1 } }, 'location.longitude'],
    ['an unknown field', { title: 't', content: 'c', authorId: 1 }, '(root)'],
  ];

  it.each(create)('POST /posts with %s', async (_name, body, field) => {
    const before = await postStores(t);
    const res = await jsonRequest(t.app, 'POST', '/posts', body, alice.auth);
    expect(res.status).toBe(400);
    const { error } = errorResponseSchema.parse(await res.json());
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.details?.map((d) => d.field)).toContain(field);
    expect(await postStores(t)).toEqual(before);
  });

  it('PUT, DELETE and GET with a bad id or body: 400 naming it, nothing written', async () => {
    const post = await createPost(t, alice.auth, { title: 'Target', content: 'c' });
    await getJson(t, `/posts/${post.id}`);
    const before = await postStores(t);
    const cases: [string, string, unknown, string][] = [
      ['PUT', `/posts/${post.id}`, { title: '' }, 'title'],
      ['PUT', `/posts/${post.id}`, { content: long(102_401) }, 'content'],
      ['PUT', `/posts/${post.id}`, { tags: ['BAD'] }, 'tags.0'],
      ['PUT', `/posts/${post.id}`, { location: { longitude: -181, latitude: 0 } }, 'location.longitude'],
      ['PUT', `/posts/${post.id}`, {}, '(root)'],
      ['PUT', '/posts/abc', { title: 'x' }, 'id'],
      ['DELETE', '/posts/abc', undefined, 'id'],
      ['DELETE', '/posts/0', undefined, 'id'],
      ['GET', '/posts/abc', undefined, 'id'],
      ['GET', '/posts/1.5', undefined, 'id'],
      ['GET', '/posts/99999999999', undefined, 'id'],
      ['GET', '/posts/abc/views', undefined, 'id'],
      ['GET', '/users/abc/posts', undefined, 'id'],
      ['GET', '/posts?limit=51', undefined, 'limit'],
      ['GET', '/posts?page=0', undefined, 'page'],
      ['GET', '/posts?tags=ok,Not-Ok', undefined, 'tags.1'],
      ['GET', '/posts?tagMode=some', undefined, 'tagMode'],
    ];
    for (const [method, path, body, field] of cases) {
      const res = await jsonRequest(t.app, method, path, body, alice.auth);
      expect(res.status, `${method} ${path}`).toBe(400);
      const { error } = errorResponseSchema.parse(await res.json());
      expect(error.details?.map((d) => d.field), `${method} ${path}`).toContain(field);
    }
    expect(await postStores(t)).toEqual(before);
  });

  it('the limits themselves are accepted: 200 characters (counted as code points), 100 KiB exactly, 10 tags of 32, the GEO corners', async () => {
    const post = await createPost(t, alice.auth, {
      title: '😀'.repeat(200),
      content: '€'.repeat(34_133) + 'a', // 102,400 bytes of UTF-8
      tags: Array.from({ length: 10 }, (_, i) => `${i}`.padEnd(32, 'x')),
      location: { longitude: -180, latitude: 85.05112878 },
    });
    expect(post.title).toHaveLength(400); // UTF-16 units: JavaScript's length is not the limit
    const [row] = await t.db.query<{ chars: number; bytes: number }>('select char_length(title) as chars, octet_length(content) as bytes from posts where id = $1', [post.id]);
    expect(row).toEqual({ chars: 200, bytes: 102_400 });
  });
});

describe('tags: all-of (SINTER) and any-of (SUNION), kept in step on create, update and delete', () => {
  it('answers from the Redis sets, which follow every write', async () => {
    const k = t.deps.keys;
    const members = async (tag: string) => (await t.redis.smembers(k.tagPosts(tag))).map(Number).sort((a, b) => a - b);
    const p1 = await createPost(t, alice.auth, { title: 'one', content: 'c', tags: ['red', 'green'] });
    const p2 = await createPost(t, alice.auth, { title: 'two', content: 'c', tags: ['red'] });
    const p3 = await createPost(t, bob.auth, { title: 'three', content: 'c', tags: ['green', 'blue'] });

    expect(await members('red')).toEqual([p1.id, p2.id]);
    expect((await t.redis.smembers(k.postTags(p1.id))).sort()).toEqual(['green', 'red']);
    expect(ids(await page('/posts?tags=red,green'))).toEqual([p1.id]);
    expect(ids(await page('/posts?tags=green,red'))).toEqual([p1.id]);
    expect(ids(await page('/posts?tags=red,blue&tagMode=any'))).toEqual([p3.id, p2.id, p1.id]);
    expect(ids(await page('/posts?tags=red,blue'))).toEqual([]);

    // Update: p2 leaves red for blue.
    expect((await jsonRequest(t.app, 'PUT', `/posts/${p2.id}`, { tags: ['blue'] }, alice.auth)).status).toBe(200);
    expect(await members('red')).toEqual([p1.id]);
    expect(await members('blue')).toEqual([p2.id, p3.id]);
    expect(await t.redis.smembers(k.postTags(p2.id))).toEqual(['blue']);
    expect(ids(await page('/posts?tags=blue'))).toEqual([p3.id, p2.id]);
    expect(ids(await page('/posts?tags=red&tagMode=any'))).toEqual([p1.id]);

    // Delete: p3 leaves every set, and the author's index.
    expect((await jsonRequest(t.app, 'DELETE', `/posts/${p3.id}`, undefined, bob.auth)).status).toBe(200);
    expect(await members('blue')).toEqual([p2.id]);
    expect(await members('green')).toEqual([p1.id]);
    expect(await t.redis.exists(k.postTags(p3.id))).toBe(0);
    expect(await t.redis.zscore(k.userPosts(bob.id), String(p3.id))).toBeNull();
    expect(ids(await page('/posts?tags=green,blue&tagMode=any'))).toEqual([p2.id, p1.id]);

    // A tag nobody uses any more has no set left, and the registry forgets it.
    expect((await jsonRequest(t.app, 'PUT', `/posts/${p1.id}`, { tags: [] }, alice.auth)).status).toBe(200);
    expect(await t.redis.exists(k.tagPosts('red'), k.tagPosts('green'))).toBe(0);
    expect(await t.redis.sismember(k.indexedTags(), 'red')).toBe(0);
    expect(ids(await page('/posts?tags=red,green&tagMode=any'))).toEqual([]);
  });

  it('paginates a tag query newest first, with the total', async () => {
    const made: PostJson[] = [];
    for (let i = 0; i < 5; i++) made.push(await createPost(t, alice.auth, { title: `p${i}`, content: 'c', tags: ['paged'] }));
    const newest = made.map((p) => p.id).reverse();
    const first = await page('/posts?tags=paged&limit=2');
    const third = await page('/posts?tags=paged&limit=2&page=3');
    expect({ ids: ids(first), total: first.total, page: first.page, limit: first.limit }).toEqual({ ids: newest.slice(0, 2), total: 5, page: 1, limit: 2 });
    expect(ids(third)).toEqual(newest.slice(4));
  });
});

describe('list pages', () => {
  it('are cached under the list version; one INCR after a write makes every page unreachable at once (no key is scanned or deleted)', async () => {
    const k = t.deps.keys;
    const gen = t.services.posts.internals.generation.current()!;
    const a = await page('/posts?limit=3');
    const b = await page('/posts?limit=3');
    expect([a.source, b.source]).toEqual(['database', 'cache']);
    const version = Number(await t.redis.get(k.postListVersion()));
    const pageKey = k.postListPage(gen, version, 'all:p1:l3');
    expect(await t.redis.exists(pageKey)).toBe(1);
    const ttl = await t.redis.pttl(pageKey);
    expect(ttl).toBeGreaterThan(0.9 * 3600_000 - 5000);
    expect(ttl).toBeLessThanOrEqual(1.1 * 3600_000);

    const post = await createPost(t, bob.auth, { title: 'fresh', content: 'c' });
    expect(Number(await t.redis.get(k.postListVersion()))).toBe(version + 1);
    expect(await t.redis.exists(pageKey)).toBe(1); // still there, unreachable, expiring by its TTL
    const c = await page('/posts?limit=3');
    expect(c.source).toBe('database');
    expect(ids(c)[0]).toBe(post.id);
    expect(c.total).toBe(a.total + 1);
    expect((await page('/posts?limit=3')).source).toBe('cache');
  });

  it("GET /users/:id/posts: the author's posts newest first from the author index; 404 for an unknown user", async () => {
    const carol = await author(t, 'carol@example.com');
    const mine = [];
    for (let i = 0; i < 3; i++) mine.push((await createPost(t, carol.auth, { title: `c${i}`, content: 'c' })).id);
    await createPost(t, alice.auth, { title: 'not carol', content: 'c' });
    const all = await page(`/users/${carol.id}/posts`);
    expect({ ids: ids(all), total: all.total }).toEqual({ ids: mine.reverse(), total: 3 });
    expect(ids(await page(`/users/${carol.id}/posts?limit=1&page=2`))).toEqual([mine[1]]);
    expect(await t.redis.zrevrange(t.deps.keys.userPosts(carol.id), 0, -1)).toEqual(mine.map(String));
    const unknown = await getJson(t, '/users/999999/posts');
    expect(unknown.status).toBe(404);
    expect(errorResponseSchema.parse(unknown.body).error.message).toBe('User 999999 not found');
  });
});

describe('the negative cache', () => {
  it('caches "no such post" briefly, and creating that id drops it', async () => {
    const [row] = await t.db.query<{ next: number }>('select coalesce(max(id), 0) + 1 as next from posts');
    const next = row!.next;
    expect((await getJson(t, `/posts/${next}`)).status).toBe(404);
    const gen = t.services.posts.internals.generation.current()!;
    const entry = t.deps.keys.postEntry(gen, next);
    expect(await t.redis.get(entry)).toMatch(/^\d+\|null$/);
    const ttl = await t.redis.pttl(entry);
    expect(ttl).toBeGreaterThan(25_000);
    expect(ttl).toBeLessThanOrEqual(30_000);
    expect((await getJson(t, `/posts/${next}`)).status).toBe(404); // served by the negative entry

    const post = await createPost(t, alice.auth, { title: 'now it exists', content: 'c' });
    expect(post.id).toBe(next);
    expect((await getJson(t, `/posts/${next}`)).body).toEqual({ source: 'database', data: post });
  });
});

describe('tRPC posts.*', () => {
  it('the same operations with the same schemas', async () => {
    const ctx = (session: Awaited<ReturnType<typeof t.services.auth.sessions.resolve>>) =>
      createCaller(createContextInner(t.deps, t.services, { requestId: 'r', log: t.deps.logger, session, clientIp: '127.0.0.1', userAgent: '' }));
    const session = await t.services.auth.sessions.resolve(parseSessionToken(alice.token)!);
    const api = ctx(session);
    const created = await api.posts.create({ title: 'via tRPC', content: 'typed', tags: ['trpc'] });
    expect(await api.posts.get({ id: created.id })).toEqual({ source: 'database', data: created });
    const updated = await api.posts.update({ id: created.id, patch: { title: 'changed' } });
    expect(updated.title).toBe('changed');
    expect((await api.posts.list({ tags: ['trpc'] })).data.map((p) => p.id)).toEqual([created.id]);
    expect((await api.posts.byUser({ id: alice.id, limit: 1 })).data[0]?.id).toBe(created.id);
    expect(await api.posts.views({ id: created.id })).toEqual({ postId: created.id, views: 1 });
    await expect(ctx(null).posts.create({ title: 'x', content: 'y' })).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    await expect(api.posts.create({ title: '', content: 'y' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(await api.posts.delete({ id: created.id })).toEqual({ message: 'Post deleted successfully' });
  });
});
