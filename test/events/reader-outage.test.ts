import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENTS_CONNECTION_NAME } from '../../server/features/events/events.service.ts';
import { createLogger } from '../../server/logger.ts';
import { closeRedis, createRedis } from '../../server/redis/client.ts';
import { startProcessRedis } from '../helpers/redis.ts';
import { waitFor } from '../helpers/wait.ts';
import { client, postCreated, startLiveApp, subscribePosts, type LiveApp } from './helpers.ts';

// This file kills connections of, stops and restarts its own redis-server (with AOF, so the stream survives).
let redis: Awaited<ReturnType<typeof startProcessRedis>>;
let admin: Redis;
let t: LiveApp;
beforeAll(async () => {
  redis = await startProcessRedis({ appendOnly: true });
  admin = createRedis({ url: redis.url, commandTimeoutMs: 2000, logger: createLogger('silent'), name: 'test-admin' });
  await admin.connect();
  t = await startLiveApp({ redisUrl: redis.url, env: { REDIS_COMMAND_TIMEOUT_MS: '300' } });
});
afterAll(async () => {
  await t?.close();
  await closeRedis(admin);
  await redis?.stop();
});

/** Publishes, retrying while the command connection reconnects (publish fails fast by design). */
function publish(postId: number): Promise<string> {
  return waitFor(() => t.services.events.publish(postCreated(postId)).catch(() => null), { intervalMs: 100, what: `post ${postId}'s event is published` });
}

describe('the live reader across a lost connection', () => {
  it('resumes from the last id it read: every event arrives once, in order', async () => {
    const sub = subscribePosts(client(t.url));
    await waitFor(() => t.services.events.stats().subscribers === 1);
    const ids = [await publish(1), await publish(2)];
    await waitFor(() => sub.received.length === 2);

    // Cut the reader's connection in the middle of its blocking read, then publish while it is away.
    const list = (await admin.client('LIST')) as string;
    const readerId = /id=(\d+) .*name=blog-api:events /.exec(list)?.[1];
    expect(readerId, `a connection named ${EVENTS_CONNECTION_NAME}`).toBeDefined();
    await admin.client('KILL', 'ID', readerId!);
    for (let i = 3; i <= 7; i++) ids.push(await publish(i));
    await waitFor(() => sub.received.length === 7, { timeoutMs: 10_000, what: 'the events published while the reader was cut off arrive' });

    // Redis itself goes away and comes back (the stream survives in its AOF).
    await redis.stop();
    redis = await startProcessRedis({ port: redis.port, dir: redis.dir, appendOnly: true });
    for (let i = 8; i <= 10; i++) ids.push(await publish(i));
    await waitFor(() => sub.received.length === 10, { timeoutMs: 15_000, what: 'the events published after the restart arrive' });

    // A sentinel: nothing was delivered twice (a duplicate would come before it).
    ids.push(await publish(11));
    await waitFor(() => sub.received.length >= 11);
    expect(sub.received.map((r) => r.id)).toEqual(ids);
    expect(sub.errors).toEqual([]);
    expect(t.logs.some((line) => line.includes('live events reader: read failed, retrying'))).toBe(true);
    expect(t.logs.some((line) => line.includes('live events reader resumed'))).toBe(true);
    sub.unsubscribe();
    await waitFor(() => t.services.events.stats().subscribers === 0);
  }, 40_000);

  it('stop() returns at once although the reader is blocked in XREAD, and ends the subscribers', async () => {
    const feed = t.services.events.open('ip:192.0.2.1', ['posts']);
    const next = feed.items().next();
    const started = Date.now();
    await t.services.events.hub.stop();
    expect(Date.now() - started).toBeLessThan(500);
    expect(await next).toEqual({ done: true, value: undefined });
    expect(t.services.events.stats()).toMatchObject({ reading: false, subscribers: 0, timers: 0 });
    expect(() => t.services.events.open('ip:192.0.2.1', ['posts'])).toThrow(/not available/);
    // The admin connection fails fast too: after the restart above it may still be reconnecting.
    await waitFor(() => admin.status === 'ready', { timeoutMs: 10_000, what: 'the admin connection is back' });
    const list = (await admin.client('LIST')) as string;
    expect(list).not.toContain(`name=${EVENTS_CONNECTION_NAME} `);
  });
});
