import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, testPrefix, type TestApp } from '../helpers/app.ts';
import { listen } from '../helpers/server.ts';
import { createLimitedApp } from './apps.ts';
import { logSize } from './log.ts';

// Two app instances share one Redis and one key prefix, as two servers behind a load balancer do.
// A long decision timeout: on a loaded machine, 1,000 requests at once could otherwise outwait the
// default 200 ms and fail open, which is the outage tests' subject, not this one's.
const env = { REDIS_KEY_PREFIX: testPrefix(), RATE_LIMIT_MAX: '100', RATE_LIMIT_WINDOW_SECONDS: '60', TRUST_PROXY: '1', RATE_LIMIT_TIMEOUT_MS: '5000' };
const instances: { t: TestApp; server: Awaited<ReturnType<typeof listen>> }[] = [];
beforeAll(async () => {
  const db = await createTestDb();
  for (let i = 0; i < 2; i++) {
    const t = await createLimitedApp(env, { db });
    instances.push({ t, server: await listen(t.app) });
  }
});
afterAll(async () => {
  for (const { t, server } of instances) {
    await server.close();
    await t.close();
  }
  await instances[0]?.t.db.close();
});

describe('exact under concurrency', () => {
  it('1,000 concurrent requests for one identity across two instances: exactly 100 allowed, 900 refused', async () => {
    const started = Date.now();
    const statuses = await Promise.all(
      Array.from({ length: 1000 }, async (_, i) => {
        const { server } = instances[i % 2]!;
        const res = await fetch(`${server.url}/posts`, { headers: { 'x-forwarded-for': '203.0.113.50' }, signal: AbortSignal.timeout(20_000) });
        await res.arrayBuffer();
        return res.status;
      }),
    );
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(statuses.filter((s) => s === 200)).toHaveLength(100);
    expect(statuses.filter((s) => s === 429)).toHaveLength(900);

    const [a, b] = instances.map(({ t }) => t.services.rateLimit.stats().read);
    expect(a!.allowed + b!.allowed).toBe(100);
    expect(a!.refused + b!.refused).toBe(900);
    expect(a!.allowed + a!.refused).toBe(500);
    const { t } = instances[0]!;
    expect(await logSize(t.redis, t.deps.keys.rateLimit('read', 'ip:203.0.113.50'))).toBe(100);
  });
});
