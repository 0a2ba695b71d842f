import { HOUR_MS } from '../../redis/keys.ts';

/**
 * The time buckets analytics keys are named by: UTC days (`2026-01-07`) and UTC hours
 * (`2026-01-07T13`). Every instance names a bucket alike whatever its time zone.
 */
const DAY_MS = 24 * HOUR_MS;

/** The last day named, kept: every authenticated request asks for today's. */
let lastDay = { from: 0, to: 0, name: '' };

/** The UTC day of `ms`: `2026-01-07`. */
export function dayOf(ms: number): string {
  if (ms >= lastDay.from && ms < lastDay.to) return lastDay.name;
  const from = ms - (((ms % DAY_MS) + DAY_MS) % DAY_MS);
  lastDay = { from, to: from + DAY_MS, name: new Date(ms).toISOString().slice(0, 10) };
  return lastDay.name;
}

/** The `count` UTC days ending with the day of `ms`, oldest first. */
export function lastDays(ms: number, count: number): string[] {
  return Array.from({ length: count }, (_, i) => dayOf(ms - (count - 1 - i) * DAY_MS));
}

/** The UTC hour of `ms`: `2026-01-07T13`. */
export function hourOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 13);
}

/** The `count` UTC hours ending with the hour of `ms`, oldest first. */
export function lastHours(ms: number, count: number): string[] {
  return Array.from({ length: count }, (_, i) => hourOf(ms - (count - 1 - i) * HOUR_MS));
}

/** When a stream entry was added: the milliseconds part of its id (`1767787200000-3`). */
export function streamIdTime(id: string): number {
  return Number(id.slice(0, id.indexOf('-')));
}

/** How long each analytics key lives (ms); server/redis/keys.ts documents the keys. */
export const ANALYTICS_TTL_MS = {
  /** A post's daily HyperLogLog: a 7-day window always finds its 7 days. */
  postVisitors: 8 * DAY_MS,
  /** A day's active-user bitmap: a month of history and the day before it, for retention. */
  activeUsers: 35 * DAY_MS,
  /** The scratch BITOP AND result of two days. */
  retainedUsers: 60_000,
  /** An hour's event counts: a week of hourly history. */
  eventCounts: 8 * DAY_MS,
  /** A user's activity list, renewed by each entry. */
  activity: 30 * DAY_MS,
} as const;

/** Entries a user's activity list keeps (LTRIM). */
export const ACTIVITY_MAX = 100;
