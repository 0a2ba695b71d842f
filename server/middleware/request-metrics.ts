import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { AppEnv } from '../context.ts';
import type { Metrics } from '../metrics/metrics.ts';

/** The label for requests no route matched (404s, preflights): one series, whatever the path. */
const UNMATCHED_ROUTE = 'unmatched';

/**
 * The route pattern that serves this request (`/posts/:id`), never the raw path (`/posts/7`),
 * so the number of series is bounded by the number of routes. It is the first matched handler
 * (Hono runs handlers in registration order and the first one answers); middleware take
 * `(c, next)`, handlers `(c)`: the same test Hono's own `inspectRoutes` uses.
 */
function routeLabel(c: Context): string {
  return matchedRoutes(c).find((r) => r.handler.length < 2)?.path ?? UNMATCHED_ROUTE;
}

const knownMethods = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * Times every request into `http_request_duration_seconds`. Mounted right after requestContext,
 * so the time includes every other middleware and errors are counted with their final status.
 */
export function requestMetrics(metrics: Metrics): MiddlewareHandler<AppEnv> {
  return async function requestMetrics(c, next) {
    const started = performance.now();
    await next();
    metrics.observeRequest(
      {
        // Any token is a valid method on the wire: fold the odd ones into one series.
        method: knownMethods.has(c.req.method) ? c.req.method : 'OTHER',
        route: routeLabel(c),
        status: c.res.status,
      },
      (performance.now() - started) / 1000,
    );
  };
}
