import type { ServiceDeps } from './deps.ts';
import { createHealthService } from './features/health/health.service.ts';
import { createRateLimitService } from './features/ratelimit/ratelimit.service.ts';

/** Builds every feature service once per app from the shared deps. */
export function createServices(deps: ServiceDeps) {
  return {
    health: createHealthService(deps),
    rateLimit: createRateLimitService(deps),
  };
}

export type Services = ReturnType<typeof createServices>;
