import type { MiddlewareHandler } from 'hono';
import { bodyLimit as honoBodyLimit } from 'hono/body-limit';
import type { AppEnv } from '../context.ts';
import { AppError } from '../errors.ts';

/** Methods whose requests have no body (the Fetch standard forbids one). */
const bodyless = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Refuses bodies over `maxSize` bytes with 413 in the error shape, before anything reads them.
 * Requests that cannot have a body skip the check: Hono's asks `c.req.raw.body`, which makes the
 * Node adapter build a full Request (Headers, AbortController) on every GET for nothing.
 */
export function bodyLimit(maxSize: number): MiddlewareHandler<AppEnv> {
  const limit = honoBodyLimit({
    maxSize,
    onError: () => {
      throw new AppError('PAYLOAD_TOO_LARGE', `Request body is larger than ${maxSize} bytes`);
    },
  });
  return async function bodyLimit(c, next) {
    return bodyless.has(c.req.method) ? next() : limit(c, next);
  };
}
