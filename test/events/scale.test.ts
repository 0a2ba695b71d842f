import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../server/logger.ts';
import { closeRedis, createRedis } from '../../server/redis/client.ts';
import { startProcessRedis, type TestRedis } from '../helpers/redis.ts';
import { waitFor } from '../helpers/wait.ts';
import { client, postCreated, sseReader, startLiveApp, subscribePosts, type LiveApp } from './helpers.ts';

const TRPC_SUBSCRIBERS = 400;
const PLAIN_SUBSCRIBERS = 100;
const TOTAL = TRPC_SUBSCRIBERS + PLAIN_SUBSCRIBERS;

// A private Redis, so CLIENT LIST shows this app's connections and nobody else's.
let redis: TestRedis;
let observer: Redis;
let t: LiveApp;
beforeAll(async () => {
  redis = await startProcessRedis();
  observer = createRedis({ url: redis.url, commandTimeoutMs: 2000, logger: createLogger('silent'), name: 'test-observer' });
  await observer.connect();
  t = await startLiveApp({ redisUrl: redis.url, env: { EVENTS_MAX_SUBSCRIBERS: String(TOTAL), EVENTS_MAX_STREAMS_PER_CLIENT: String(TOTAL) } });
});
afterAll(async () => {
  await t?.close();
  await closeRedis(observer);
  await redis?.stop();
});

/** The app's connections by name, as Redis lists them. */
async function appConnections(): Promise<Record<string, number>> {
  const list = (await observer.client('LIST')) as string;
  const names = list.trim().split('\n').map((line) => /(?:^| )name=(\S*)/.exec(line)?.[1] ?? '');
  const counts: Record<string, number> = {};
  for (const name of names) if (name !== 'test-observer') counts[name] = (counts[name] ?? 0) + 1;
  return counts;
}
const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe(`${TOTAL} subscribers on one instance`, () => {
  it('share one reading connection, all get each event, and leave no listener or timer behind', async () => {
    // One command connection, the pub/sub connection, the one live reader, and the analytics worker's
    // reader (the background readers connect a moment after start-up).
    const names = ['blog-api', 'blog-api:sub', 'blog-api:events', 'blog-api:analytics'];
    const idle = await waitFor(async () => {
      const connections = await appConnections();
      return names.every((name) => name in connections) && connections;
    }, { what: 'the background readers have connected' });
    expect(idle).toEqual({ 'blog-api': 1, 'blog-api:sub': 1, 'blog-api:events': 1, 'blog-api:analytics': 1 });
    const timersBefore = timers();

    const trpc = Array.from({ length: TRPC_SUBSCRIBERS }, () => subscribePosts(client(t.url)));
    const plain = await Promise.all(
      Array.from({ length: PLAIN_SUBSCRIBERS }, async () => sseReader((await fetch(`${t.url}/events?topics=posts`)).body!)),
    );
    await waitFor(() => t.services.events.stats().subscribers === TOTAL, { timeoutMs: 20_000, what: `${TOTAL} subscribers are connected` });
    expect(t.services.events.stats()).toMatchObject({ listeners: { posts: TOTAL, trending: 0 }, heartbeat: { listeners: PLAIN_SUBSCRIBERS, timer: true } });
    expect(await appConnections()).toEqual(idle);

    const id = await t.services.events.publish(postCreated(1));
    await waitFor(() => trpc.every((s) => s.received.length === 1), { timeoutMs: 10_000, what: 'every tRPC subscriber has the event' });
    for (const s of trpc) expect(s.received).toEqual([{ id, data: postCreated(1) }]);
    for (const reader of plain) {
      expect(await reader.next()).toEqual({ retry: '1000' });
      expect(await reader.next()).toMatchObject({ id, event: 'post.created' });
    }
    expect(await appConnections()).toEqual(idle);

    trpc.forEach((s) => s.unsubscribe());
    await Promise.all(plain.map((reader) => reader.cancel()));
    await waitFor(() => t.services.events.stats().subscribers === 0, { timeoutMs: 20_000, what: 'every subscriber is forgotten' });
    expect(t.services.events.stats()).toMatchObject({
      subscribers: 0,
      listeners: { posts: 0, trending: 0 },
      timers: 0,
      heartbeat: { listeners: 0, timer: false },
    });
    // tRPC's per-stream ping timers and the streams' own are gone too.
    await waitFor(() => timers() <= timersBefore, { timeoutMs: 5000, what: `the timers are back to ${timersBefore}` });
    expect(await appConnections()).toEqual(idle);
  }, 60_000);
});
