import type { Context } from 'hono';
import type { z } from 'zod';
import { AppError, validationError } from '../errors.ts';
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
