import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Redis } from 'ioredis';
import { createLogger } from '../../server/logger.ts';
import { closeRedis, createRedis } from '../../server/redis/client.ts';
import { createKeys } from '../../server/redis/keys.ts';
import { loadScripts } from '../../server/redis/scripts.ts';
import { testPrefix } from '../helpers/app.ts';

let redis: Redis;
const keys = createKeys(testPrefix());
beforeAll(async () => {
  redis = createRedis({ url: inject('redisUrl'), commandTimeoutMs: 1000, logger: createLogger('silent') });
  await redis.connect();
});
afterAll(() => closeRedis(redis));

describe('Lua scripts', () => {
  it('each .lua file has a header and the SHA the server computes for it', async () => {
    const scripts = loadScripts();
    expect(scripts.length).toBeGreaterThan(0);
    for (const s of scripts) {
      expect(s.source.trimStart().startsWith('--'), `${s.file} opens with a header comment`).toBe(true);
      expect(await redis.script('LOAD', s.source)).toBe(s.sha1);
    }
  });

  it('releaseLock deletes the lock only for the token that holds it', async () => {
    const key = keys.lock('demo');
    await redis.set(key, 'mine', 'PX', 10_000, 'NX');
    expect(await redis.releaseLock(key, 'theirs')).toBe(0);
    expect(await redis.get(key)).toBe('mine');
    expect(await redis.releaseLock(key, 'mine')).toBe(1);
    expect(await redis.exists(key)).toBe(0);
  });

  it('is called by SHA and survives SCRIPT FLUSH (NOSCRIPT falls back to EVAL)', async () => {
    await redis.script('FLUSH');
    const key = keys.lock('after-flush');
    await redis.set(key, 'tok', 'PX', 10_000);
    expect(await redis.releaseLock(key, 'tok')).toBe(1);
  });
});
