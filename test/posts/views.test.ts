import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { hourEpoch, TRENDING_BUCKET_TTL_MS } from '../../server/redis/keys.ts';
import { createTestApp, createTestDb, jsonRequest, type TestApp } from '../helpers/app.ts';
import { sample, scrape } from '../helpers/metrics.ts';
import { watchRedis } from '../helpers/monitor.ts';
import { waitFor } from '../helpers/wait.ts';
import { author, createPost, getJson } from './helpers.ts';

let t: TestApp;
let writer: Awaited<ReturnType<typeof author>>;
beforeAll(async () => {
  t = await createTestApp();
  writer = await author(t, 'viewed@example.com');
});
afterAll(() => t.close());

async function views(id: number): Promise<number> {
  const { status, body } = await getJson<{ postId: number; views: number }>(t, `/posts/${id}/views`);
  expect(status).toBe(200);
  expect(body.postId).toBe(id);
  return body.views;
}
const view = async (id: number, times = 1) => {
  for (let i = 0; i < times; i++) expect((await jsonRequest(t.app, 'GET', `/posts/${id}`)).status).toBe(200);
};
const sqlViews = async (id: number) => Number((await t.db.query<{ views: number }>('select views from posts where id = $1', [id]))[0]?.views);
const store = () => t.services.posts.internals.views;

describe('recording a view', () => {
  it('increments the pending counter and the hour\'s trending bucket in one script call, coalesced per post', async () => {
    const post = await createPost(t, writer.auth, { title: 'watched', content: 'c' });
    await view(post.id); // cached now, and one view buffered
    await t.services.posts.internals.recorder.send();

    const commands: string[][] = [];
    // What the app sent; MONITOR also lists the commands a script runs, with source "lua".
    const monitor = await watchRedis(inject('redisUrl'), ({ args, source }) => {
      if (source !== 'lua' && args.some((a) => a.startsWith(t.config.REDIS_KEY_PREFIX))) commands.push(args);
    });
    try {
      // Three concurrent reads: their views are buffered together and leave as one call.
      await Promise.all([view(post.id), view(post.id), view(post.id)]);
      await t.services.posts.internals.recorder.send();
      await monitor.caughtUp(t.redis);
    } finally {
      monitor.stop();
    }
    const k = t.deps.keys;
    const touchingViews = commands.filter((c) => c.includes(k.viewsPending()));
    // EVALSHA <sha> 3 <pending> <post bucket> <author bucket> <ttl> <post id> <author id> <views>:
    // the counters and both leaderboards, one call, never HINCRBY/ZINCRBY apart.
    expect(touchingViews).toHaveLength(1);
    expect(touchingViews[0]![0]?.toLowerCase()).toBe('evalsha');
    const hour = hourEpoch(Date.now());
    expect(touchingViews[0]!.slice(2)).toEqual([
      '3',
      k.viewsPending(),
      k.trendingBucket(hour),
      k.authorBucket(hour),
      String(TRENDING_BUCKET_TTL_MS),
      String(post.id),
      String(writer.id),
      '3',
    ]);
    expect(commands.some((c) => ['hincrby', 'zincrby'].includes(c[0]!.toLowerCase()))).toBe(false);

    expect(Number(await t.redis.hget(k.viewsPending(), String(post.id)))).toBe(4);
    const bucket = k.trendingBucket(hourEpoch(Date.now()));
    expect(Number(await t.redis.zscore(bucket, String(post.id)))).toBe(4);
    const ttl = await t.redis.pttl(bucket);
    expect(ttl).toBeGreaterThan(TRENDING_BUCKET_TTL_MS - 60_000);
    expect(ttl).toBeLessThanOrEqual(TRENDING_BUCKET_TTL_MS);
    const authors = k.authorBucket(hourEpoch(Date.now()));
    expect(Number(await t.redis.zscore(authors, String(writer.id)))).toBe(4);
    expect(await t.redis.pttl(authors)).toBeGreaterThan(TRENDING_BUCKET_TTL_MS - 60_000);
    // HEAD is not a view; a missing post is not either.
    expect((await t.app.request(`/posts/${post.id}`, { method: 'HEAD' })).status).toBe(200);
    expect((await jsonRequest(t.app, 'GET', '/posts/987654')).status).toBe(404);
    expect(await views(post.id)).toBe(4);
  });
});

describe('unique visitors', () => {
  it("each distinct viewer's PFADD is issued with the view counters, in the same tick (no write of its own)", async () => {
    const post = await createPost(t, writer.auth, { title: 'visited', content: 'c' });
    await view(post.id); // cached now
    await t.services.posts.internals.recorder.send();
    const visitors = () => t.services.analytics.post(post.id).then((p) => p.uniqueVisitors.today);
    const before = await visitors();

    // Which unique-visitor commands one send issues before it yields (the same tick as its counters'
    // script): all go through the connection's auto-pipeline, which writes what a tick issued at once.
    const issued: string[] = [];
    const spy = t.redis as unknown as Record<string, (...args: unknown[]) => unknown>;
    const originals = Object.fromEntries(['pfadd', 'pexpire'].map((name) => [name, spy[name]!]));
    for (const [name, original] of Object.entries(originals)) {
      spy[name] = (...args: unknown[]) => (issued.push(name), original.apply(t.redis, args));
    }
    try {
      // Concurrent reads: every lookup (and its sendAlong) runs before any view is buffered.
      const agents = ['agent-a', 'agent-a', 'agent-b'];
      await Promise.all(agents.map((agent) => jsonRequest(t.app, 'GET', `/posts/${post.id}`, undefined, { 'user-agent': agent })));
      issued.length = 0;
      const sending = t.services.posts.internals.recorder.send();
      const inThatTick = [...issued];
      await sending;
      // Two distinct visitors (agent-a twice): a PFADD and a PEXPIRE each.
      expect(inThatTick).toEqual(['pfadd', 'pexpire', 'pfadd', 'pexpire']);
      expect(t.redis.options.enableAutoPipelining).toBe(true);
    } finally {
      Object.assign(spy, originals);
    }
    expect(await visitors()).toBe(before + 2);
  });
});

describe('views = durable total + unflushed delta', () => {
  it('counts before, during and after a flush, and the flush moves the delta to SQL', async () => {
    const post = await createPost(t, writer.auth, { title: 'counted', content: 'c' });
    await view(post.id, 3);
    expect(await views(post.id)).toBe(3); // buffered/pending only
    expect(await sqlViews(post.id)).toBe(0);

    await store().flush();
    expect(await sqlViews(post.id)).toBe(3);
    expect(await t.redis.hget(t.deps.keys.viewsPending(), String(post.id))).toBeNull();
    expect(await views(post.id)).toBe(3);

    await view(post.id, 2);
    expect(await views(post.id)).toBe(5);
    await store().flush();
    expect(await sqlViews(post.id)).toBe(5);
  });

  it('a crash between the SQL commit and deleting the batch counts nothing twice', async () => {
    const post = await createPost(t, writer.auth, { title: 'crashy', content: 'c' });
    await view(post.id, 4);
    await t.services.posts.internals.recorder.send();

    // Steps 1 and 2 of a flush, then the flusher "dies" before step 3 (dropping the batch).
    const seq = await store().claim();
    expect(seq).toBeGreaterThan(0);
    expect(await store().apply(seq)).toBe(true);
    expect(await sqlViews(post.id)).toBe(4);
    expect(await t.redis.exists(t.deps.keys.viewsFlushing())).toBe(1); // the leftover batch
    expect(await views(post.id)).toBe(4); // SQL has the batch: the leftover is not added again

    await view(post.id, 1);
    // The next flush re-applies the leftover (SQL ignores it), then flushes the new view.
    await store().flush();
    expect(await sqlViews(post.id)).toBe(5);
    expect(await t.redis.exists(t.deps.keys.viewsFlushing())).toBe(0);
    expect(await views(post.id)).toBe(5);
    const flushes = await t.db.query<{ seq: string | number }>('select seq from view_flushes order by seq');
    expect(flushes.map((f) => Number(f.seq))).toContain(seq);
    expect(await store().apply(seq)).toBe(false); // and applying it yet again is refused
    expect(await sqlViews(post.id)).toBe(5);
  });

  it('after Redis lost its batch counter, new batch numbers continue above the applied ones', async () => {
    const post = await createPost(t, writer.auth, { title: 'renumbered', content: 'c' });
    const applied = Number((await t.db.query<{ m: number }>('select coalesce(max(seq), 0) as m from view_flushes'))[0]?.m);
    await t.redis.del(t.deps.keys.viewsBatchSeq());
    await view(post.id, 2);
    await store().flush();
    expect(await sqlViews(post.id)).toBe(2);
    expect(Number(await t.redis.get(t.deps.keys.viewsBatchSeq()))).toBe(applied + 1);
  });

  it('the unflushed backlog is a gauge on /metrics', async () => {
    const post = await createPost(t, writer.auth, { title: 'backlog', content: 'c' });
    await store().flush();
    await view(post.id, 3);
    await t.services.posts.internals.recorder.send(); // the buffer's own timer may not have fired yet
    expect(sample(await scrape(t.app), 'blog_api_worker_backlog_items', { worker: 'post-views' })).toBe(3);
    await store().flush();
    expect(sample(await scrape(t.app), 'blog_api_worker_backlog_items', { worker: 'post-views' })).toBe(0);
  });
});

describe('the flush task', () => {
  it('runs every VIEW_FLUSH_INTERVAL_MS once started, and flushes what is left when stopped', async () => {
    const db = await createTestDb();
    const app = await createTestApp({ db, env: { VIEW_FLUSH_INTERVAL_MS: '100' } });
    let open = true;
    try {
      const who = await author(app, 'flushed@example.com');
      const post = await createPost(app, who.auth, { title: 'background', content: 'c' });
      app.background.forEach((task) => task.start());
      for (let i = 0; i < 3; i++) expect((await jsonRequest(app.app, 'GET', `/posts/${post.id}`)).status).toBe(200);
      const durable = async () => Number((await db.query<{ views: number }>('select views from posts where id = $1', [post.id]))[0]?.views);
      await waitFor(async () => (await durable()) >= 3, { timeoutMs: 3000, what: 'the flush task has written the 3 views to SQL' });
      // Views right before shutdown are not lost: stopping flushes them.
      for (let i = 0; i < 2; i++) expect((await jsonRequest(app.app, 'GET', `/posts/${post.id}`)).status).toBe(200);
      await app.close();
      open = false;
      expect(await durable()).toBe(5);
    } finally {
      if (open) await app.close();
      await db.close();
    }
  });
});

