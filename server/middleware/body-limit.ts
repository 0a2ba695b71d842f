import type { MiddlewareHandler } from 'hono';
import { bodyLimit as honoBodyLimit } from 'hono/body-limit';
import type { AppEnv } from '../http-env.ts';
import { AppError } from '../errors.ts';

/** Methods whose requests have no body (the Fetch standard forbids one). */
const bodyless = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface BodyLimitOptions {
  /** Where tRPC is mounted (e.g. `/trpc`): its refusals must be in tRPC's error format. */
  trpcEndpoint?: string;
}

/**
 * Refuses bodies over `maxSize` bytes with 413 before anything reads them. REST: the error handler
 * renders the thrown AppError in the error shape. tRPC: the refusal is handed to the tRPC handler
 * (as the rate limiter does), which raises it from createContext before reading any input, so a
 * typed client sees `data.appCode` PAYLOAD_TOO_LARGE rather than a body it cannot parse.
 * Requests that cannot have a body skip the check: Hono's asks `c.req.raw.body`, which makes the
 * Node adapter build a full Request (Headers, AbortController) on every GET for nothing.
 */
export function bodyLimit(maxSize: number, { trpcEndpoint }: BodyLimitOptions = {}): MiddlewareHandler<AppEnv> {
  const tooLarge = () => new AppError('PAYLOAD_TOO_LARGE', `Request body is larger than ${maxSize} bytes`);
  const rest = honoBodyLimit({
    maxSize,
    onError: () => {
      throw tooLarge();
    },
  });
  const trpcPrefix = trpcEndpoint && trpcEndpoint.replace(/\/+$/, '') + '/';
  // Not async: a GET only passes next()'s promise on, and an async layer would add one more.
  return function bodyLimit(c, next) {
    if (bodyless.has(c.req.method)) return next();
    if (!trpcPrefix || !c.req.path.startsWith(trpcPrefix)) return rest(c, next);
    // Built per request: its onError goes on to this request's `next` instead of throwing.
    const trpc = honoBodyLimit({
      maxSize,
      onError: async () => {
        c.set('preflight', { ...c.get('preflight'), refusal: tooLarge() });
        await next();
        return c.res;
      },
    });
    return trpc(c, next);
  };
}
