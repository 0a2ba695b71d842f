import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import type { MiddlewareHandler } from 'hono';
import { contextFromHono, type AppEnv } from '../context.ts';
import type { ServiceDeps } from '../deps.ts';
import type { AppRouter } from '../router.ts';
import type { Services } from '../services.ts';

export interface TrpcHandlerOptions {
  router: AppRouter;
  deps: ServiceDeps;
  services: Services;
  /** Where the router is mounted, e.g. `/trpc`. */
  endpoint: string;
  /** Most calls in one batch; tRPC refuses larger batches with 400 before running any. */
  maxBatchSize?: number;
}

/** Serves the tRPC router from Hono; the context is what Hono's middleware resolved for the request. */
export function trpcHandler({ router, deps, services, endpoint, maxBatchSize }: TrpcHandlerOptions): MiddlewareHandler<AppEnv> {
  return async function trpc(c) {
    return fetchRequestHandler({
      endpoint,
      req: c.req.raw,
      router,
      maxBatchSize,
      createContext: () => {
        // A refusal decided by middleware fails every call of the request, in tRPC's format.
        const refusal = c.get('refusal');
        if (refusal) throw refusal;
        return contextFromHono(c, deps, services);
      },
      onError: ({ error, path }) => {
        if (error.code === 'INTERNAL_SERVER_ERROR') {
          c.get('log').error('procedure failed', { path, err: error.cause ?? error });
        }
      },
    });
  };
}
