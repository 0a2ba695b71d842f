import { z } from 'zod';
import { errorResponseSchema } from '../../shared/errors.ts';
import type { RouteDoc } from './route-doc.ts';

export type JsonSchema = { [key: string]: unknown };

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  description?: string;
  schema: JsonSchema;
  /** `?tags=a,b`: an array as one comma-separated value. */
  style?: 'form';
  explode?: false;
}

export interface MediaType {
  schema: JsonSchema;
  example?: unknown;
}

export interface ResponseObject {
  description: string;
  headers?: Record<string, JsonSchema>;
  content?: Record<string, MediaType>;
}

export interface Operation {
  operationId: string;
  summary: string;
  description: string;
  tags: string[];
  security: Record<string, string[]>[];
  parameters?: Parameter[];
  requestBody?: { required: true; content: Record<string, MediaType> };
  responses: Record<string, ResponseObject>;
}

export type Method = RouteDoc['method'];

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string; contact?: { name: string } };
  servers: { url: string; description: string }[];
  tags: { name: string; description: string }[];
  paths: Record<string, Partial<Record<Method, Operation>>>;
  components: {
    schemas: Record<string, JsonSchema>;
    securitySchemes: Record<string, JsonSchema>;
    headers: Record<string, JsonSchema>;
  };
}

const ERROR_REF = { $ref: '#/components/schemas/ErrorResponse' };

const securitySchemes = {
  bearerAuth: {
    type: 'http',
    scheme: 'bearer',
    description: 'The `sessionId` that `POST /auth/login` answers, as `Authorization: Bearer <sessionId>`.',
  },
  sessionCookie: { type: 'apiKey', in: 'cookie', name: 'sid', description: 'The session cookie set at login.' },
};

const integer = { type: 'integer' } as const;
const string = { type: 'string' } as const;
/** Headers many answers carry, declared once under `components.headers`. */
const sharedHeaders: Record<string, JsonSchema> = {
  'X-Request-Id': {
    description: "The request's id: the caller's `X-Request-Id` when well-formed, else a new UUID. Logged with every line about the request.",
    required: true,
    schema: string,
  },
  'RateLimit-Policy': { description: 'The policy that applied, as `<limit>;w=<seconds>` per window (IETF draft)', schema: string },
  'RateLimit-Limit': { description: 'Requests allowed in the window that decided', schema: integer },
  'RateLimit-Remaining': { description: 'Requests left in that window', schema: integer },
  'RateLimit-Reset': { description: 'Seconds until the window frees a request', schema: integer },
  'X-RateLimit-Limit': { description: "The tutorial's name for RateLimit-Limit", schema: integer },
  'X-RateLimit-Remaining': { description: "The tutorial's name for RateLimit-Remaining", schema: integer },
  'X-RateLimit-Reset': { description: "When the window frees a request, in epoch milliseconds (the tutorial's unit)", schema: integer },
  'Retry-After': { description: 'Seconds to wait before trying again', required: true, schema: integer },
};
const ref = (name: string) => ({ $ref: `#/components/headers/${name}` });
const rateLimitHeaders = Object.fromEntries(
  ['RateLimit-Policy', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset'].map(
    (name) => [name, ref(name)],
  ),
);

/** `/posts/:id` -> `/posts/{id}` (a Hono pattern like `:id{[0-9]+}` loses its regex). */
export function toOpenApiPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?/g, '{$1}');
}

/** `get /posts/:id/views` -> `getPostsByIdViews`. */
function operationId(method: Method, path: string): string {
  const words = path
    .split('/')
    .filter(Boolean)
    .map((part) => (part.startsWith(':') ? `by-${part.slice(1).replace(/\{.*$/, '')}` : part))
    .flatMap((part) => part.split(/[^A-Za-z0-9]+/))
    .filter(Boolean);
  return method + (words.length === 0 ? 'Root' : words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join(''));
}

export interface DocumentMeta {
  info: OpenApiDocument['info'];
  servers: OpenApiDocument['servers'];
  /** Every tag the routes use, with its description, in the order the reference shows them. */
  tags: OpenApiDocument['tags'];
}

/**
 * Builds the OpenAPI 3.1 document from the routes' definitions. Schemas come from the shared zod
 * schemas through zod's own `z.toJSONSchema` in its default JSON Schema 2020-12 dialect, which is
 * the dialect of OpenAPI 3.1: request parts as the schema's input (what a caller may send), answers
 * as its output. What the request path adds to every route is added here, from the definition's
 * flags: X-Request-Id on every answer; on rate-limited routes the RateLimit headers and the 429;
 * on routes that may carry a body 413, on body routes 415; on routes with input 400; on routes needing a session 401. Throws on
 * a definition that cannot be right (a duplicate route, a path parameter without a schema, a tag
 * without a description), so a mistake fails every test that builds the app.
 */
export function buildOpenApiDocument(routes: readonly RouteDoc[], meta: DocumentMeta): OpenApiDocument {
  const schemas: Record<string, JsonSchema> = {};
  schemas.ErrorResponse = toSchemaObject(errorResponseSchema, 'output', schemas);
  const paths: OpenApiDocument['paths'] = {};
  const described = new Set(meta.tags.map((t) => t.name));

  for (const route of routes) {
    const path = toOpenApiPath(route.path);
    const item = (paths[path] ??= {});
    if (item[route.method]) throw new Error(`OpenAPI: ${route.method.toUpperCase()} ${route.path} is described twice`);
    for (const tag of route.tags) if (!described.has(tag)) throw new Error(`OpenAPI: tag "${tag}" has no description`);
    item[route.method] = operation(route, schemas);
  }

  const used = new Set(routes.flatMap((r) => r.tags));
  return {
    openapi: '3.1.0',
    info: meta.info,
    servers: meta.servers,
    tags: meta.tags.filter((t) => used.has(t.name)),
    paths,
    components: { schemas, securitySchemes, headers: sharedHeaders },
  };
}

function security(auth: RouteDoc['auth']): Operation['security'] {
  const session: Operation['security'] = [{ bearerAuth: [] }, { sessionCookie: [] }];
  if (auth === true) return session;
  // `{}` first: the operation answers without credentials too.
  if (auth === 'optional') return [{}, ...session];
  return [];
}

function operation(route: RouteDoc, schemas: Record<string, JsonSchema>): Operation {
  const where = `${route.method.toUpperCase()} ${route.path}`;
  const pathNames = [...route.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]!);
  const parameters = [
    ...parametersOf(route.request?.params, 'path', schemas),
    ...parametersOf(route.request?.query, 'query', schemas),
    ...parametersOf(route.request?.headers, 'header', schemas),
  ];
  const described = parameters.filter((p) => p.in === 'path').map((p) => p.name);
  if (pathNames.toSorted().join() !== described.toSorted().join()) {
    throw new Error(`OpenAPI: ${where} has path parameters [${pathNames}] but request.params describes [${described}]`);
  }
  const limited = route.rateLimited !== false;

  const responses: Record<string, ResponseObject> = {};
  for (const [status, answer] of Object.entries(route.responses)) {
    const headers: Record<string, JsonSchema> = { 'X-Request-Id': ref('X-Request-Id'), ...(limited && rateLimitHeaders) };
    for (const [name, header] of Object.entries(answer.headers ?? {})) {
      headers[name] = name in sharedHeaders && !header.required === !sharedHeaders[name]!.required ? ref(name) : { ...header };
    }
    responses[status] = {
      description: answer.description,
      headers,
      ...(answer.schema && {
        content: { [answer.mediaType ?? 'application/json']: withExample(convert(answer.schema, 'output', schemas), answer.example) },
      }),
    };
  }
  // What every route can answer, in the shared error shape, unless the route says more.
  const error = (description: string, extra: Record<string, JsonSchema> = {}): ResponseObject => ({
    description,
    headers: { 'X-Request-Id': ref('X-Request-Id'), ...(limited && rateLimitHeaders), ...extra },
    content: { 'application/json': { schema: ERROR_REF } },
  });
  const hasInput = parameters.length > 0 || route.request?.body !== undefined;
  if (hasInput) responses['400'] ??= error('Invalid input: `details` names each field');
  if (route.auth === true) responses['401'] ??= error('No valid session: no token, a malformed one, or one whose session has ended (expired, revoked); `details` names the credential');
  // The body limit stands before every route that may carry a body, whether or not it reads one.
  if (route.method !== 'get') responses['413'] ??= error('The body is larger than BODY_LIMIT_BYTES');
  if (route.request?.body) responses['415'] ??= error('The body is not sent as `Content-Type: application/json`');
  if (limited) {
    responses['429'] ??= error('Over the rate limit of this route\'s group (read, write, login or register): see Retry-After', {
      'Retry-After': ref('Retry-After'),
    });
    responses['503'] ??= error('Redis cannot be reached and this route\'s rate-limit group fails closed (RATE_LIMIT_FAIL_CLOSED)');
  }
  responses.default ??= error('Any other error (500, in the same shape, without internals)');
  for (const [status, answer] of Object.entries(responses)) {
    if (status === '429' && answer.headers) answer.headers['Retry-After'] ??= ref('Retry-After');
  }

  return {
    operationId: operationId(route.method, route.path),
    summary: route.summary,
    description: route.description,
    tags: route.tags,
    security: security(route.auth),
    ...(parameters.length > 0 && { parameters }),
    ...(route.request?.body && {
      requestBody: {
        required: true as const,
        content: { 'application/json': withExample(convert(route.request.body, 'input', schemas), route.request.example) },
      },
    }),
    responses,
  };
}

function withExample(schema: JsonSchema, example: unknown): MediaType {
  return example === undefined ? { schema } : { schema, example };
}

/** One parameter per property of a params, query or headers object, as a caller writes it (input). */
function parametersOf(object: z.ZodObject | undefined, where: Parameter['in'], schemas: Record<string, JsonSchema>): Parameter[] {
  if (!object) return [];
  const converted = convert(object, 'input', schemas);
  const properties = (converted.properties ?? {}) as Record<string, JsonSchema>;
  const required = (converted.required ?? []) as string[];
  return Object.entries(properties).map(([name, schema]) => {
    const { description, ...rest } = schema;
    return {
      name,
      in: where,
      // OpenAPI requires path parameters to be required.
      required: where === 'path' || required.includes(name),
      ...(typeof description === 'string' && { description }),
      schema: rest,
    };
  });
}

/** One zod schema as a schema object; the shared error shape is a reference to its component. */
function convert(schema: z.ZodType, io: 'input' | 'output', schemas: Record<string, JsonSchema>): JsonSchema {
  return schema === errorResponseSchema ? ERROR_REF : toSchemaObject(schema, io, schemas);
}

/**
 * zod's JSON Schema 2020-12 for `schema`. Definitions zod extracts (schemas with
 * `.meta({ id })`, recursive ones) move to `components.schemas`: inside an OpenAPI document,
 * `#/$defs/...` would point at the document's root, not at the schema.
 */
function toSchemaObject(schema: z.ZodType, io: 'input' | 'output', schemas: Record<string, JsonSchema>): JsonSchema {
  const { $schema: _dialect, $defs, ...converted } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  for (const [name, def] of Object.entries(($defs ?? {}) as Record<string, JsonSchema>)) {
    const hoisted = rewriteRefs(def) as JsonSchema;
    const existing = schemas[name];
    if (existing && JSON.stringify(existing) !== JSON.stringify(hoisted)) {
      throw new Error(`OpenAPI: two different schemas are named "${name}"; give each a distinct .meta({ id })`);
    }
    schemas[name] = hoisted;
  }
  return rewriteRefs(converted) as JsonSchema;
}

function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, v]) => [
      key,
      key === '$ref' && typeof v === 'string' ? v.replace(/^#\/\$defs\//, '#/components/schemas/') : rewriteRefs(v),
    ]),
  );
}
