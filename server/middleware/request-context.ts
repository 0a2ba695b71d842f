import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import type { Context, MiddlewareHandler } from 'hono';
import type { AppEnv } from '../http-env.ts';
import type { Logger } from '../logger.ts';
import { addRequestHeaders } from '../transport/response.ts';
import { anonymous } from './preflight.ts';
import { secureHeaderBag } from './secure-headers.ts';

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
  /** Called when a request ends, with its duration in seconds (the request metrics). */
  observe?: (c: Context<AppEnv>, seconds: number) => void;
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
 * First middleware: gives every request an id (the caller's `X-Request-Id` when well-formed), a
 * logger bound to it, the client address (from X-Forwarded-For only behind trusted proxies), the
 * bag of response headers (secure headers, the id; later steps add theirs), and when it ends one
 * access-log line and `observe` (both timed from here, so they include every other step). The id travels explicitly (`c.var.log`), not in AsyncLocalStorage, whose
 * promise hooks tax every await of the request on Node 20.
 */
export function requestContext({ logger, clientAddress, trustedProxies = 0, observe }: RequestContextOptions): MiddlewareHandler<AppEnv> {
  return async function requestContext(c, next) {
    const started = performance.now();
    const incoming = c.req.header('x-request-id');
    const requestId = incoming && wellFormedRequestId.test(incoming) ? incoming : randomUUID();
    c.set('requestId', requestId);
    c.set('log', logger.child({ requestId }));
    c.set('headers', secureHeaderBag(requestId));
    c.set('preflight', anonymous);
    const forwarded = trustedProxies > 0 ? forwardedClient(c.req.header('x-forwarded-for'), trustedProxies) : undefined;
    c.set('clientIp', forwarded ?? clientAddress?.(c) ?? 'unknown');
    await next();
    addRequestHeaders(c);
    const ms = performance.now() - started;
    logger.access({ requestId, method: c.req.method, path: c.req.path, status: c.res.status, durationMs: Math.round(ms * 100) / 100 });
    observe?.(c, ms / 1000);
  };
}
