import type { z } from 'zod';

/**
 * How a REST route is described for the OpenAPI document: the same shared zod schemas the route
 * parses with. Each feature exports its list from `<feature>.openapi.ts`; `server/openapi/`
 * assembles them, and a test checks that every route the app serves is described.
 */
export interface RouteDoc {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** Hono-style path: `/posts/:id`. */
  path: string;
  summary: string;
  tags: string[];
  /** Needs `Authorization: Bearer <token>` or the `sid` cookie. */
  auth?: boolean;
  request?: {
    params?: z.ZodObject;
    query?: z.ZodObject;
    /** Request headers the route reads (e.g. `Last-Event-ID`), by their exact name. */
    headers?: z.ZodObject;
    body?: z.ZodType;
  };
  /** Status -> JSON body schema (null for an empty or non-JSON body). Error statuses use the shared error shape. */
  responses: Record<number, { description: string; schema: z.ZodType | null }>;
}
