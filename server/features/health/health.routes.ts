import { Hono } from 'hono';
import type { AppEnv } from '../../context.ts';
import type { Services } from '../../services.ts';

export function healthRoutes(services: Services) {
  return new Hono<AppEnv>().get('/health', async (c) => {
    const health = await services.health.check();
    // 503 tells load balancers to stop routing here while a store is down.
    return c.json(health, health.redis.status === 'up' && health.db.status === 'up' ? 200 : 503);
  });
}
