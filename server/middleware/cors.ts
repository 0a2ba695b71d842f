import type { MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import type { AppEnv } from '../http-env.ts';

/** What a browser on an allowed origin may send and read. */
const allowHeaders = ['Content-Type', 'Authorization', 'X-Request-Id', 'Last-Event-ID', 'trpc-accept'];
const exposeHeaders = [
  'X-Request-Id',
  'Retry-After',
  'RateLimit-Policy',
  'RateLimit-Limit',
  'RateLimit-Remaining',
  'RateLimit-Reset',
  'X-RateLimit-Limit',
  'X-RateLimit-Remaining',
  'X-RateLimit-Reset',
];

/**
 * CORS for the origins in `CORS_ORIGINS`, with credentials (the `sid` cookie). A request from
 * any other origin gets no CORS header at all, so the browser keeps the answer from the page, and
 * its preflight falls through to routing (404) instead of being answered. `Vary: Origin` is on every
 * response, since the CORS headers depend on it and a shared cache must not mix them up.
 *
 * Mount it only when the list is not empty: without it the API is same-origin only.
 */
export function corsAllowList(origins: readonly string[]): MiddlewareHandler<AppEnv> {
  if (origins.length === 0) throw new Error('corsAllowList needs at least one origin');
  const allowed = new Set(origins);
  const withCors = cors({
    origin: (origin) => origin,
    credentials: true,
    allowMethods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowHeaders,
    exposeHeaders,
    maxAge: 600,
  });
  return async function corsAllowList(c, next) {
    const origin = c.req.header('origin');
    if (origin !== undefined && allowed.has(origin)) return withCors(c, next);
    await next();
    c.header('Vary', 'Origin', { append: true });
  };
}
