import type { RedisClient } from '../../redis/client.ts';
import { appEventSchema, type AppEvent } from '../../../shared/events.ts';
import type { Logger } from '../../logger.ts';
import type { Keys } from '../../redis/keys.ts';
import { activityEntry, pushActivity } from './activity.ts';
import { ANALYTICS_TTL_MS, hourOf, streamIdTime } from './calendar.ts';
import type { StreamEntry } from './stream-consumer.ts';

/** What the processor did since it started (this instance). */
export interface EventProcessorStats {
  /** Entries counted and acknowledged by this instance. */
  counted: number;
  /** Entries handled again after another consumer had counted them: acknowledged before, not counted twice. */
  alreadyCounted: number;
  /** Entries that are not a valid event: counted under `invalid`. */
  invalid: number;
}

export interface EventProcessorOptions {
  redis: RedisClient;
  keys: Keys;
  group: string;
  logger: Logger;
}

/** The event in a stream entry (`type` and `data` = the event's JSON), or null when it is not one. */
function parseEntry({ fields }: StreamEntry): AppEvent | null {
  try {
    const parsed = appEventSchema.safeParse(JSON.parse(fields.data ?? ''));
    return parsed.success && parsed.data.type === fields.type ? parsed.data : null;
  } catch {
    return null;
  }
}

/**
 * event-count.lua's arguments: numkeys, the stream and each hour's counts hash, the group, the TTL,
 * then (id, field, amount, key index) per entry. A `post.viewed` entry counts for the views it
 * stands for, so the hour's `post.viewed` is its views, not its entries.
 */
export function countArguments(keys: Keys, group: string, entries: { id: string; event: AppEvent | null }[]): [number, ...(string | number)[]] {
  const hashes: string[] = [];
  const perEntry = entries.flatMap(({ id, event }) => {
    const hash = keys.eventCounts(hourOf(streamIdTime(id)));
    let index = hashes.indexOf(hash);
    if (index < 0) index = hashes.push(hash) - 1;
    return [id, event?.type ?? 'invalid', event?.type === 'post.viewed' ? event.views : 1, index + 2];
  });
  return [1 + hashes.length, keys.events(), ...hashes, group, ANALYTICS_TTL_MS.eventCounts, ...perEntry];
}

/**
 * The analytics side of the event stream: for each entry, the activity entry of whoever acted,
 * then the count in the event's hour together with the XACK.
 *
 * Exactly once: counting and acknowledging are one script (event-count.lua, one call per batch),
 * which counts an entry only when its XACK took it off the pending list. Activity is written
 * first and is idempotent (activity-push-1.lua finds the entry already there), so a consumer that
 * dies between the two leaves the entry pending, and whoever claims it writes no second activity
 * entry and counts it once. Counts go to the hour of the entry's stream id (when the event
 * happened), not of its processing, so a late or reclaimed entry lands in its own hour.
 */
export function createEventProcessor({ redis, keys, group, logger }: EventProcessorOptions) {
  const stats: EventProcessorStats = { counted: 0, alreadyCounted: 0, invalid: 0 };

  /**
   * Handles a batch. Entries whose activity could not be written are left pending (claimed again
   * later) and the first such failure is thrown once the others are counted; a failure of the
   * count itself leaves the whole batch pending.
   */
  async function handle(entries: StreamEntry[]): Promise<void> {
    const events = entries.map((entry) => ({ id: entry.id, event: parseEntry(entry) }));
    let failure: unknown;
    // Two round trips per batch: every activity write at once (auto-pipelining), then one script
    // call that counts and acknowledges the entries whose activity is written.
    const written = await Promise.all(
      events.map(({ id, event }) => {
        const activity = event && activityEntry(id, event);
        if (!activity) return true;
        return pushActivity(redis, keys, activity.userId, activity.entry).then(
          () => true,
          (err: unknown) => {
            failure ??= err;
            return false;
          },
        );
      }),
    );
    const ready = events.filter((_, i) => written[i]);
    if (ready.length > 0) {
      const acked = await redis.eventCount(...countArguments(keys, group, ready));
      ready.forEach(({ id, event }, i) => {
        if (acked[i] === 0) {
          stats.alreadyCounted++;
          return;
        }
        stats.counted++;
        if (!event) {
          stats.invalid++;
          logger.warn('stream entry is not a valid event; counted as invalid', { id });
        }
      });
    }
    if (failure !== undefined) throw failure;
  }

  return { handle, stats: (): EventProcessorStats => ({ ...stats }) };
}
