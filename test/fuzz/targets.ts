import type { z } from 'zod';
import type { RouteDoc } from '../../server/openapi/route-doc.ts';
import { routeDocs } from '../../server/openapi/routes.ts';
import { appRouter } from '../../server/router.ts';

/**
 * What the fuzzer aims at, read from the code rather than listed by hand: every REST route the
 * OpenAPI lists describe (server/openapi/routes.ts, which test/ops/openapi.test.ts keeps equal to
 * what the app serves) and every procedure of the tRPC router. A route or procedure added later is
 * fuzzed without touching this folder, and coverage.test.ts fails if one ever slips through.
 */

export interface RestTarget {
  kind: 'rest';
  /** `GET /posts/:id`: the name coverage checks and failures print. */
  name: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  auth: boolean;
  params?: z.ZodObject;
  query?: z.ZodObject;
  /** Request headers the route reads, by exact name. */
  headers?: z.ZodObject;
  body?: z.ZodType;
}

export type ProcedureType = 'query' | 'mutation' | 'subscription';

export interface TrpcTarget {
  kind: 'trpc';
  /** `posts.get` */
  name: string;
  type: ProcedureType;
  /** The procedure's input parsers, in order (none: it takes no input). */
  inputs: z.ZodType[];
}

export function restTargets(docs: readonly RouteDoc[] = routeDocs): RestTarget[] {
  // Pages (every answer HTML or text, errors included) are not API: their own tests check them.
  const isPage = (doc: RouteDoc) => Object.values(doc.responses).every((r) => r.mediaType !== undefined && r.mediaType !== 'application/json');
  return docs.filter((doc) => !isPage(doc)).map((doc) => {
    const method = doc.method.toUpperCase() as RestTarget['method'];
    return {
      kind: 'rest',
      name: `${method} ${doc.path}`,
      method,
      path: doc.path,
      auth: doc.auth === true,
      params: doc.request?.params,
      query: doc.request?.query,
      headers: doc.request?.headers,
      body: doc.request?.body,
    };
  });
}

/** The shape of a built tRPC procedure we read: its type and input parsers. */
interface ProcedureDef {
  _def: { type: ProcedureType; inputs: unknown[] };
}

export function trpcTargets(): TrpcTarget[] {
  const procedures = appRouter._def.procedures as unknown as Record<string, ProcedureDef>;
  return Object.entries(procedures).map(([name, procedure]) => ({
    kind: 'trpc',
    name,
    type: procedure._def.type,
    inputs: procedure._def.inputs as z.ZodType[],
  }));
}

/** What a tRPC procedure would accept: every input parser passes (no parser: it takes anything). */
export function procedureAccepts(target: TrpcTarget, input: unknown): boolean {
  return target.inputs.every((schema) => schema.safeParse(input).success);
}
