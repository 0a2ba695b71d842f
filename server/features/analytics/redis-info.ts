import type { Redis } from 'ioredis';
import type { SiteAnalytics } from '../../../shared/analytics.ts';

/** `INFO <section>` text (`name:value` lines, `#` headings) as a record. */
export function parseInfo(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) fields[line.slice(0, colon)] = line.slice(colon + 1);
  }
  return fields;
}

/**
 * Memory used and keys evicted, from INFO memory and INFO stats (two commands, one round trip
 * with auto-pipelining). On Redis Cluster these are the figures of the node the connection is on.
 */
export async function redisMemoryFigures(redis: Redis): Promise<SiteAnalytics['redis']> {
  const [memory, stats] = (await Promise.all([redis.info('memory'), redis.info('stats')])).map(parseInfo) as [
    Record<string, string>,
    Record<string, string>,
  ];
  return {
    usedMemoryBytes: Number(memory.used_memory ?? 0),
    maxMemoryBytes: Number(memory.maxmemory ?? 0),
    maxMemoryPolicy: memory.maxmemory_policy ?? 'unknown',
    evictedKeys: Number(stats.evicted_keys ?? 0),
  };
}
