import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postResultSchema } from '../../shared/posts.ts';
import { waitFor } from '../helpers/wait.ts';
import { call, createPost, health, signUp, timedWait } from './api.ts';
import { countWhere, is5xx, startLoad, statuses, type RunningLoad } from './load.ts';
import { recordFigures } from './figures.ts';
import { postCount, scanAll, startStack, type Stack } from './stack.ts';

// Two API instances on one Redis and one PostgreSQL; Redis is SIGKILLed for 10 s while a separate
// process drives mixed load (reads, lists, writes, logins, authenticated reads) at both.
// Redis runs with AOF fsynced on every write, so what it held before the kill (including the
// cached copy of a post that changes during the outage) is back after the restart: the instances
// must not serve that copy.
const OUTAGE_MS = 10_000;

let stack: Stack | undefined;
let load: RunningLoad | undefined;
beforeAll(async () => {
  stack = await startStack({ redis: { appendOnly: true, extraArgs: ['--appendfsync', 'always'] } });
}, 90_000);
afterAll(async () => {
  load?.kill();
  await stack?.stop();
}, 60_000);

describe('Redis killed (SIGKILL) for 10 s under mixed load', () => {
  it('post reads never fail, acknowledged writes are in SQL, others get 503, both reconnect alone, no stale entry is served', async () => {
    const { instances, db, probe } = stack!;
    const [a, b] = instances.map((i) => i.url) as [string, string];
    const token = await signUp(a, 'writer@example.com');
    const posts = await Promise.all(Array.from({ length: 6 }, (_, i) => createPost(i % 2 ? b : a, token, `post ${i}`)));
    const watched = posts[0]!;
    // Cached on both sides before the outage.
    for (const base of [a, b]) await call(base, 'GET', `/posts/${watched}`);
    expect(postResultSchema.parse((await call(b, 'GET', `/posts/${watched}`)).body).source).toBe('cache');
    const postsBefore = await postCount(db);

    load = await startLoad({
      targets: [a, b],
      token,
      login: { email: 'writer@example.com', password: 'reliability-password' },
      readPostIds: { [a]: posts, [b]: posts },
      mix: { read: 10, list: 2, write: 3, me: 2, login: 0.3 },
      concurrency: 6,
      maxOps: 60_000,
      maxSeconds: 45,
      requestTimeoutMs: 5000,
    });
    // The load is running once its writes land in SQL.
    await waitFor(async () => (await postCount(db)) >= postsBefore + 10, { timeoutMs: 20_000, what: 'writes land under load' });

    const killedAt = performance.now();
    await stack!.stopRedis('SIGKILL');
    const detectMs = await Promise.all([a, b].map((base) => timedWait(async () => (await health(base)) === 'degraded', { timeoutMs: 20_000, what: `${base} reports degraded` })));

    // Behind the app's back: the post changes in SQL while its old copy sits in the (dead) Redis' AOF.
    await db.query(`update posts set title = 'changed during the outage', version = version + 1, updated_at = now() where id = $1`, [watched]);
    await waitFor(() => performance.now() - killedAt >= OUTAGE_MS, { timeoutMs: OUTAGE_MS + 1000, what: 'the outage has lasted 10 s' });
    await stack!.startRedisAgain(); // same port, same AOF
    const restartedAt = performance.now();
    // The old cached copy came back with the AOF: the test would prove nothing without it.
    const stale = await scanAll(probe, `blog:post:{p:${watched}}:g*`);
    const staleValues = await Promise.all(stale.map((k) => probe.get(k)));
    expect(staleValues.some((v) => v?.includes('"post 0"'))).toBe(true);

    const reconnectMs = await Promise.all(
      [a, b].map(async (base) => {
        await waitFor(async () => (await health(base)) === 'ok', { timeoutMs: 20_000, what: `${base} reports ok` });
        return Math.round(performance.now() - restartedAt);
      }),
    );
    // Writes succeed again before the load stops.
    const postsAtRestart = await postCount(db);
    await waitFor(async () => (await postCount(db)) >= postsAtRestart + 10, { timeoutMs: 20_000, what: 'writes land after the restart' });
    const result = await load.stop();

    // No stale entry: each instance serves the post as SQL has it, from SQL or from a new cache entry.
    for (const base of [a, b]) {
      for (let i = 0; i < 2; i++) {
        const res = postResultSchema.parse((await call(base, 'GET', `/posts/${watched}`)).body);
        expect(res.data.title, `${base}, read ${i + 1}`).toBe('changed during the outage');
      }
    }

    // Post reads (one post and lists): not one 5xx, not one hang.
    const readFailures = countWhere(result, (s) => s !== '200', 'read') + countWhere(result, (s) => s !== '200', 'list');
    expect(readFailures, JSON.stringify({ read: statuses(result, 'read'), list: statuses(result, 'list'), errors: result.errors })).toBe(0);
    // Calls that need Redis: 503 with the error shape during the outage, never a 500, never a hang.
    expect(statuses(result, 'write')['503']).toBeGreaterThan(0);
    expect(statuses(result, 'me')['503']).toBeGreaterThan(0);
    expect(countWhere(result, (s) => !['200', '201', '503'].includes(s)), JSON.stringify({ counts: result.counts, errors: result.errors })).toBe(0);
    expect(result.badErrorShape, result.errors.join('\n')).toBe(0);
    // Every acknowledged write is in SQL.
    expect(result.createdPostIds.length).toBe(statuses(result, 'write')['201']);
    const stored = await db.query<{ id: number }>('select id from posts where id = any($1::int[])', [result.createdPostIds]);
    expect(stored.length).toBe(result.createdPostIds.length);

    await recordFigures('redis-killed', {
      outageMs: OUTAGE_MS,
      requests: result.ops,
      seconds: Math.round(result.seconds),
      postRead5xx: countWhere(result, is5xx, 'read') + countWhere(result, is5xx, 'list'),
      postReads: Object.values(statuses(result, 'read')).reduce((x, y) => x + y, 0) + Object.values(statuses(result, 'list')).reduce((x, y) => x + y, 0),
      status500: countWhere(result, (s) => s === '500'),
      hangs: countWhere(result, (s) => s === 'timeout' || s === 'network'),
      writes: statuses(result, 'write'),
      authenticatedReads: statuses(result, 'me'),
      logins: statuses(result, 'login'),
      acknowledgedWritesMissingFromSql: result.createdPostIds.length - stored.length,
      degradedDetectedMs: detectMs,
      reconnectMsAfterRestart: reconnectMs,
      redisRestartMs: Math.round(restartedAt - killedAt),
    });
  }, 120_000);
});
