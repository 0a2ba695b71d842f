import type { RedisClient } from '../../redis/client.ts';
import { activityItemSchema, type ActivityItem } from '../../../shared/analytics.ts';
import type { AppEvent } from '../../../shared/events.ts';
import type { Keys } from '../../redis/keys.ts';
import { ACTIVITY_MAX, ANALYTICS_TTL_MS, streamIdTime } from './calendar.ts';

/**
 * The activity entry an event makes, and whose list it goes to: the user who acted (who logged
 * in; the author who created, edited or deleted a post). Null for events that name nobody who
 * acted: `post.viewed` carries the post's author, not the viewer, and `trending.changed` no one.
 * The same event always makes the same string (the stream id is in it), which is what lets
 * activity-push-1.lua skip an event delivered twice.
 */
export function activityEntry(id: string, event: AppEvent): { userId: number; entry: string } | null {
  const at = new Date(streamIdTime(id)).toISOString();
  let item: ActivityItem;
  let userId: number;
  switch (event.type) {
    case 'user.login':
      item = { id, type: event.type, at };
      userId = event.userId;
      break;
    case 'post.created':
    case 'post.updated':
      item = { id, type: event.type, at, postId: event.postId, title: event.title };
      userId = event.authorId;
      break;
    case 'post.deleted':
      item = { id, type: event.type, at, postId: event.postId };
      userId = event.authorId;
      break;
    default:
      return null;
  }
  return { userId, entry: JSON.stringify(item) };
}

/** Adds an entry to the user's list (LPUSH + LTRIM to 100, TTL 30 days) unless it is already there. */
export function pushActivity(redis: RedisClient, keys: Keys, userId: number, entry: string): Promise<0 | 1> {
  return redis.activityPush(keys.activity(userId), keys.userGone(userId), entry, ACTIVITY_MAX, ANALYTICS_TTL_MS.activity);
}

/** Compares stream ids (`<ms>-<seq>`) in time order. */
function compareStreamIds(a: string, b: string): number {
  const [aMs, aSeq] = a.split('-').map(Number) as [number, number];
  const [bMs, bSeq] = b.split('-').map(Number) as [number, number];
  return aMs - bMs || aSeq - bSeq;
}

/**
 * The user's `limit` most recent entries, newest first. The list is in the order entries were
 * written; an event claimed from a dead consumer is written late, so the entries are sorted by
 * their event's stream id before the newest are taken (the list holds at most 100).
 */
export async function recentActivity(redis: RedisClient, keys: Keys, userId: number, limit: number): Promise<ActivityItem[]> {
  const raw = await redis.lrange(keys.activity(userId), 0, ACTIVITY_MAX - 1);
  const items = raw.flatMap((text) => {
    const parsed = activityItemSchema.safeParse(JSON.parse(text));
    return parsed.success ? [parsed.data] : [];
  });
  return items.sort((a, b) => compareStreamIds(b.id, a.id)).slice(0, limit);
}
