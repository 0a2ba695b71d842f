import fc from 'fast-check';
import type { z } from 'zod';

/**
 * The bad inputs, as fast-check arbitraries. Everything a caller controls arrives as bytes, so a
 * payload is bytes plus a label saying which family it came from (printed with a counterexample).
 */
export interface Payload {
  label: string;
  bytes: Uint8Array<ArrayBuffer>;
}

const encoder = new TextEncoder();

/** A payload that prints as its label, size and first bytes (a counterexample of 300 KB stays readable). */
export function toPayload(label: string, bytes: Uint8Array<ArrayBuffer>): Payload {
  const preview = () => JSON.stringify(new TextDecoder().decode(bytes.subarray(0, 120)));
  return Object.defineProperty({ label, bytes }, fc.toStringMethod, {
    value: () => `${label} (${bytes.length} bytes): ${preview()}${bytes.length > 120 ? '...' : ''}`,
  });
}
const payload = (label: string, text: string): Payload => toPayload(label, encoder.encode(text));

/** Strings that sit on the edges the schemas draw (ids, limits, enums, stream ids) or break naive code. */
const edgeStrings = [
  '', ' ', 'a', 'Hello', 'user@example.com', 'not-an-email', 'password123', 'posts', 'trending', 'posts,trending', 'nope,posts',
  '1h', '24h', '7d', '30d', '1', '0', '-1', '1.5', '1e3', '2147483647', '2147483648', '99999999999999999999', 'NaN', 'Infinity',
  '0x10', '0-0', '1700000000000-0', '18446744073709551615-0', '1-', 'tag-1', 'UPPER', '__proto__', 'constructor', 'prototype',
  '\u0000', '\ud800', '\udfff', '😀', '\u202e', '<script>alert(1)</script>', "' OR 1=1 --", '%', '%00', 'null', 'true', '[]', '{}',
  'x'.repeat(201), 'AAAAAAAAAAAAAAAAAAAAAA', 'A'.repeat(23),
];

/** Numbers on the schemas' edges: ids, page limits, latitudes, SQL's int range, doubles. */
const edgeNumbers = [
  0, -0, 1, -1, 2, 10, 50, 51, 100, 1000, 1001, 2_147_483_647, 2_147_483_648, -2_147_483_649, 2 ** 53, -(2 ** 53), 1.5, -0.5,
  1e-300, 1e308, -1e308, 85.05112878, 85.06, 90, 180, 180.0001, -180.0001, 6_371_000, 20_000_000,
];

const anyString = fc.oneof(fc.constantFrom(...edgeStrings), fc.string({ unit: 'binary', maxLength: 40 }));
const anyNumber = fc.oneof(fc.constantFrom(...edgeNumbers), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }));
/** Addresses most validators take, in mixed case and with stray spaces (the schema trims and lowercases). */
const plausibleEmail = fc
  .tuple(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._+-]{0,15}$/), fc.constantFrom('example.com', 'EXAMPLE.org', 'mail.example.io'), fc.constantFrom('', ' '))
  .map(([local, domain, pad]) => `${pad}${local}@${domain}${pad}`);
/** One value of each JSON type, to put where a field expects another. */
const wrongTyped = fc.constantFrom<unknown>(null, true, false, 0, -1, 1.5, '', 'x', '1', [], [1, 'a'], {}, { a: 1 }, [[[]]]);

/** The zod 4 internals we walk: a node's type and its children. */
interface ZodDef {
  type: string;
  /** A string format (`email`, `uuid`, ...). */
  format?: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  out?: z.ZodType;
  element?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  options?: z.ZodType[];
  entries?: Record<string, string | number>;
  values?: unknown[];
  valueType?: z.ZodType;
  items?: z.ZodType[];
}
const defOf = (schema: z.ZodType) => (schema as unknown as { _zod: { def: ZodDef } })._zod.def;

/** The keys of an object schema (through optional, default, pipe and refinements), or none. */
function fieldsOf(schema: z.ZodType | undefined): string[] {
  if (!schema) return [];
  const def = defOf(schema);
  if (def.shape) return Object.keys(def.shape);
  const inner = def.innerType ?? def.in;
  return inner ? fieldsOf(inner) : [];
}

/**
 * Values shaped like the schema with each leaf drawn from edge cases: mostly refused, some
 * accepted, so both the refusal paths and the code behind a successful parse get exercised.
 */
function nearValid(schema: z.ZodType, depth = 0): fc.Arbitrary<unknown> {
  if (depth > 6) return wrongTyped;
  const def = defOf(schema);
  const inner = (s: z.ZodType) => nearValid(s, depth + 1);
  switch (def.type) {
    case 'string':
      // Valid addresses too, so logins and sign-ups get past the schema into the service.
      return def.format === 'email' ? fc.oneof(plausibleEmail, fc.emailAddress(), anyString) : anyString;
    case 'number':
    case 'int':
      return anyNumber;
    case 'boolean':
      return fc.boolean();
    case 'enum':
      return fc.oneof(fc.constantFrom(...Object.values(def.entries!)), anyString);
    case 'literal':
      return fc.constantFrom(...def.values!);
    case 'array':
      return fc.array(inner(def.element!), { maxLength: 12 });
    case 'object': {
      const shape = Object.fromEntries(Object.entries(def.shape!).map(([k, v]) => [k, inner(v)]));
      return fc.oneof(fc.record(shape), fc.record(shape, { requiredKeys: [] }));
    }
    case 'optional':
    case 'default':
    case 'prefault':
      return fc.option(inner(def.innerType!), { nil: undefined, freq: 4 });
    case 'nullable':
      return fc.option(inner(def.innerType!), { nil: null, freq: 4 });
    case 'readonly':
    case 'catch':
    case 'nonoptional':
      return inner(def.innerType!);
    case 'pipe': {
      // `z.string().trim().pipe(z.email())`: the format lives on the output side.
      const out = def.out && defOf(def.out);
      return out?.format ? inner(def.out!) : inner(def.in!);
    }
    case 'union':
      return fc.oneof(...def.options!.map(inner));
    case 'record':
      return fc.dictionary(anyString, inner(def.valueType!), { maxKeys: 5 });
    case 'tuple':
      return fc.tuple(...def.items!.map(inner));
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

/** A near-valid object with one field given a value of the wrong type. */
function wrongField(schema: z.ZodType): fc.Arbitrary<unknown> {
  const fields = fieldsOf(schema);
  if (fields.length === 0) return wrongTyped;
  return fc
    .tuple(nearValid(schema), fc.constantFrom(...fields), wrongTyped)
    .map(([base, field, value]) => ({ ...(isRecord(base) ? base : {}), [field]: value }));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const toJson = (value: unknown) => JSON.stringify(value) ?? 'null';

/** A JSON text with `inner` (a JSON text) at one of the schema's fields, or as the whole value. */
function atAField(schema: z.ZodType | undefined, inner: fc.Arbitrary<string>): fc.Arbitrary<string> {
  const fields = fieldsOf(schema);
  if (fields.length === 0) return inner;
  return fc.tuple(fc.constantFrom(null, ...fields), inner).map(([field, text]) => (field === null ? text : `{${JSON.stringify(field)}:${text}}`));
}

/** String lengths around the body limit: well within, on the edge, beyond (which must be 413). */
function hugeLength(bodyLimit: number): fc.Arbitrary<number> {
  return fc.oneof(
    fc.integer({ min: 1_000, max: bodyLimit - 100 }),
    fc.integer({ min: bodyLimit - 64, max: bodyLimit + 64 }),
    fc.integer({ min: bodyLimit + 1, max: bodyLimit * 2 }),
  );
}

/** `[[[...]]]` or `{"a":{"a":...}}`, thousands of levels deep, written as text (no recursion here). */
const deepText = fc
  .tuple(fc.integer({ min: 1_000, max: 20_000 }), fc.boolean())
  .map(([depth, arrays]) => (arrays ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + 'null' + '}'.repeat(depth)));

const pollutionKeys = ['__proto__', 'constructor', 'prototype'] as const;
/** `{"polluted":"yes","isAdmin":true}` and friends, to see whether they ever reach Object.prototype. */
const pollutionValue = fc.constantFrom(
  '{"polluted":"yes","isAdmin":true,"roles":["admin"]}',
  '{"prototype":{"polluted":"yes"}}',
  '"polluted"',
  '[1]',
  'null',
);

/**
 * A near-valid object with `__proto__`, `constructor` or `prototype` as own keys in the JSON
 * text (JSON.parse makes them own properties), at the top or inside a field.
 */
function withPollutionKeys(schema: z.ZodType | undefined): fc.Arbitrary<string> {
  const base = schema ? nearValid(schema) : fc.jsonValue({ maxDepth: 2 });
  const injected = fc
    .uniqueArray(fc.tuple(fc.constantFrom(...pollutionKeys), pollutionValue), { minLength: 1, maxLength: 3, selector: ([k]) => k })
    .map((pairs) => pairs.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(','));
  return fc.tuple(base, injected, fc.constantFrom(null, ...fieldsOf(schema))).map(([value, keys, field]) => {
    const object = isRecord(value) ? toJson(value) : '{}';
    const spliced = object === '{}' ? `{${keys}}` : `{${keys},${object.slice(1)}`;
    if (field === null) return spliced;
    return object === '{}' ? `{${JSON.stringify(field)}:${spliced}}` : `{${JSON.stringify(field)}:${spliced},${object.slice(1)}`;
  });
}

const malformed = fc.constantFrom(
  '{', '}', '{"a":}', "{'a':1}", '[1,2', 'NaN', 'undefined', '{"a":1,}', '{"a":1}{"b":2}', '"unterminated', '{"a":01}',
  '1e99999', '--1', '{"__proto__":', 'tru', '{"a" 1}', '\u0000', '/* comment */ {}', '{"a":"\\x41"}', '{"a":"\\ud800"}', ' ',
);

/** Byte sequences no UTF-8 decoder accepts: stray continuation, overlong, surrogate, truncated, out of range. */
export const invalidUtf8Sequences: readonly number[][] = [
  [0xff], [0xfe], [0x80], [0xc3, 0x28], [0xc0, 0xaf], [0xe0, 0x80, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf0, 0x9f, 0x98],
  [0xf8, 0x88, 0x80, 0x80, 0x80], [0xf4, 0x90, 0x80, 0x80],
];

/** A JSON text with invalid UTF-8 spliced in, mostly inside a string value (where a decoder meets it). */
function withInvalidUtf8(text: fc.Arbitrary<string>): fc.Arbitrary<Payload> {
  return fc.tuple(text, fc.nat(), fc.constantFrom(...invalidUtf8Sequences)).map(([json, at, bad]) => {
    const bytes = encoder.encode(json);
    // Prefer a spot just after an opening quote, so the bad bytes sit in a string.
    const quotes = [...bytes.keys()].filter((i) => bytes[i] === 0x22);
    const cut = quotes.length > 0 ? quotes[at % quotes.length]! + 1 : at % (bytes.length + 1);
    return toPayload('invalid UTF-8', Uint8Array.from([...bytes.subarray(0, cut), ...bad, ...bytes.subarray(cut)]));
  });
}

/**
 * Every family of bad JSON input for something that reads one JSON value described by `schema`
 * (a REST body, a tRPC input): random JSON, shaped values with wrong types, huge strings, deep
 * nesting, prototype-pollution keys, malformed JSON, invalid UTF-8 and the empty body.
 */
export function jsonPayload(schema: z.ZodType | undefined, bodyLimit: number): fc.Arbitrary<Payload> {
  const shaped = schema ? nearValid(schema) : fc.jsonValue({ maxDepth: 3 });
  const shapedText = shaped.map(toJson);
  const huge = atAField(schema, hugeLength(bodyLimit).map((n) => JSON.stringify('x'.repeat(n))));
  return fc.oneof(
    fc.jsonValue({ maxDepth: 4 }).map((v) => payload('random JSON', toJson(v))),
    fc.anything({ maxDepth: 3, withNullPrototype: true }).map((v) => payload('fc.anything as JSON', safeJson(v))),
    // Weighted up: the only families that get past the schema now and then, into the services.
    { weight: 3, arbitrary: shapedText.map((text) => payload('near-valid', text)) },
    { weight: 2, arbitrary: (schema ? wrongField(schema) : wrongTyped).map((v) => payload('wrong type', toJson(v))) },
    huge.map((text) => payload('huge string', text)),
    atAField(schema, deepText).map((text) => payload('deep nesting', text)),
    withPollutionKeys(schema).map((text) => payload('prototype keys', text)),
    fc.oneof(malformed, fc.tuple(shapedText, fc.nat()).map(([t, n]) => t.slice(0, n % Math.max(1, t.length)))).map((t) => payload('malformed JSON', t)),
    withInvalidUtf8(shapedText),
    fc.constant(payload('empty body', '')),
  );
}

/** JSON.stringify that survives what fc.anything makes (bigint, cycles cannot occur, undefined). */
function safeJson(value: unknown): string {
  try {
    return toJson(value);
  } catch {
    return 'null';
  }
}

/** Content types a JSON route may be sent; most requests say JSON, as real clients do. */
export const contentType = fc.oneof(
  { weight: 4, arbitrary: fc.constant<string | undefined>('application/json') },
  {
    weight: 1,
    arbitrary: fc.constantFrom<string | undefined>(
      undefined, 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml',
      'application/json; charset=latin1', 'application/json; charset=utf-16', 'application/octet-stream', '*/*', 'garbage',
    ),
  },
);

/** Percent-encodes bytes as a URL component (so invalid UTF-8 survives as %FF). */
export function percentEncode(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9\-_.~]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

const badPercent = fc.constantFrom('%FF', '%C3%28', '%C0%AF', '%ED%A0%80', '%E2%82', '%', '%G1', '%%', '%0', '%00', '%2F', '%2e%2e');

/**
 * Every own name of Object.prototype (`constructor`, `toString`, `__proto__`, `hasOwnProperty`,
 * `valueOf`, ...): a lookup in a plain object keyed by request data finds them. Read at run time,
 * so a name a later runtime adds is in too.
 */
export const prototypeNames: readonly string[] = Object.getOwnPropertyNames(Object.prototype);

/** A path segment that should be an id: non-numeric, negative, huge, float, invalid UTF-8, real ids. */
export const pathId = fc.oneof(
  fc.constantFrom(
    '1', '2', '3', '0', '-1', '1.5', '1e3', '1e400', '2147483647', '2147483648', '99999999999999999999', 'NaN', 'Infinity',
    '-Infinity', '0x10', '0b1', '%201', '1%20', '+1', '%EF%BC%91', 'abc', ...prototypeNames, 'prototype', 'null',
    'AAAAAAAAAAAAAAAAAAAAAA', 'a'.repeat(5000),
  ),
  badPercent,
  fc.integer().map(String),
  fc.double({ noNaN: true }).map(String),
  fc.string({ unit: 'binary', maxLength: 30, minLength: 1 }).map((s) => percentEncode(encoder.encode(s))),
  fc.tuple(fc.string({ maxLength: 5 }), badPercent).map(([a, b]) => percentEncode(encoder.encode(a)) + b),
);

/**
 * A raw query string (no `?`) for a route reading `schema`: shaped values, random keys and values,
 * prototype keys, repeated keys, a huge value, invalid percent-encodings.
 */
export function queryString(schema: z.ZodObject | undefined, bodyLimit: number): fc.Arbitrary<string> {
  const fields = fieldsOf(schema);
  const key = fields.length > 0 ? fc.oneof(fc.constantFrom(...fields), anyString) : anyString;
  const encode = (s: string) => percentEncode(encoder.encode(s));
  const pair = (k: fc.Arbitrary<string>, v: fc.Arbitrary<string>) => fc.tuple(k, v).map(([a, b]) => `${a}=${b}`);
  const shaped = (schema ? nearValid(schema) : fc.constant({})).map((value) =>
    Object.entries(isRecord(value) ? value : {})
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${encode(k)}=${encode(typeof v === 'string' ? v : Array.isArray(v) ? v.join(',') : toJson(v))}`),
  );
  const extra = fc.array(
    fc.oneof(
      pair(key.map(encode), anyString.map(encode)),
      pair(fc.constantFrom('__proto__', 'constructor', 'prototype', '__proto__[polluted]', 'constructor[prototype][polluted]'), fc.constantFrom('yes', '1', '')),
      pair(key.map(encode), badPercent),
      pair(badPercent, anyString.map(encode)),
      pair(key.map(encode), hugeLength(bodyLimit).map((n) => 'x'.repeat(n))),
      key.map(encode),
    ),
    { maxLength: 4 },
  );
  return fc.tuple(shaped, extra, fc.boolean()).map(([a, b, repeat]) => [...a, ...b, ...(repeat ? a : [])].join('&'));
}

/** A header value (what a Request can carry: printable ASCII and Latin-1). */
export const headerValue = fc.oneof(
  fc.constantFrom('', '0-0', '1-1', '1700000000000-0', '18446744073709551616-0', '-1', '0-', 'abc', '$', 'x'.repeat(2000), '\u00ff\u00fe'),
  fc.string({ maxLength: 40 }).map((s) => s.replace(/[^\x20-\x7e]/g, '').trim()),
);

/** A credential that is not one: garbage bearer tokens and cookies, shaped like real ones or not. */
export const badCredential = fc.oneof(
  fc.constantFrom('Bearer ', 'Bearer x', 'Bearer AAAAAAAAAAAAAAAAAAAAAA.x', 'Basic dXNlcjpwYXNz', 'bearer', `Bearer ${'a'.repeat(5000)}`),
  fc.string({ maxLength: 80 }).map((s) => `Bearer ${s.replace(/[^\x21-\x7e]/g, '')}`),
).map((authorization) => ({ authorization }));
