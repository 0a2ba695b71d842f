import type { z } from 'zod';

/** A response header as the document declares it. */
export interface HeaderDoc {
  description: string;
  /** Present on every such response (a test checks it). @default false */
  required?: boolean;
  schema: { type: 'string' | 'integer' };
}

export interface ResponseDoc {
  description: string;
  /** The body's schema: JSON unless `mediaType` says otherwise; null for no body. */
  schema: z.ZodType | null;
  /** A non-JSON body (`text/event-stream`, `text/html`, ...). @default 'application/json' */
  mediaType?: string;
  /** Headers this answer carries besides those every answer carries (X-Request-Id, the rate-limit ones). */
  headers?: Record<string, HeaderDoc>;
  /** An answer as a caller sees it, shown in the reference and checked against `schema` by the linters. */
  example?: unknown;
}

/**
 * One REST operation, defined once: its method and path, the shared zod schemas it parses and
 * answers with, its statuses, headers, description and examples. `<feature>.routes.ts` binds a
 * handler to it (transport/rest.ts `serve`, which parses the input with these schemas), and
 * `server/openapi/` writes the document from it, so the document cannot drift from the route.
 */
export interface RouteDoc {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** Hono-style path: `/posts/:id`. */
  path: string;
  summary: string;
  /** Longer prose for the reference: what it does, what it costs, what to expect. */
  description: string;
  tags: string[];
  /**
   * true: needs `Authorization: Bearer <token>` or the `sid` cookie. 'optional': answers anyone,
   * and says more to a caller with a session.
   */
  auth?: boolean | 'optional';
  /** Spends the rate-limit budget (429, RateLimit headers). Probes and the document do not. @default true */
  rateLimited?: boolean;
  request?: {
    /** Path parameters; numbers in them arrive as strings and are turned into numbers at the edge. */
    params?: z.ZodObject;
    /** Query parameters; numbers as for `params`. */
    query?: z.ZodObject;
    /** Request headers the route reads itself (e.g. `Last-Event-ID`), by their exact name. */
    headers?: z.ZodObject;
    /** A JSON body (`Content-Type: application/json`). */
    body?: z.ZodType;
    /** A body as a caller would send it. */
    example?: unknown;
  };
  /** Status -> answer. Error statuses use the shared error shape. */
  responses: Record<number, ResponseDoc>;
}

/** Keeps a definition's own schema types, so the handler bound to it gets its parsed input typed. */
export function route<const D extends RouteDoc>(doc: D): D {
  return doc;
}
