import type { Context as HonoContext } from 'hono';
import type { ServiceDeps } from './deps.ts';
import type { AuthSession, Credential } from './identity.ts';
import type { Logger } from './logger.ts';
import type { AppEnv, PreflightResult } from './http-env.ts';
import type { Services } from './services.ts';

export interface RequestMeta {
  requestId: string;
  log: Logger;
  session: AuthSession | null;
  /** The token presented and, when `session` is null, why (for an error that says so); omitted: none. */
  credential?: Credential | null;
  clientIp: string;
  userAgent: string;
  /** The read a route registered with the preflight, e.g. `posts.get`'s cache entry. */
  prefetched?: PreflightResult['read'];
}

/**
 * The tRPC context, built without a request so tests can call procedures directly
 * (`createCaller(createContextInner(...))`).
 */
export function createContextInner(deps: ServiceDeps, services: Services, meta: RequestMeta) {
  // Spelled out, not spread: on Node 20 a spread copy gets a hidden class of its own per request.
  return {
    deps,
    services,
    requestId: meta.requestId,
    log: meta.log,
    session: meta.session,
    credential: meta.credential ?? null,
    clientIp: meta.clientIp,
    userAgent: meta.userAgent,
    prefetched: meta.prefetched,
  };
}

export type Context = ReturnType<typeof createContextInner>;

/** Adapter glue: what the Hono middleware resolved for this request becomes the tRPC context. */
export function contextFromHono(c: HonoContext<AppEnv>, deps: ServiceDeps, services: Services): Context {
  return createContextInner(deps, services, {
    requestId: c.get('requestId'),
    log: c.get('log'),
    session: c.get('preflight').session,
    credential: c.get('preflight').credential,
    prefetched: c.get('preflight').read,
    clientIp: c.get('clientIp'),
    userAgent: c.req.header('user-agent') ?? '',
  });
}
