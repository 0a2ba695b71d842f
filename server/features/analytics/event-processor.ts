import type { Redis } from 'ioredis';
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
  redis: Redis;
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
 * The analytics side of the event stream: for each entry, the activity entry of whoever acted,
 * then the count in the event's hour together with the XACK.
 *
 * Exactly once: counting and acknowledging are one script (event-count-2.lua), which counts only
 * when its XACK took the entry off the pending list. Activity is written first and is idempotent
 * (activity-push-1.lua finds the entry already there), so a consumer that dies between the two
 * leaves the entry pending, and whoever claims it writes no second activity entry and counts it
 * once. Counts go to the hour of the entry's stream id (when the event happened), not of its
 * processing, so a late or reclaimed entry lands in its own hour.
 */
export function createEventProcessor({ redis, keys, group, logger }: EventProcessorOptions) {
  const stats: EventProcessorStats = { counted: 0, alreadyCounted: 0, invalid: 0 };

  /** Handles a batch; entries it could not finish stay pending, and the first failure is thrown after the rest are done. */
  async function handle(entries: StreamEntry[]): Promise<void> {
    let failure: unknown;
    const fail = (err: unknown) => {
      failure ??= err;
      return false;
    };
    const events = entries.map((entry) => ({ id: entry.id, event: parseEntry(entry) }));

    // All commands of a step go out together (auto-pipelining): two round trips per batch.
    const activityWritten = await Promise.all(
      events.map(({ id, event }) => {
        const activity = event && activityEntry(id, event);
        return activity ? pushActivity(redis, keys, activity.userId, activity.entry).then(() => true, fail) : true;
      }),
    );
    await Promise.all(
      events.map(async ({ id, event }, i) => {
        if (!activityWritten[i]) return;
        const hourCounts = keys.eventCounts(hourOf(streamIdTime(id)));
        try {
          const counted = await redis.eventCount(keys.events(), hourCounts, group, id, event?.type ?? 'invalid', ANALYTICS_TTL_MS.eventCounts);
          if (counted === 0) {
            stats.alreadyCounted++;
            return;
          }
          stats.counted++;
          if (!event) {
            stats.invalid++;
            logger.warn('stream entry is not a valid event; counted as invalid', { id, type: entries[i]!.fields.type });
          }
        } catch (err) {
          fail(err);
        }
      }),
    );
    if (failure !== undefined) throw failure;
  }

  return { handle, stats: (): EventProcessorStats => ({ ...stats }) };
}
