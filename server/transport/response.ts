import type { Context } from 'hono';
import type { AppEnv } from '../http-env.ts';

/**
 * Marks a response that already carries its request's header bag. A property on the response, not
 * a WeakSet: a WeakSet entry per request is an ephemeron the garbage collector has to trace, which
 * cost more than the rest of json() under load.
 */
const carriesBag = Symbol('carriesBag');
type Marked = Response & { [carriesBag]?: true };

/**
 * A JSON response with the request's headers (secure headers, request id, rate limit) in one
 * plain object, which the Node adapter writes as it is: no Headers object is built. For routes
 * that set no header themselves (a `c.header()` before it would be lost).
 */
export function json(c: Context<AppEnv>, data: unknown, status = 200): Response {
  const headers = c.get('headers');
  headers['content-type'] = 'application/json';
  const res: Marked = new Response(JSON.stringify(data), { status, headers });
  res[carriesBag] = true;
  return res;
}

/** Adds the request's header bag to a response built otherwise (c.json, tRPC): a header it has wins. */
export function addRequestHeaders(c: Context<AppEnv>): void {
  const res: Marked = c.res;
  if (res[carriesBag]) return;
  const bag = c.get('headers');
  const fill = (headers: Headers) => {
    for (const name in bag) if (!headers.has(name)) headers.set(name, bag[name]!);
  };
  try {
    fill(res.headers);
  } catch {
    // Immutable headers (a Response from elsewhere): one copy.
    const copy = new Response(res.body, res);
    fill(copy.headers);
    c.res = copy;
  }
}
