import { getErrorShape, getTRPCErrorFromUnknown, transformTRPCResponse, type AnyTRPCProcedure, type AnyTRPCRouter, type TRPCError } from '@trpc/server';

/**
 * One query sent alone, `GET /trpc/posts.get?input={"id":1}`: the shape most tRPC reads take.
 * It is answered here without tRPC's fetch adapter, which builds a `Request`, a `Response`, a
 * `Headers` and an `AbortSignal.any` per call: on Node 20 that doubled a cached read's CPU. The
 * answer is the one the adapter gives (test/foundation/trpc-single-query.test.ts compares them);
 * anything else (batches, mutations, subscriptions, `connectionParams`, streaming, an input that
 * does not parse) goes the adapter's way, before anything has run.
 */
export interface SingleQuery {
  path: string;
  procedure: AnyTRPCProcedure;
  input: unknown;
}

const PROCEDURE_PATH = /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*$/;

/** The query `url` asks for, or undefined when the adapter must answer it (see above). */
export function singleQueryOf(router: AnyTRPCRouter, endpoint: string, url: string): SingleQuery | undefined {
  const pathStart = url.indexOf('/', url.indexOf('//') + 2);
  if (pathStart === -1 || !url.startsWith(`${endpoint}/`, pathStart)) return undefined;
  const queryStart = url.indexOf('?', pathStart);
  const path = url.slice(pathStart + endpoint.length + 1, queryStart === -1 ? undefined : queryStart);
  if (!PROCEDURE_PATH.test(path)) return undefined;
  const procedures: Record<string, unknown> = router._def.procedures;
  if (!Object.hasOwn(procedures, path)) return undefined;
  const procedure = procedures[path] as AnyTRPCProcedure;
  if (procedure._def.type !== 'query') return undefined;

  const query = queryStart === -1 ? '' : url.slice(queryStart + 1);
  if (query === '') return { path, procedure, input: undefined };
  if (!query.startsWith('input=') || query.includes('&') || query.includes('#')) return undefined;
  try {
    // As URLSearchParams reads it ('+' is a space), then as tRPC parses it.
    const text = decodeURIComponent(query.slice('input='.length).replaceAll('+', ' '));
    const input = text === '' ? undefined : router._def._config.transformer.input.deserialize(JSON.parse(text));
    return { path, procedure, input };
  } catch {
    return undefined;
  }
}

export interface SingleQueryAnswer {
  /** `{ result: { data } }` or `{ error: shape }`, as the adapter would send it. */
  body: unknown;
  status: number;
  /** The error the call failed with, for the caller's log. */
  error?: TRPCError;
}

/**
 * Runs the query with the context `ctx` resolves to, or fails it with `ctx`'s own error (a refusal
 * decided before the call). The error shape goes through the router's formatter, whose
 * `data.httpStatus` is the status, as in the adapter.
 */
export async function runSingleQuery(router: AnyTRPCRouter, query: SingleQuery, ctx: () => Promise<object>): Promise<SingleQueryAnswer> {
  const config = router._def._config;
  let resolved: object | undefined;
  let inputRead = false;
  const getRawInput = async () => {
    inputRead = true;
    return query.input;
  };
  try {
    resolved = await ctx();
    const data: unknown = await query.procedure({ path: query.path, getRawInput, ctx: resolved, type: 'query', signal: undefined, batchIndex: 0 });
    return { body: transformTRPCResponse(config, { result: { data } }), status: 200 };
  } catch (cause) {
    const error = getTRPCErrorFromUnknown(cause);
    const shape = getErrorShape({ config, ctx: resolved, error, input: inputRead ? query.input : undefined, path: query.path, type: 'query' });
    const status = (shape.data as { httpStatus?: unknown } | undefined)?.httpStatus;
    return { body: transformTRPCResponse(config, { error: shape }), status: typeof status === 'number' ? status : 500, error };
  }
}
