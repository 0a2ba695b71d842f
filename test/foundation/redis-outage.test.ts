import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { healthSchema } from '../../shared/health.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { startProcessRedis } from '../helpers/redis.ts';

// This file stops and restarts its own redis-server, so it never disturbs the shared one.
let redis: Awaited<ReturnType<typeof startProcessRedis>>;
let t: TestApp;

beforeAll(async () => {
  redis = await startProcessRedis();
  t = await createTestApp({ redisUrl: redis.url, env: { REDIS_COMMAND_TIMEOUT_MS: '300' } });
});
afterAll(async () => {
  await t.close();
  await redis.stop();
});

async function health() {
  const res = await t.app.request('/health');
  return { status: res.status, body: healthSchema.parse(await res.json()) };
}

describe('Redis outage', () => {
  it('health says degraded with 503 within 2 s, no hang, then recovers without a restart', async () => {
    expect((await health()).body.status).toBe('ok');

    await redis.stop();
    const stoppedAt = Date.now();
    let seen: Awaited<ReturnType<typeof health>> | undefined;
    while (Date.now() - stoppedAt < 2000) {
      const t0 = Date.now();
      seen = await health();
      expect(Date.now() - t0).toBeLessThan(1500);
      if (seen.body.redis.status === 'down') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(seen?.status).toBe(503);
    expect(seen?.body).toMatchObject({ status: 'degraded', redis: { status: 'down', latencyMs: null }, db: { status: 'up' } });

    // A command on the request path fails fast instead of queueing until Redis returns.
    const t0 = Date.now();
    await expect(t.redis.get('x')).rejects.toThrow();
    expect(Date.now() - t0).toBeLessThan(500);

    redis = await startProcessRedis({ port: redis.port });
    const restartedAt = Date.now();
    while ((await health()).body.status !== 'ok') {
      expect(Date.now() - restartedAt).toBeLessThan(10_000);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await health()).status).toBe(200);
  });
});
