import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { meSchema } from '../../shared/auth.ts';
import { createKeys } from '../../server/redis/keys.ts';
import { waitFor } from '../helpers/wait.ts';
import { call, createPost, logIn, signUp } from './api.ts';
import { recordFigures } from './figures.ts';
import { scanAll, startStack, type Stack } from './stack.ts';

// Redis with a low maxmemory and the app's eviction policy (volatile-ttl, server/redis/local-server.ts).
// Sessions are created first and then left alone (to LRU they are the oldest keys); then the post
// cache is filled far past maxmemory through both instances. Cache entries must be evicted, and
// every session must still work.
const MAX_MEMORY = '8mb';
const POSTS = 160;
const CONTENT_BYTES = 60_000; // ~9.6 MB of cached posts (and each instance's read caches them once)
const keys = createKeys('blog:');

let stack: Stack | undefined;
beforeAll(async () => {
  stack = await startStack({ redis: { maxMemory: MAX_MEMORY } });
}, 90_000);
afterAll(async () => {
  await stack?.stop();
}, 60_000);

/**
 * Names of the keys Redis evicts, from its keyspace notifications (`notify-keyspace-events Ee`,
 * channel `__keyevent@0__:evicted`), so the test sees exactly what went, not only how many.
 */
async function watchEvictions(): Promise<{ evicted: string[]; stop(): void }> {
  await stack!.probe.config('SET', 'notify-keyspace-events', 'Ee');
  const subscriber = stack!.probe.duplicate();
  const evicted: string[] = [];
  subscriber.on('message', (_channel: string, key: string) => evicted.push(key));
  await subscriber.subscribe('__keyevent@0__:evicted');
  return { evicted, stop: () => subscriber.disconnect() };
}

/** What kind of key an evicted name is, for the figures. */
function kindOf(key: string): string {
  const rest = key.slice('blog:'.length);
  if (rest.startsWith('post:')) return 'post cache entry';
  if (rest.startsWith('posts:list:')) return 'list page';
  if (rest.startsWith('sess:')) return 'session';
  if (rest.startsWith('sessions:')) return 'session index';
  if (rest.startsWith('roles:')) return 'roles';
  return rest.split(':')[0]!;
}

const info = async (section: string, field: string) => {
  const text = await stack!.probe.info(section);
  return Number(new RegExp(`^${field}:(\\d+)`, 'm').exec(text)?.[1]);
};

describe(`memory pressure (maxmemory ${MAX_MEMORY}, volatile-ttl)`, () => {
  it('evicts cache entries and keeps every session (where volatile-lru evicts them)', async () => {
    const { instances, probe } = stack!;
    const [a, b] = instances.map((i) => i.url) as [string, string];
    expect(await probe.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'volatile-ttl']);
    // The app's policy: neither instance warned about it at start-up (server/redis/eviction-check.ts).
    for (const instance of instances) expect(instance.output()).not.toContain('redis evicts with');

    const sessions: { email: string; token: string }[] = [];
    for (const n of [1, 2, 3, 4]) {
      const email = `memory-${n}@example.com`;
      sessions.push({ email, token: await signUp(n % 2 ? a : b, email) });
      for (let i = 0; i < 4; i++) sessions.push({ email, token: await logIn(i % 2 ? a : b, email) });
    }
    expect(await scanAll(stack!.probe, 'blog:sess:*')).toHaveLength(sessions.length);
    const author = sessions[0]!.token;
    const authorId = meSchema.parse((await call(a, 'GET', '/auth/me', undefined, author)).body).user.id;

    const watch = await watchEvictions();
    // Fill the cache: large posts, each read through both instances (a miss fills its entry).
    const content = 'x'.repeat(CONTENT_BYTES);
    const ids: number[] = [];
    for (let i = 0; i < POSTS; i += 8) {
      const batch = await Promise.all(Array.from({ length: 8 }, (_, j) => createPost(i % 16 ? a : b, author, `large ${i + j}`, content)));
      ids.push(...batch);
      await Promise.all(batch.flatMap((id) => [a, b].map((base) => call(base, 'GET', `/posts/${id}`))));
    }

    const evicted = await info('stats', 'evicted_keys');
    await waitFor(() => watch.evicted.length >= evicted, { timeoutMs: 5000, what: 'a notification has come for every eviction' });
    watch.stop();
    const evictedKinds: Record<string, number> = {};
    for (const key of watch.evicted) evictedKinds[kindOf(key)] = (evictedKinds[kindOf(key)] ?? 0) + 1;
    // Nothing a session needs (its record, the user's session index, the roles the touch reads).
    expect([evictedKinds.session, evictedKinds['session index'], evictedKinds.roles]).toEqual([undefined, undefined, undefined]);
    const usedMemory = await info('memory', 'used_memory');
    const maxMemory = await info('memory', 'maxmemory');
    const cacheEntries = (await scanAll(stack!.probe, 'blog:post:{p:*}:g*')).length;
    expect(evicted).toBeGreaterThan(0);
    // Every post was read, so each had an entry; those missing were evicted (their TTL is an hour).
    expect(cacheEntries).toBeLessThan(ids.length);
    expect(evicted).toBeGreaterThanOrEqual(ids.length - cacheEntries);

    // Every session is still there and resolves, on both instances, as its user.
    expect(await scanAll(stack!.probe, 'blog:sess:*')).toHaveLength(sessions.length);
    for (const { email, token } of sessions) {
      for (const base of [a, b]) {
        const me = await call(base, 'GET', '/auth/me', undefined, token);
        expect(me.status, `${email} on ${base}: ${JSON.stringify(me.body)}`).toBe(200);
        expect(meSchema.parse(me.body).user.email).toBe(email);
      }
    }
    // Keys without a TTL are never candidates: the tag/author index and the event stream are whole.
    expect(await probe.exists(keys.postIndexReady())).toBe(1);
    expect(await probe.zcard(keys.userPosts(authorId))).toBe(ids.length);
    expect(await probe.xlen(keys.events())).toBeGreaterThanOrEqual(ids.length);
    // The posts are still served (from SQL when their entry was evicted).
    for (const base of [a, b]) expect((await call(base, 'GET', `/posts/${ids[0]}`)).status).toBe(200);

    // For comparison, the policy docker-compose.yml had before: volatile-lru. The sessions have not
    // been used since the check above; the posts are read again (misses refill their entries).
    await probe.config('SET', 'maxmemory-policy', 'volatile-lru');
    const lru = await watchEvictions();
    for (let i = 0; i < ids.length; i += 16) await Promise.all(ids.slice(i, i + 16).map((id) => call(a, 'GET', `/posts/${id}`)));
    const sessionsLeftUnderLru = (await scanAll(stack!.probe, 'blog:sess:*')).length;
    lru.stop();
    const lruKinds: Record<string, number> = {};
    for (const key of lru.evicted) lruKinds[kindOf(key)] = (lruKinds[kindOf(key)] ?? 0) + 1;
    // Idle sessions are the least recently used keys with a TTL: LRU evicts them with the cache.
    expect(sessionsLeftUnderLru, JSON.stringify(lruKinds)).toBeLessThan(sessions.length);

    await recordFigures('memory-pressure', {
      maxmemory: maxMemory,
      usedMemory,
      postsCachedThroughTwoInstances: ids.length,
      cacheEntryBytes: CONTENT_BYTES,
      evictedKeys: evicted,
      evictedByKind: evictedKinds,
      cacheEntriesLeft: cacheEntries,
      sessions: sessions.length,
      sessionsValidAfter: sessions.length,
      volatileLruForComparison: { sessionsLeft: sessionsLeftUnderLru, evictedByKind: lruKinds },
    });
  }, 120_000);
});
