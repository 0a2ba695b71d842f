import fc from 'fast-check';
import { contentType, jsonPayload, percentEncode, toPayload, type Payload } from './inputs.ts';
import { procedureAccepts, type TrpcTarget } from './targets.ts';

/** One fuzzed tRPC request (a single call or a batch), and whether any call in it is accepted. */
export interface TrpcCase {
  form: 'single' | 'batch' | 'wrong method';
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  body?: Payload;
  accepted: boolean;
  /** A POST body over the limit, to a mutation, in a content type tRPC reads: 413 (tRPC answers 415 or 405 first otherwise). */
  tooLarge: boolean;
}

const encoder = new TextEncoder();
const concat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => [...p]));

/**
 * Requests for one procedure as tRPC's fetch adapter receives them: a query or subscription as
 * `GET /trpc/<path>?input=<JSON>`, a mutation as `POST` with the JSON body; batches of two or three
 * (`/trpc/<path>,<path>?batch=1`, inputs keyed "0", "1", ...); and the wrong method.
 */
export function trpcCases(target: TrpcTarget, bodyLimit: number): fc.Arbitrary<TrpcCase> {
  const input = jsonPayload(target.inputs[0], bodyLimit);
  const method = natural(target);
  const single = fc.tuple(input, contentType).map(([p, type]) => request(target, 'single', method, [p], type, bodyLimit));
  const batch = fc
    .tuple(fc.array(input, { minLength: 2, maxLength: 3 }), contentType)
    .map(([ps, type]) => request(target, 'batch', method, ps, type, bodyLimit));
  const other = method === 'GET' ? 'POST' : 'GET';
  const wrong = fc.tuple(input, contentType).map(([p, type]) => request(target, 'wrong method', other, [p], type, bodyLimit));
  return fc.oneof({ weight: 6, arbitrary: single }, { weight: 3, arbitrary: batch }, { weight: 1, arbitrary: wrong });
}

/** How tRPC's links call a procedure: a mutation by POST, a query or a subscription by GET. */
const natural = (target: TrpcTarget) => (target.type === 'mutation' ? 'POST' : 'GET');

function request(
  target: TrpcTarget,
  form: TrpcCase['form'],
  method: 'GET' | 'POST',
  payloads: Payload[],
  type: string | undefined,
  bodyLimit: number,
): TrpcCase {
  const isBatch = form === 'batch';
  // A batch's inputs: `{"0":<input>,"1":<input>}`, spliced as bytes so invalid UTF-8 stays invalid.
  const bytes = isBatch
    ? concat(encoder.encode('{'), ...payloads.flatMap((p, i) => [encoder.encode(`${i ? ',' : ''}"${i}":`), p.bytes.length ? p.bytes : encoder.encode('null')]), encoder.encode('}'))
    : payloads[0]!.bytes;
  const label = payloads.map((p) => p.label).join(' + ');
  const path = `/trpc/${Array(payloads.length).fill(target.name).join(',')}`;
  const params = [...(isBatch ? ['batch=1'] : []), ...(method === 'GET' && bytes.length > 0 ? [`input=${percentEncode(bytes)}`] : [])];
  const url = params.length ? `${path}?${params.join('&')}` : path;
  const headers: Record<string, string> = {};
  let body: Payload | undefined;
  if (method === 'POST') {
    body = toPayload(label, bytes);
    if (type) headers['content-type'] = type;
    headers['content-length'] = String(bytes.length);
  }
  const fits = method === 'GET' || bytes.length <= bodyLimit;
  // tRPC batches only JSON: a form-data or octet-stream batch names no procedure (404) before its body is read.
  const media = mediaTypeOf(headers['content-type']);
  const tooLarge = !fits && method === natural(target) && trpcMediaTypes.has(media) && (!isBatch || media === 'application/json');
  return { form, method, url, headers, body, accepted: fits && accepted(target, method, payloads.length, bytes, headers['content-type']), tooLarge };
}

/** The content types tRPC's fetch adapter reads a POST as (any other is 415). */
const trpcMediaTypes = new Set(['application/json', 'multipart/form-data', 'application/octet-stream']);
const mediaTypeOf = (type: string | undefined) => type?.split(';')[0]?.trim().toLowerCase() ?? '';

/**
 * Whether tRPC would run the procedure with some input of the request: the right method, a content
 * type tRPC reads, then (for a procedure with an input) parseable JSON its parsers accept.
 */
function accepted(target: TrpcTarget, method: string, calls: number, bytes: Uint8Array, type: string | undefined): boolean {
  if ((target.type === 'mutation') !== (method === 'POST')) return false;
  const mediaType = method === 'GET' ? 'application/json' : mediaTypeOf(type);
  // tRPC reads form data and octet streams too, but the handler refuses them (415) before any
  // procedure: none takes them, and another site's page can send them without a CORS preflight.
  if (mediaType !== 'application/json') return false;
  // tRPC reads the input only for a procedure that has a parser: one without ignores it, even
  // malformed (as REST routes ignore a body they do not read).
  if (target.inputs.length === 0) return calls === 1 || target.type !== 'subscription';
  // GET carries the input in the URL (decoded by URLSearchParams), POST in the body.
  const text = method === 'GET' ? (new URLSearchParams(`input=${percentEncode(bytes)}`).get('input') ?? '') : new TextDecoder().decode(bytes);
  let inputs: unknown;
  try {
    inputs = text === '' ? undefined : JSON.parse(text);
  } catch {
    return false;
  }
  if (calls === 1) return procedureAccepts(target, inputs);
  if (target.type === 'subscription') return false; // tRPC refuses to batch subscriptions
  if (inputs === undefined) return procedureAccepts(target, undefined);
  if (typeof inputs !== 'object' || inputs === null || Array.isArray(inputs)) return false;
  const byIndex = inputs as Record<number, unknown>;
  return Array.from({ length: calls }, (_, i) => byIndex[i]).some((input) => procedureAccepts(target, input));
}
