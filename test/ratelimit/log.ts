import type { RedisClient } from '../../server/redis/client.ts';

/**
 * A limiter's log as preflight.lua writes it: a header {head, runs, units} (3 x u32), then runs of
 * {time ms (i64), units (u32)}; runs before `head` have left the window.
 */
async function readRuns(redis: RedisClient, key: string): Promise<{ head: number; runs: [time: number, units: number][]; units: number }> {
  const log = (await redis.getBuffer(key)) ?? Buffer.alloc(0);
  if (log.length < 12) return { head: 0, runs: [], units: 0 };
  const count = log.readUInt32BE(4);
  const runs = Array.from({ length: count }, (_, i): [number, number] => [Number(log.readBigInt64BE(12 + i * 12)), log.readUInt32BE(20 + i * 12)]);
  return { head: log.readUInt32BE(0), runs, units: log.readUInt32BE(8) };
}

/** The times (ms, oldest first) of the units in a limiter's log, one entry per unit. */
export async function readLog(redis: RedisClient, key: string): Promise<number[]> {
  const { head, runs } = await readRuns(redis, key);
  return runs.slice(head).flatMap(([time, units]) => Array.from({ length: units }, () => time));
}

/** Units a limiter's log counted at its last write (units that have left since included). */
export async function logSize(redis: RedisClient, key: string): Promise<number> {
  return (await readRuns(redis, key)).units;
}

/** Runs stored in a limiter's log, those that have left the window included: what it costs in memory. */
export async function storedRuns(redis: RedisClient, key: string): Promise<number> {
  return (await readRuns(redis, key)).runs.length;
}
