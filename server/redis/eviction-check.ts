import type { Redis } from 'ioredis';
import type { Logger } from '../logger.ts';
import { eachMaster, type RedisClient } from './client.ts';
import { EVICTION_POLICY } from './local-server.ts';

/**
 * At start-up: warns when the Redis has a `maxmemory` and evicts by another policy than the
 * app's (`volatile-ttl`, README "Reliability"), e.g. a managed Redis left at its default. Only a
 * warning: the app works either way, but under memory pressure `volatile-lru` or `allkeys-*` may
 * log users out (or drop the event stream) before dropping cache entries, and `noeviction` refuses
 * writes, logins included. Reads INFO (CONFIG is often disabled on managed Redis); INFO describes
 * one node, so on a Redis Cluster each master is checked.
 */
export async function warnOnEvictionPolicy(redis: RedisClient, logger: Logger): Promise<void> {
  await eachMaster(redis, (node) => checkNode(node, logger));
}

async function checkNode(node: Redis, logger: Logger): Promise<void> {
  const info = await node.info('memory');
  const field = (name: string) => new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim();
  const policy = field('maxmemory_policy');
  const maxMemory = Number(field('maxmemory') ?? 0);
  if (maxMemory > 0 && policy !== undefined && policy !== EVICTION_POLICY) {
    logger.warn(`redis evicts with ${policy}; this app expects ${EVICTION_POLICY}, so that cache entries go before sessions`, {
      maxmemory: maxMemory,
      policy,
      node: `${node.options.host}:${node.options.port}`,
    });
  }
}
