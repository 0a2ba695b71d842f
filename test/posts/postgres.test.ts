import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { postPageSchema } from '../../shared/posts.ts';
import { createDb, type Db } from '../../server/db/db.ts';
import { migrate } from '../../server/db/migrate.ts';
import { createTestApp, jsonRequest, type TestApp } from '../helpers/app.ts';
import { author, createPost, getJson } from './helpers.ts';

// The same SQL on PostgreSQL as on PGlite (every other posts test): writes, the tag operators
// behind the SQL fallback, the index rebuild's table lock, the view batches' unnest of bigints.
const postgresUrl = inject('postgresUrl');

describe.skipIf(!postgresUrl)('posts on PostgreSQL', () => {
  let db: Db;
  let t: TestApp;
  beforeAll(async () => {
    const admin = await createDb({ url: postgresUrl! });
    const name = `posts_${randomUUID().replaceAll('-', '')}`;
    await admin.query(`create database ${name}`);
    await admin.close();
    db = await createDb({ url: postgresUrl!.replace(/\/postgres$/, `/${name}`) });
    await migrate(db);
    t = await createTestApp({ db });
  });
  afterAll(async () => {
    await t?.close();
    await db?.close();
  });

  const ids = async (path: string) => postPageSchema.parse((await getJson(t, path)).body).data.map((p) => p.id);

  it('creates, updates, lists by tags from SQL and from the rebuilt index, flushes views, deletes', async () => {
    const writer = await author(t, 'pg@example.com');
    const p1 = await createPost(t, writer.auth, { title: 'one', content: 'c', tags: ['a', 'b'], location: { longitude: 13.4, latitude: 52.5 } });
    const p2 = await createPost(t, writer.auth, { title: 'two', content: 'c', tags: ['b'] });
    const put = await jsonRequest(t.app, 'PUT', `/posts/${p1.id}`, { location: null, tags: ['a', 'c'] }, writer.auth);
    expect(await put.json()).toMatchObject({ id: p1.id, title: 'one', tags: ['a', 'c'], location: null });

    // Without the index marker, tag and author queries run in SQL (tags @> / && on the GIN index).
    await t.redis.del(t.deps.keys.postIndexReady());
    expect(await ids('/posts?tags=a,c&limit=5')).toEqual([p1.id]);
    expect(await ids('/posts?tags=b,c&tagMode=any&limit=5')).toEqual([p2.id, p1.id]);
    expect(await ids(`/users/${writer.id}/posts?limit=5`)).toEqual([p2.id, p1.id]);
    await t.services.posts.internals.index.ensureBuilt();
    expect(await t.redis.exists(t.deps.keys.postIndexReady())).toBe(1);
    expect(await ids('/posts?tags=b&limit=6')).toEqual([p2.id]);

    for (let i = 0; i < 3; i++) await jsonRequest(t.app, 'GET', `/posts/${p2.id}`);
    await t.services.posts.internals.views.flush();
    expect((await getJson(t, `/posts/${p2.id}/views`)).body).toEqual({ postId: p2.id, views: 3 });
    expect(await db.query('select views::int as views from posts where id = $1', [p2.id])).toEqual([{ views: 3 }]);

    expect((await jsonRequest(t.app, 'DELETE', `/posts/${p2.id}`, undefined, writer.auth)).status).toBe(200);
    expect((await getJson(t, `/posts/${p2.id}`)).status).toBe(404);
  });
});
