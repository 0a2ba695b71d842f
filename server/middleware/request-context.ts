import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import type { Context, MiddlewareHandler } from 'hono';
import type { AppEnv } from '../context.ts';
import type { Logger } from '../logger.ts';
import { runInRequestScope } from '../request-scope.ts';

/** Finds the peer address of a request; each runtime entry passes its own (Node: conninfo, Bun: server.requestIP). */
export type ClientAddressFn = (c: Context) => string | undefined;

export interface RequestContextOptions {
  logger: Logger;
  clientAddress?: ClientAddressFn;
  /**
   * How many reverse proxies stand in front of the app (TRUST_PROXY). 0: X-Forwarded-For is
   * ignored, since any client can send one.
   * @default 0
   */
  trustedProxies?: number;
}

/**
 * The client address from X-Forwarded-For behind `hops` trusted proxies. Each proxy appends the
 * address it received the request from, so the client is the `hops`-th entry from the right;
 * entries further left were written by the client itself and prove nothing (with fewer entries
 * than hops, the leftmost, written by a trusted proxy). Undefined when the header is missing or
 * that entry is not an IP address.
 */
export function forwardedClient(header: string | undefined, hops: number): string | undefined {
  if (!header || hops < 1) return undefined;
  const entries = header.split(',');
  const entry = (entries[Math.max(0, entries.length - hops)] ?? '').trim();
  return isIP(entry) ? entry : undefined;
}

const wellFormedRequestId = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * First middleware: gives every request an id (the caller's `X-Request-Id` when well-formed),
 * a logger bound to it, the client address (from X-Forwarded-For only behind trusted proxies),
 * and one access-log line when it ends.
 */
export function requestContext({ logger, clientAddress, trustedProxies = 0 }: RequestContextOptions): MiddlewareHandler<AppEnv> {
  return async function requestContext(c, next) {
    const started = performance.now();
    const incoming = c.req.header('x-request-id');
    const requestId = incoming && wellFormedRequestId.test(incoming) ? incoming : randomUUID();
    const log = logger.child({ requestId });
    c.set('requestId', requestId);
    c.set('log', log);
    c.set('session', null);
    const forwarded = forwardedClient(c.req.header('x-forwarded-for'), trustedProxies);
    c.set('clientIp', forwarded ?? clientAddress?.(c) ?? 'unknown');
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
