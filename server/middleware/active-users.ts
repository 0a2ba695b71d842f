import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../http-env.ts';

export interface ActiveUsersOptions {
  /** Records a user as active today without waiting on Redis (services.analytics.markActive). */
  mark: (userId: number) => void;
}

/**
 * Counts each authenticated request's user as active today (the daily-active-users bitmap). It
 * adds no wait to the request: `mark` writes at most once per user, day and instance, without
 * being awaited, and swallows (and counts) its own failures. Mounted after the preflight, which
 * resolves who is calling.
 *
 * @example app.use(activeUsers({ mark: services.analytics.markActive }));
 */
export function activeUsers(opts: ActiveUsersOptions): MiddlewareHandler<AppEnv> {
  if (typeof opts?.mark !== 'function') throw new Error('activeUsers middleware: a `mark` function is required');
  const { mark } = opts;
  // Not async: it only passes next()'s promise on, and an async layer would add one more.
  return function activeUsers(c, next) {
    const { session } = c.get('preflight');
    if (session) mark(session.userId);
    return next();
  };
}
