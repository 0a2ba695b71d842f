import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { healthSchema } from '../../shared/health.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { startProcessRedis } from '../helpers/redis.ts';
import { waitFor } from '../helpers/wait.ts';

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
    const seen = await waitFor(async () => {
      const t0 = Date.now();
      const now = await health();
      expect(Date.now() - t0).toBeLessThan(1500);
      return now.body.redis.status === 'down' && now;
    }, { timeoutMs: 2000, intervalMs: 50, what: 'health reports Redis down' });
    expect(seen.status).toBe(503);
    expect(seen.body).toMatchObject({ status: 'degraded', redis: { status: 'down', latencyMs: null }, db: { status: 'up' } });

    // A command on the request path fails fast instead of queueing until Redis returns.
    const t0 = Date.now();
    await expect(t.redis.get('x')).rejects.toThrow();
    expect(Date.now() - t0).toBeLessThan(500);

    redis = await startProcessRedis({ port: redis.port });
    await waitFor(async () => (await health()).body.status === 'ok', { intervalMs: 100, what: 'health reports ok again' });
    expect((await health()).status).toBe(200);
  });
});
