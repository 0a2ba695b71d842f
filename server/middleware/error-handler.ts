import type { Context, ErrorHandler, NotFoundHandler } from 'hono';
import type { AppEnv } from '../http-env.ts';
import { AppError, toAppError } from '../errors.ts';

export function errorResponse(c: Context<AppEnv>, error: AppError): Response {
  if (error.retryAfter !== undefined) c.header('Retry-After', String(error.retryAfter));
  return c.json({ error: error.toBody(c.get('requestId')) }, error.status as 400);
}

/**
 * Renders anything a REST route throws in the one error shape. A failure (500) is logged as an
 * error with its cause; a deliberate 503 (Redis unreachable, a live-events cap, a reader not ready
 * yet) is an expected condition the caller is told to retry, so it is a warning without a stack.
 */
export const onError: ErrorHandler<AppEnv> = (err, c) => {
  const error = toAppError(err);
  const log = c.get('log');
  if (error.appCode === 'INTERNAL') {
    const cause = error.cause ?? err;
    log?.error('request failed', { err: cause instanceof Error ? cause : String(cause), path: c.req.path });
  } else if (error.status >= 500) {
    log?.warn('request refused', { code: error.appCode, reason: error.message, path: c.req.path });
  }
  return errorResponse(c, error);
};

/**
 * What answers a request no route took: 405 with `Allow` when the path is a known route's (of
 * `routes`, Hono-style paths) asked with another method, else 404. Worked out only here, off the
 * path of every request that did find its route.
 */
export function notFound(routes: readonly { method: string; path: string }[]): NotFoundHandler<AppEnv> {
  const known = new Map<string, { pattern: RegExp; methods: Set<string> }>();
  for (const { method, path } of routes) {
    const entry = known.get(path) ?? { pattern: pathPattern(path), methods: new Set<string>() };
    entry.methods.add(method.toUpperCase());
    if (method.toUpperCase() === 'GET') entry.methods.add('HEAD');
    known.set(path, entry);
  }
  return function notFound(c) {
    const allowed = new Set<string>();
    for (const { pattern, methods } of known.values()) if (pattern.test(c.req.path)) for (const m of methods) allowed.add(m);
    if (allowed.size === 0 || allowed.has(c.req.method)) return errorResponse(c, new AppError('NOT_FOUND', `No route for ${c.req.method} ${c.req.path}`));
    const allow = [...allowed].join(', ');
    c.header('Allow', allow);
    return errorResponse(c, new AppError('METHOD_NOT_ALLOWED', `${c.req.method} is not allowed on ${c.req.path}; allowed: ${allow}`));
  };
}

/** `/posts/:id` -> /^\/posts\/[^/]+$/ */
function pathPattern(path: string): RegExp {
  const source = path
    .split('/')
    .map((part) => (part.startsWith(':') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${source}$`);
}
