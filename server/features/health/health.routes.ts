import { Hono } from 'hono';
import type { AppEnv } from '../../http-env.ts';
import type { HealthService } from './health.service.ts';

export function healthRoutes(health: HealthService) {
  return new Hono<AppEnv>().get('/health', async (c) => {
    const report = await health.check();
    // 503 tells load balancers to stop routing here while a store is down.
    return c.json(report, report.redis.status === 'up' && report.db.status === 'up' ? 200 : 503);
  });
}
