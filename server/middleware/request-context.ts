import { randomUUID } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import type { AppEnv } from '../context.ts';
import type { Logger } from '../logger.ts';
import { runInRequestScope } from '../request-scope.ts';

/** Finds the peer address of a request; each runtime entry passes its own (Node: conninfo, Bun: server.requestIP). */
export type ClientAddressFn = (c: Context) => string | undefined;

export interface RequestContextOptions {
  logger: Logger;
  clientAddress?: ClientAddressFn;
}

const wellFormedRequestId = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * First middleware: gives every request an id (the caller's `X-Request-Id` when well-formed),
 * a logger bound to it, the client address, and one access-log line when it ends.
 */
export function requestContext({ logger, clientAddress }: RequestContextOptions): MiddlewareHandler<AppEnv> {
  return async function requestContext(c, next) {
    const started = performance.now();
    const incoming = c.req.header('x-request-id');
    const requestId = incoming && wellFormedRequestId.test(incoming) ? incoming : randomUUID();
    const log = logger.child({ requestId });
    c.set('requestId', requestId);
    c.set('log', log);
    c.set('session', null);
    c.set('clientIp', clientAddress?.(c) ?? 'unknown');
    c.header('X-Request-Id', requestId);
    await runInRequestScope(requestId, next);
    log.info('request', {
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      durationMs: Math.round((performance.now() - started) * 100) / 100,
    });
  };
}
