import fc from 'fast-check';
import { HonoRequest } from 'hono/request';
import { tryDecodeURIComponent } from 'hono/utils/url';
import { contentType, headerValue, jsonPayload, pathId, queryString, type Payload } from './inputs.ts';
import { coerceNumbers, numericKeys } from '../../server/transport/rest.ts';
import type { RestTarget } from './targets.ts';

/** One fuzzed REST request, and whether the route's shared schemas accept it (else nothing may be written). */
export interface RestCase {
  method: RestTarget['method'];
  /** Path and query, percent-encoded as sent. */
  url: string;
  headers: Record<string, string>;
  body?: Payload;
  accepted: boolean;
}

const methodsWithBody = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Requests for one route: bad path params, bad query strings, bad headers and bad bodies together. */
export function restCases(target: RestTarget, bodyLimit: number, anonymous: boolean): fc.Arbitrary<RestCase> {
  const paramNames = [...target.path.matchAll(/:(\w+)/g)].map((m) => m[1]!);
  const params = fc.tuple(...paramNames.map(() => pathId));
  // Routes without a query schema still get random query strings now and then (they must ignore them).
  const query = target.query ? queryString(target.query, bodyLimit) : fc.oneof({ weight: 3, arbitrary: fc.constant('') }, queryString(undefined, bodyLimit));
  const headerNames = Object.keys(target.headers?.shape ?? {});
  const headers = fc.tuple(...headerNames.map(() => fc.option(headerValue, { nil: undefined })));
  const body = methodsWithBody.has(target.method)
    ? fc.tuple(jsonPayload(target.body, bodyLimit), contentType).map(([payload, type]) => ({ payload, type }))
    : fc.constant(undefined);

  return fc.tuple(params, query, headers, body).map(([ids, qs, headerValues, sent]) => {
    let path = target.path;
    paramNames.forEach((name, i) => (path = path.replace(`:${name}`, ids[i]!)));
    const url = qs === '' ? path : `${path}?${qs}`;
    const requestHeaders: Record<string, string> = {};
    headerNames.forEach((name, i) => {
      if (headerValues[i] !== undefined) requestHeaders[name] = headerValues[i];
    });
    if (sent) {
      if (sent.type) requestHeaders['content-type'] = sent.type;
      // As a real client sends it: the body limit decides on this header before reading.
      requestHeaders['content-length'] = String(sent.payload.bytes.length);
    }
    const accepted =
      !(target.auth && anonymous) &&
      paramsAccepted(target, paramNames, ids) &&
      queryAccepted(target, url) &&
      headersAccepted(target, requestHeaders) &&
      (!sent || bodyAccepted(target, sent.payload, sent.type, bodyLimit));
    return { method: target.method, url, headers: requestHeaders, body: sent?.payload, accepted };
  });
}

/** Path params as Hono hands them to the route: percent-decoded, or raw when that fails. */
function paramsAccepted(target: RestTarget, names: string[], raw: string[]): boolean {
  if (!target.params) return true;
  // A segment that is empty, dot-only or holds an encoded slash no longer routes to this route.
  if (raw.some((id) => id === '' || /^(\.|%2e)+$/i.test(id))) return false;
  const values = Object.fromEntries(names.map((name, i) => [name, tryDecodeURIComponent(raw[i]!)]));
  return target.params.safeParse(coerceNumbers(values, numericKeys(target.params))).success;
}

/** The query as the route reads it (`c.req.query()`), parsed by Hono itself. */
function queryAccepted(target: RestTarget, url: string): boolean {
  if (!target.query) return true;
  const query = new HonoRequest(new Request(`http://fuzz${url}`)).query();
  return target.query.safeParse(coerceNumbers(query, numericKeys(target.query))).success;
}

/** Headers the route reads; an empty one counts as absent (as the route treats it). */
function headersAccepted(target: RestTarget, headers: Record<string, string>): boolean {
  if (!target.headers) return true;
  const present = Object.fromEntries(Object.keys(target.headers.shape).flatMap((name) => (headers[name] ? [[name, headers[name]]] : [])));
  return target.headers.safeParse(present).success;
}

/**
 * The body as readJson reads it: declared `application/json` (any parameters) or 415, decoded as
 * UTF-8 (lossy), `''` as `{}`, then the schema. Over the limit: 413.
 */
function bodyAccepted(target: RestTarget, payload: Payload, type: string | undefined, bodyLimit: number): boolean {
  if (payload.bytes.length > bodyLimit) return false;
  if (!target.body) return true;
  if (type?.split(';')[0]?.trim().toLowerCase() !== 'application/json') return false;
  const text = new TextDecoder().decode(payload.bytes);
  let value: unknown;
  try {
    value = text === '' ? {} : JSON.parse(text);
  } catch {
    return false;
  }
  return target.body.safeParse(value).success;
}

export function toRequest(c: RestCase, credential: Record<string, string>): Request {
  return new Request(`http://localhost${c.url}`, {
    method: c.method,
    headers: { ...c.headers, ...credential },
    ...(c.body && { body: c.body.bytes }),
  });
}
