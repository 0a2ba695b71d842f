import type { WeeklyCohort } from '../../../shared/dashboard.ts';
import type { RedisClient } from '../../redis/client.ts';
import type { Keys } from '../../redis/keys.ts';
import { lastDays } from './calendar.ts';

/** Days in a cohort's week and in the follow-up it is measured over. */
const WEEK = 7;

/**
 * 7-day retention of the last `count` weekly cohorts, from the daily active-user bitmaps. A
 * cohort is everyone active in one UTC week (BITOP OR of its 7 days); its retention is the share
 * of them active again in the 7 days after it (OR of those days, AND the cohort), and per day of
 * that follow-up. The newest cohort's follow-up ends today, so its last day is still filling.
 * With the bitmaps' 35-day TTL, four cohorts (35 days with their follow-ups) is the most there is.
 *
 * One MULTI under {dau}: a consistent snapshot in one round trip and one Cluster slot. The scratch
 * results are deleted in the same transaction.
 */
export async function weeklyCohorts(redis: RedisClient, keys: Keys, nowMs: number, count = 4): Promise<WeeklyCohort[]> {
  const days = lastDays(nowMs, WEEK * (count + 1));
  const cohort = keys.cohortScratch('week');
  const after = keys.cohortScratch('after');
  const day = keys.cohortScratch('day');
  const tx = redis.multi();
  const plans = Array.from({ length: count }, (_, i) => {
    // Newest first: cohort 0's follow-up is the last 7 days.
    const end = days.length - WEEK * (i + 1);
    const week = days.slice(end - WEEK, end);
    const followUp = days.slice(end, end + WEEK);
    tx.bitop('OR', cohort, ...week.map(keys.activeUsers)).bitcount(cohort);
    tx.bitop('OR', after, ...followUp.map(keys.activeUsers)).bitop('AND', after, after, cohort).bitcount(after);
    for (const d of followUp) tx.bitop('AND', day, cohort, keys.activeUsers(d)).bitcount(day);
    return { week, followUp };
  });
  tx.del(cohort, after, day);
  const replies = (await tx.exec()) ?? [];
  const values = replies.map(([err, value]) => {
    if (err) throw err;
    return Number(value);
  });
  // Per cohort: OR, BITCOUNT, OR, AND, BITCOUNT, then a BITOP and a BITCOUNT per follow-up day.
  const stride = 5 + 2 * WEEK;
  const share = (n: number, of: number) => (of === 0 ? null : n / of);
  return plans.map(({ week, followUp }, i) => {
    const at = i * stride;
    const users = values[at + 1]!;
    const retained = values[at + 4]!;
    return {
      from: week[0]!,
      to: week.at(-1)!,
      users,
      retained,
      retention: share(retained, users),
      byDay: followUp.map((d, j) => {
        const active = values[at + 6 + 2 * j]!;
        return { day: d, users: active, share: share(active, users) };
      }),
    };
  });
}
