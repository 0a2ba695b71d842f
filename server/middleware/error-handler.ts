import type { Context, ErrorHandler, NotFoundHandler } from 'hono';
import type { AppEnv } from '../context.ts';
import { AppError, toAppError } from '../errors.ts';

export function errorResponse(c: Context<AppEnv>, error: AppError): Response {
  if (error.retryAfter !== undefined) c.header('Retry-After', String(error.retryAfter));
  return c.json({ error: error.toBody(c.get('requestId')) }, error.status as 400);
}

/** Renders anything a REST route throws in the one error shape; 5xx are logged with their cause. */
export const onError: ErrorHandler<AppEnv> = (err, c) => {
  const error = toAppError(err);
  if (error.status >= 500) {
    const cause = error.cause ?? err;
    c.get('log')?.error('request failed', { err: cause instanceof Error ? cause : String(cause), path: c.req.path });
  }
  return errorResponse(c, error);
};

export const notFound: NotFoundHandler<AppEnv> = (c) =>
  errorResponse(c, new AppError('NOT_FOUND', `No route for ${c.req.method} ${c.req.path}`));
