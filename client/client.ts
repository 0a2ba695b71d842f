import {
  createTRPCClient,
  httpBatchLink,
  httpSubscriptionLink,
  isTRPCClientError,
  splitLink,
  type TRPCClient,
} from '@trpc/client';
import type { EventSource as EventSourcePolyfill } from 'eventsource';
import { EventSource as DefaultEventSource } from './event-source.ts';
// Only the router's type crosses over: no server code ends up in a client bundle.
import type { AppRouter } from '../server/client-router.ts';
import type { ErrorCode, ErrorDetail } from '../shared/errors.ts';


export interface ClientOptions {
  /** Base URL of the API, e.g. `http://localhost:3000` (the client adds `/trpc`). */
  url: string;
  /** A session token, or a function returning the current one (called on every request). */
  token?: string | (() => string | null | undefined);
  /** A fetch implementation; defaults to the global one. (Spelled without DOM-only names, for Node projects without the DOM library.) */
  fetch?: (input: string | URL | Request, init?: RequestInit) => Promise<Response>;
  /** Extra headers on every request. */
  headers?: Record<string, string>;
  /** Most calls sent in one batched request; the server refuses larger batches. @default 10 */
  maxBatchSize?: number;
  /**
   * The EventSource class subscriptions use. Defaults to the `eventsource` package's on Node 20 (no
   * global EventSource) and Bun, which sends its requests through `fetch` with the headers above,
   * and to the browser's own in browser builds, which sends no custom headers.
   */
  EventSource?: typeof EventSourcePolyfill;
}

export type BlogClient = TRPCClient<AppRouter>;

/**
 * A fully typed client for the API, over HTTP with request batching, and Server-Sent Events
 * for subscriptions.
 * @example
 * const api = createClient({ url: 'http://localhost:3000' });
 * const health = await api.health.query();
 * const sub = api.events.onPost.subscribe(undefined, {
 *   onData: ({ id, data }) => console.log(id, data.type),
 * });
 * sub.unsubscribe();
 */
export function createClient(opts: ClientOptions): BlogClient {
  const endpoint = opts.url.replace(/\/+$/, '') + '/trpc';
  const currentToken = () => (typeof opts.token === 'function' ? opts.token() : opts.token) ?? undefined;
  const headers = () => {
    const token = currentToken();
    return { ...opts.headers, ...(token && { authorization: `Bearer ${token}` }) };
  };
  const fetchImpl = opts.fetch ?? globalThis.fetch;
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === 'subscription',
        // Subscriptions run over Server-Sent Events. Each event carries its stream id; when the
        // connection drops, the link reconnects by itself and sends the last id back as
        // `lastEventId`, and the server resumes right after it.
        true: httpSubscriptionLink({
          url: endpoint,
          EventSource: opts.EventSource ?? DefaultEventSource,
          eventSourceOptions: {
            fetch: (input, init) => fetchImpl(input, { ...init, headers: { ...init.headers, ...opts.headers } }),
          },
          // A browser's EventSource cannot send headers, so the token travels in connection params.
          connectionParams: () => {
            const token = currentToken();
            return token ? { token } : {};
          },
        }),
        false: httpBatchLink({
          url: endpoint,
          headers,
          fetch: fetchImpl,
          maxItems: opts.maxBatchSize ?? 10,
        }),
      }),
    ],
  });
}

/** What the server says about a failed call, in the shared error shape. */
export interface ApiErrorInfo {
  code: ErrorCode;
  message: string;
  httpStatus: number;
  details?: ErrorDetail[];
  /** Seconds to wait before retrying (rate limits, some 503s). */
  retryAfter?: number;
}

/**
 * Reads the error shape out of anything a client call threw; null when it is not an API error.
 * @example
 * try { await api.auth.login.mutate(creds) } catch (e) { const info = apiError(e); if (info?.code === 'TOO_MANY_REQUESTS') wait(info.retryAfter) }
 */
export function apiError(err: unknown): ApiErrorInfo | null {
  if (!isTRPCClientError<AppRouter>(err) || !err.data) return null;
  const { appCode, httpStatus, details, retryAfter } = err.data;
  return {
    code: appCode,
    message: err.message,
    httpStatus,
    ...(details && { details }),
    ...(retryAfter !== undefined && { retryAfter }),
  };
}
