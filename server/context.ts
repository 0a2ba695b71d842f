import type { Context as HonoContext } from 'hono';
import type { ServiceDeps } from './deps.ts';
import type { AppError } from './errors.ts';
import type { AuthSession, Credential, PresentedCredential } from './features/auth/auth.types.ts';
import type { PostPrefetch } from './features/posts/posts.service.ts';
import type { Logger } from './logger.ts';
import type { RateLimitAhead } from './middleware/rate-limit.ts';
import type { Services } from './services.ts';

/** Hono's per-request variables, set by middleware in server/middleware/. */
export interface AppEnv {
  Variables: {
    requestId: string;
    log: Logger;
    /** Null for anonymous callers; set by the session middleware. */
    session: AuthSession | null;
    /** The token the request presented (null: none) and, when `session` is null, why; set by the session middleware. */
    credential: Credential | null;
    /** The token the request presents (null: none), read once by the session middleware or before it; undefined until then. */
    presentedCredential: PresentedCredential | null | undefined;
    /** The caller's address as the rate limiter and audit logs see it. */
    clientIp: string;
    /**
     * Set when a middleware refused a tRPC request (e.g. the rate limiter): the tRPC handler raises
     * it for every call instead of running them, so it reaches clients in tRPC's error format.
     */
    refusal: AppError | undefined;
    /** The rate-limit decision sent before the session was resolved (rate-limit.ts, `rateLimitAhead`). */
    rateLimitAhead: RateLimitAhead | undefined;
    /** The cache lookup of `GET /posts/:id`, started before the session and rate-limit middleware (posts.prefetch.ts). */
    postPrefetch: PostPrefetch | undefined;
  };
}

export interface RequestMeta {
  requestId: string;
  log: Logger;
  session: AuthSession | null;
  /** The token presented and, when `session` is null, why (for an error that says so); omitted: none. */
  credential?: Credential | null;
  clientIp: string;
  userAgent: string;
}

/**
 * The tRPC context, built without a request so tests can call procedures directly
 * (`createCaller(createContextInner(...))`).
 */
export function createContextInner(deps: ServiceDeps, services: Services, meta: RequestMeta) {
  return { deps, services, ...meta, credential: meta.credential ?? null };
}

export type Context = ReturnType<typeof createContextInner>;

/** Adapter glue: what the Hono middleware resolved for this request becomes the tRPC context. */
export function contextFromHono(c: HonoContext<AppEnv>, deps: ServiceDeps, services: Services): Context {
  return createContextInner(deps, services, {
    requestId: c.get('requestId'),
    log: c.get('log'),
    session: c.get('session'),
    credential: c.get('credential') ?? null,
    clientIp: c.get('clientIp'),
    userAgent: c.req.header('user-agent') ?? '',
  });
}
