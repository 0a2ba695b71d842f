import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../server/logger.ts';
import { warnOnEvictionPolicy } from '../../server/redis/eviction-check.ts';
import { startProcessRedis } from '../helpers/redis.ts';

// The start-up check: a Redis with a memory limit and another eviction policy than the app's is
// named in a warning; the app's own policy, or no limit at all, passes quietly.
const started: { stop(): Promise<void> }[] = [];
afterAll(async () => {
  for (const s of started) await s.stop();
});

async function linesFor(extraArgs: string[]): Promise<string[]> {
  const redis = await startProcessRedis({ extraArgs });
  started.push(redis);
  const client = new Redis(redis.url);
  try {
    const lines: string[] = [];
    await warnOnEvictionPolicy(client, createLogger('warn', (line) => lines.push(line)));
    return lines;
  } finally {
    client.disconnect();
  }
}

describe('the eviction policy check at start-up', () => {
  it('warns about volatile-lru with a maxmemory, and says nothing for volatile-ttl or no limit', async () => {
    const [lru, ttl, unlimited] = await Promise.all([
      linesFor(['--maxmemory', '64mb', '--maxmemory-policy', 'volatile-lru']),
      linesFor(['--maxmemory', '64mb']),
      linesFor(['--maxmemory-policy', 'allkeys-lru']),
    ]);
    expect(lru).toHaveLength(1);
    expect(JSON.parse(lru[0]!)).toMatchObject({
      level: 'warn',
      msg: 'redis evicts with volatile-lru; this app expects volatile-ttl, so that cache entries go before sessions',
      policy: 'volatile-lru',
      maxmemory: 64 * 1024 * 1024,
    });
    expect(ttl).toEqual([]);
    expect(unlimited).toEqual([]);
  });
});
