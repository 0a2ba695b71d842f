import type { RedisClient } from '../../server/redis/client.ts';

/** The times (µs, oldest first) in a limiter's log: 8-byte big-endian integers in one string (sliding-window.lua). */
export async function readLog(redis: RedisClient, key: string): Promise<number[]> {
  const log = (await redis.getBuffer(key)) ?? Buffer.alloc(0);
  return Array.from({ length: log.length / 8 }, (_, i) => Number(log.readBigInt64BE(i * 8)));
}

/** Units recorded in a limiter's log (including any that have left the window since its last write). */
export async function logSize(redis: RedisClient, key: string): Promise<number> {
  return (await redis.strlen(key)) / 8;
}
