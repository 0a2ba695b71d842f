import type { ServiceDeps } from './deps.ts';
import { createHealthService } from './features/health/health.service.ts';

/** Builds every feature service once per app from the shared deps. */
export function createServices(deps: ServiceDeps) {
  return {
    health: createHealthService(deps),
  };
}

export type Services = ReturnType<typeof createServices>;
