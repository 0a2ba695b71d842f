import type { Redis } from 'ioredis';
import type { AppEvent } from '../../shared/events.ts';
import type { Keys } from '../../server/redis/keys.ts';
import type { RedisClient } from '../../server/redis/client.ts';

/**
 * Appends events to the app's stream exactly as the events feature writes them:
 * `XADD <keys.events()> MAXLEN ~ 10000 * type <type> data <json>`, pipelined. Returns their ids.
 */
export async function produce(redis: Redis, keys: Keys, events: AppEvent[]): Promise<string[]> {
  const pipeline = redis.pipeline();
  for (const event of events) pipeline.xadd(keys.events(), 'MAXLEN', '~', 10_000, '*', 'type', event.type, 'data', JSON.stringify(event));
  const replies = (await pipeline.exec()) ?? [];
  return replies.map(([err, id]) => {
    if (err) throw err;
    return id as string;
  });
}

/** The group's pending entries (delivered, not acknowledged), from the XPENDING summary. */
export async function pendingCount(redis: Redis, keys: Keys, group = 'analytics'): Promise<number> {
  const [count] = (await redis.xpending(keys.events(), group)) as [number, ...unknown[]];
  return Number(count);
}

/** Every count in the per-hour hashes of `hours`, summed by type. */
export async function countsByType(redis: RedisClient, keys: Keys, hours: string[]): Promise<Record<string, number>> {
  const totals: Record<string, number> = {};
  for (const hour of hours) {
    for (const [type, n] of Object.entries(await redis.hgetall(keys.eventCounts(hour)))) totals[type] = (totals[type] ?? 0) + Number(n);
  }
  return totals;
}

/**
 * `count` events of every kind, round-robin over users 1..`users`: logins, posts created, updated,
 * deleted and viewed, and every 50th a trending change (which names no user).
 */
export function sampleEvents(count: number, users = 200, offset = 0): AppEvent[] {
  return Array.from({ length: count }, (_, n): AppEvent => {
    const i = n + offset;
    const userId = (i % users) + 1;
    const postId = 1000 + i;
    if (i % 50 === 49) return { type: 'trending.changed', window: '1h', postIds: [postId] };
    switch (i % 5) {
      case 0:
        return { type: 'user.login', userId };
      case 1:
        return { type: 'post.created', postId, authorId: userId, title: `Post ${i}` };
      case 2:
        return { type: 'post.updated', postId, authorId: userId, title: `Post ${i}, edited` };
      case 3:
        return { type: 'post.deleted', postId, authorId: userId };
      default:
        return { type: 'post.viewed', postId, authorId: userId, views: 1 };
    }
  });
}

/** How many events of each type. */
export function tally(events: AppEvent[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of events) out[e.type] = (out[e.type] ?? 0) + 1;
  return out;
}

/** The user who acted in an event (its activity list), or null. */
export function actorOf(event: AppEvent): number | null {
  if (event.type === 'user.login') return event.userId;
  if (event.type === 'post.created' || event.type === 'post.updated' || event.type === 'post.deleted') return event.authorId;
  return null;
}
