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

export const notFound: NotFoundHandler<AppEnv> = (c) =>
  errorResponse(c, new AppError('NOT_FOUND', `No route for ${c.req.method} ${c.req.path}`));
