import type { ServiceDeps } from './deps.ts';
import { createAuthService } from './features/auth/auth.service.ts';
import { createEventsService } from './features/events/events.service.ts';
import { createHealthService } from './features/health/health.service.ts';
import { createRateLimitService } from './features/ratelimit/ratelimit.service.ts';

/** Builds every feature service once per app from the shared deps. */
export function createServices(deps: ServiceDeps) {
  return {
    health: createHealthService(deps),
    auth: createAuthService(deps),
    rateLimit: createRateLimitService(deps),
    events: createEventsService(deps),
  };
}

export type Services = ReturnType<typeof createServices>;
