import type { AnyTRPCRouter, TRPCError } from '@trpc/server';
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import type { Context as HonoContext, MiddlewareHandler } from 'hono';
import { contextFromHono } from '../context.ts';
import type { AppEnv } from '../http-env.ts';
import type { ServiceDeps } from '../deps.ts';
import { authenticate } from '../middleware/preflight.ts';
import type { Services } from '../services.ts';
import { isJson, notJsonError } from './media-type.ts';
import { json } from './response.ts';
import { runSingleQuery, singleQueryOf } from './trpc-single-query.ts';

export interface TrpcHandlerOptions {
  /** The app's router (tests may mount a purpose-built one with the same context). */
  router: AnyTRPCRouter;
  deps: ServiceDeps;
  services: Services;
  /** Where the router is mounted, e.g. `/trpc`. */
  endpoint: string;
  /** Most calls in one batch; tRPC refuses larger batches with 400 before running any. */
  maxBatchSize?: number;
}

/** Serves the tRPC router from Hono; the context is what Hono's middleware resolved for the request. */
export function trpcHandler({ router, deps, services, endpoint, maxBatchSize }: TrpcHandlerOptions): MiddlewareHandler<AppEnv> {
  const contextFor = async (c: HonoContext<AppEnv>, token?: string) => {
    // A refusal decided by middleware fails every call of the request, in tRPC's format. So
    // does a POST body not declared JSON: tRPC itself refuses most types (415) but reads
    // multipart/form-data and octet streams, which other sites' pages can send and no procedure takes.
    const refusal = c.get('preflight').refusal ?? (c.req.method === 'POST' && !isJson(c.req.header('content-type')) ? notJsonError() : undefined);
    if (refusal) throw refusal;
    const ctx = contextFromHono(c, deps, services);
    // Subscriptions over SSE cannot send headers: their token comes as connectionParams { token }.
    if (ctx.credential || !token) return ctx;
    return { ...ctx, ...(await authenticate(services.auth.sessions, token, 'connectionParams', ctx.log)) };
  };
  const logFailure = (c: HonoContext<AppEnv>, error: TRPCError, path: string | undefined) => {
    if (error.code === 'INTERNAL_SERVER_ERROR') c.get('log').error('procedure failed', { path, err: error.cause ?? error });
  };

  return async function trpc(c) {
    const single = c.req.method === 'GET' && !streamingAsked(c) ? singleQueryOf(router, endpoint, c.req.url) : undefined;
    if (single) {
      const answer = await runSingleQuery(router, single, () => contextFor(c));
      if (answer.error) logFailure(c, answer.error, single.path);
      c.get('headers').vary = 'trpc-accept, accept';
      return json(c, answer.body, answer.status);
    }
    const res = await fetchRequestHandler({
      endpoint,
      req: c.req.raw,
      router,
      maxBatchSize,
      createContext: ({ info }) => contextFor(c, info.connectionParams?.token),
      onError: ({ error, path }) => logFailure(c, error, path),
    });
    // tRPC answers a request it refuses before any procedure runs (an unsupported content type, a
    // refusal raised from createContext) with a JSON error body but no content type, which the
    // Response then defaults to text/plain: say it is JSON, as every other error answer does.
    if (res.status >= 400 && res.headers.get('content-type')?.startsWith('text/plain')) {
      res.headers.set('content-type', 'application/json');
    }
    // Returned as it is: a copy would turn the Node adapter's string body into a stream. Headers
    // set with c.header() (a cookie) are merged in by Hono when `c.res` is assigned, and the
    // request's header bag by requestContext.
    return res;
  };
}

/** tRPC's streaming responses (`trpc-accept` or an Accept of application/jsonl) are the adapter's. */
function streamingAsked(c: HonoContext<AppEnv>): boolean {
  return c.req.header('trpc-accept') !== undefined || (c.req.header('accept')?.includes('application/jsonl') ?? false);
}
