import type { MiddlewareHandler } from 'hono';
import { bodyLimit as honoBodyLimit } from 'hono/body-limit';
import type { AppEnv } from '../context.ts';
import { AppError } from '../errors.ts';

/** Refuses bodies over `maxSize` bytes with 413 in the error shape, before anything reads them. */
export function bodyLimit(maxSize: number): MiddlewareHandler<AppEnv> {
  return honoBodyLimit({
    maxSize,
    onError: () => {
      throw new AppError('PAYLOAD_TOO_LARGE', `Request body is larger than ${maxSize} bytes`);
    },
  });
}
