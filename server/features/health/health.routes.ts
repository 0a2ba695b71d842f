import { Hono } from 'hono';
import type { AppEnv } from '../../http-env.ts';
import { serve } from '../../transport/rest.ts';
import { health } from './health.openapi.ts';
import type { HealthService } from './health.service.ts';

export function healthRoutes(service: HealthService) {
  const app = new Hono<AppEnv>();
  serve(app, health, async (c) => {
    const report = await service.check();
    // 503 tells load balancers to stop routing here while a store is down.
    return c.json(report, report.redis.status === 'up' && report.db.status === 'up' ? 200 : 503);
  });
  return app;
}
