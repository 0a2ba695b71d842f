import type { RedisClient } from '../../redis/client.ts';
import type { DailyActive } from '../../../shared/analytics.ts';
import type { Clock } from '../../clock.ts';
import type { Logger } from '../../logger.ts';
import type { Keys } from '../../redis/keys.ts';
import { ANALYTICS_TTL_MS, dayOf, lastDays } from './calendar.ts';

export interface ActiveUsers {
  /**
   * Records that the user is active today (SETBIT on their id in the day's bitmap). Never awaited
   * and never throws: at most one write per user, day and instance goes out, fire-and-forget, and
   * a failed write is forgotten so that the user's next request tries again.
   */
  mark(userId: number): void;
  /** The `days` UTC days ending today, oldest first: active users and users retained from the day before. */
  series(days: number): Promise<DailyActive[]>;
  /** Writes sent and writes failed (the failed commands also count in blog_api_redis_command_errors_total). */
  stats(): { writes: number; failures: number };
}

export interface ActiveUsersOptions {
  redis: RedisClient;
  keys: Keys;
  clock: Clock;
  logger: Logger;
  /**
   * Most user ids remembered for the day; past it the memory starts over. SETBIT is idempotent, so
   * forgetting costs a redundant write, never a wrong count.
   * @default 100_000
   */
  rememberAtMost?: number;
}

/** Daily active users as one bitmap per UTC day, bit = user id (125 KB a day per million ids). */
export function createActiveUsers({ redis, keys, clock, logger, rememberAtMost = 100_000 }: ActiveUsersOptions): ActiveUsers {
  let rememberedDay = '';
  const remembered = new Set<number>();
  let writes = 0;
  let failures = 0;
  let failing = false;

  return {
    mark(userId) {
      const day = dayOf(clock.now());
      if (day !== rememberedDay) {
        remembered.clear();
        rememberedDay = day;
      }
      if (remembered.has(userId)) return;
      if (remembered.size >= rememberAtMost) remembered.clear();
      remembered.add(userId);
      writes++;
      const key = keys.activeUsers(day);
      // MULTI: the bit and the TTL together, so no bitmap is ever left without a TTL.
      redis
        .multi()
        .setbit(key, userId, 1)
        .pexpire(key, ANALYTICS_TTL_MS.activeUsers)
        .exec()
        .then(
          () => {
            if (failing) logger.info('active-user writes recovered');
            failing = false;
          },
          (err: Error) => {
            remembered.delete(userId);
            failures++;
            if (!failing) logger.warn('active-user write failed; retried on the next request', { err });
            failing = true;
          },
        );
    },

    async series(count) {
      // One day more than the series: the first day's retention needs the day before it.
      const days = lastDays(clock.now(), count + 1);
      // One MULTI, all keys under {dau}: a consistent snapshot in one round trip (and one Cluster slot).
      const tx = redis.multi();
      for (let i = 1; i < days.length; i++) {
        const retained = keys.retainedUsers(days[i]!);
        tx.bitcount(keys.activeUsers(days[i]!))
          .bitop('AND', retained, keys.activeUsers(days[i - 1]!), keys.activeUsers(days[i]!))
          .pexpire(retained, ANALYTICS_TTL_MS.retainedUsers)
          .bitcount(retained);
      }
      tx.bitcount(keys.activeUsers(days[0]!));
      const replies = (await tx.exec()) ?? [];
      const values = replies.map(([err, value]) => {
        if (err) throw err;
        return Number(value);
      });
      let previous = values.at(-1)!;
      return days.slice(1).map((day, i) => {
        const activeUsers = values[i * 4]!;
        const retainedUsers = values[i * 4 + 3]!;
        const entry = { day, activeUsers, retainedUsers, retention: previous === 0 ? null : retainedUsers / previous };
        previous = activeUsers;
        return entry;
      });
    },

    stats: () => ({ writes, failures }),
  };
}
