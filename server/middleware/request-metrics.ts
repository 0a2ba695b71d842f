import type { Context } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { AppEnv } from '../http-env.ts';
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
 * What requestContext calls when a request ends, with its duration: times it into
 * `blog_api_http_request_duration_seconds`, by method, route pattern and final status (errors included).
 */
export function requestObserver(metrics: Metrics): (c: Context<AppEnv>, seconds: number) => void {
  return (c, seconds) =>
    metrics.observeRequest(
      {
        // Any token is a valid method on the wire: fold the odd ones into one series.
        method: knownMethods.has(c.req.method) ? c.req.method : 'OTHER',
        route: routeLabel(c),
        status: c.res.status,
      },
      seconds,
    );
}
