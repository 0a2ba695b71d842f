import type { Context, Hono } from 'hono';
import { z } from 'zod';
import { AppError, validationError } from '../errors.ts';
import type { AppEnv } from '../http-env.ts';
import type { RouteDoc } from '../openapi/route-doc.ts';
import { isJson, notJsonError } from './media-type.ts';

/**
 * Reads and validates a JSON body with a shared schema. A body not sent as `application/json` is
 * a 415 UNSUPPORTED_MEDIA_TYPE, before it is read (see notJsonError); malformed JSON is a 400
 * BAD_REQUEST; a body that does not match is a 400 VALIDATION_FAILED naming each field.
 */
export async function readJson<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  if (!isJson(c.req.header('content-type'))) throw notJsonError();
  const text = await c.req.text();
  let body: unknown;
  try {
    body = text === '' ? {} : JSON.parse(text);
  } catch {
    throw new AppError('BAD_REQUEST', 'Malformed JSON body');
  }
  return parseInput(schema, body);
}

/** Validates query, params or a parsed body; a mismatch is a 400 naming each field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw validationError(parsed.error);
  return parsed.data;
}

/** The schema under optional, default, nullable and pipe wrappers: what a value must finally be. */
function core(schema: z.ZodType): z.ZodType {
  let s = schema;
  for (;;) {
    const def = s.def as { type: string; innerType?: z.ZodType; in?: z.ZodType };
    if (def.innerType) s = def.innerType;
    else if (def.type === 'pipe' && def.in) s = def.in;
    else return s;
  }
}

/** The properties of a params or query object that the shared schema wants as numbers. */
export function numericKeys(object: z.ZodObject): string[] {
  return Object.entries(object.shape as Record<string, z.ZodType>)
    .filter(([, schema]) => core(schema) instanceof z.ZodNumber)
    .map(([key]) => key);
}

/**
 * The REST edge's one liberty: a path or query string that holds a number becomes that number
 * (`"42"` -> 42), so the shared schemas can type their inputs `number` for tRPC callers. An
 * empty or blank string stays a string, so it is refused rather than read as 0; anything else
 * that is not a number becomes NaN, which the schema refuses with its own message. In place:
 * Hono hands out a fresh object per call.
 */
export function coerceNumbers(raw: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  for (const key of keys) {
    const value = raw[key];
    if (typeof value === 'string' && value.trim() !== '') raw[key] = Number(value);
  }
  return raw;
}

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;
type Req<D extends RouteDoc> = NonNullable<D['request']>;

/** What a bound handler receives: each part its definition declares, parsed; `caller` is what `authorize` returned. */
export interface RestInput<D extends RouteDoc, A = undefined> {
  params: Out<Req<D>['params']>;
  query: Out<Req<D>['query']>;
  body: Out<Req<D>['body']>;
  caller: A;
}

/**
 * Binds a handler to its definition: registers `doc.method doc.path`, runs `authorize` first (a
 * 401 or 403 comes before any 400 about the input), then parses the params, the query and the
 * JSON body with the definition's schemas. Everything per definition is worked out here, once; a
 * request pays only for its own parsing, and a route without a body stays synchronous up to the
 * handler (the cached `GET /posts/:id` adds no step).
 */
export function serve<D extends RouteDoc, A = undefined>(
  app: Hono<AppEnv>,
  doc: D,
  handler: (c: Context<AppEnv>, input: RestInput<D, A>) => Response | Promise<Response>,
  authorize?: (c: Context<AppEnv>) => A,
): void {
  const { params, query, body } = doc.request ?? {};
  const paramNumbers = params ? numericKeys(params) : [];
  const queryNumbers = query ? numericKeys(query) : [];
  const inputOf = (c: Context<AppEnv>, caller: A, parsedBody: unknown) =>
    ({
      params: params && parseInput(params, coerceNumbers(c.req.param(), paramNumbers)),
      query: query && parseInput(query, coerceNumbers(c.req.query(), queryNumbers)),
      body: parsedBody,
      caller,
    }) as RestInput<D, A>;

  const method = doc.method.toUpperCase();
  if (body) {
    app.on(method, doc.path, async (c) => {
      const caller = authorize?.(c) as A;
      const input = inputOf(c, caller, undefined);
      input.body = (await readJson(c, body)) as RestInput<D, A>['body'];
      return handler(c, input);
    });
  } else {
    app.on(method, doc.path, (c) => handler(c, inputOf(c, authorize?.(c) as A, undefined)));
  }
}
