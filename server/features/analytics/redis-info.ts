import type { Redis } from 'ioredis';
import { eachMaster, type RedisClient } from '../../redis/client.ts';
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

/** One node's figures: INFO memory and INFO stats (two commands, one round trip with auto-pipelining). */
async function nodeFigures(node: Redis): Promise<SiteAnalytics['redis']> {
  const [memory, stats] = (await Promise.all([node.info('memory'), node.info('stats')])).map(parseInfo) as [
    Record<string, string>,
    Record<string, string>,
  ];
  return {
    nodes: 1,
    usedMemoryBytes: Number(memory.used_memory ?? 0),
    maxMemoryBytes: Number(memory.maxmemory ?? 0),
    maxMemoryPolicy: memory.maxmemory_policy ?? 'unknown',
    evictedKeys: Number(stats.evicted_keys ?? 0),
  };
}

/**
 * Memory used and keys evicted. INFO describes only the node that answers it, so on a Redis
 * Cluster every master is asked (in parallel) and the figures are summed: memory and evictions
 * add up, the limit is the sum unless some master has none (then 0, no limit), and the policies
 * are listed once each.
 */
export async function redisMemoryFigures(redis: RedisClient): Promise<SiteAnalytics['redis']> {
  const figures = await eachMaster(redis, nodeFigures);
  if (figures.length === 0) throw new Error('no Redis node connected');
  return {
    nodes: figures.length,
    usedMemoryBytes: sum(figures.map((f) => f.usedMemoryBytes)),
    maxMemoryBytes: figures.some((f) => f.maxMemoryBytes === 0) ? 0 : sum(figures.map((f) => f.maxMemoryBytes)),
    maxMemoryPolicy: [...new Set(figures.map((f) => f.maxMemoryPolicy))].join(','),
    evictedKeys: sum(figures.map((f) => f.evictedKeys)),
  };
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

/**
 * Commands per second, as Redis measures it (INFO stats `instantaneous_ops_per_sec`, a moving
 * average over its last seconds), summed over the masters of a Cluster.
 */
export async function redisOpsPerSecond(redis: RedisClient): Promise<number> {
  const rates = await eachMaster(redis, async (node) => Number(parseInfo(await node.info('stats')).instantaneous_ops_per_sec ?? 0));
  if (rates.length === 0) throw new Error('no Redis node connected');
  return sum(rates);
}
