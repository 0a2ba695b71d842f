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
}

export interface ResponseObject {
  description: string;
  content?: { 'application/json': { schema: JsonSchema } };
}

export interface Operation {
  operationId: string;
  summary: string;
  tags: string[];
  security?: Record<string, string[]>[];
  parameters?: Parameter[];
  requestBody?: { required: true; content: { 'application/json': { schema: JsonSchema } } };
  responses: Record<string, ResponseObject>;
}

export type Method = RouteDoc['method'];

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  tags: { name: string }[];
  paths: Record<string, Partial<Record<Method, Operation>>>;
  components: {
    schemas: Record<string, JsonSchema>;
    securitySchemes: Record<string, JsonSchema>;
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

/**
 * Builds the OpenAPI 3.1 document from the routes' descriptions. Schemas come from the shared zod
 * schemas through zod's own `z.toJSONSchema` in its default JSON Schema 2020-12 dialect, which is
 * the dialect of OpenAPI 3.1: request parts as the schema's input (what a caller may send), answers
 * as its output. Throws on a description that cannot be right (a duplicate route, a path parameter
 * without a schema), so a mistake fails every test that builds the app.
 */
export function buildOpenApiDocument(
  routes: readonly RouteDoc[],
  info: OpenApiDocument['info'],
): OpenApiDocument {
  const schemas: Record<string, JsonSchema> = {};
  schemas.ErrorResponse = toSchemaObject(errorResponseSchema, 'output', schemas);
  const paths: OpenApiDocument['paths'] = {};
  const tags: string[] = [];

  for (const route of routes) {
    const path = toOpenApiPath(route.path);
    const item = (paths[path] ??= {});
    if (item[route.method]) throw new Error(`OpenAPI: ${route.method.toUpperCase()} ${route.path} is described twice`);
    for (const tag of route.tags) if (!tags.includes(tag)) tags.push(tag);
    item[route.method] = operation(route, schemas);
  }

  return {
    openapi: '3.1.0',
    info,
    tags: tags.map((name) => ({ name })),
    paths,
    components: { schemas, securitySchemes },
  };
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

  const responses: Record<string, ResponseObject> = {};
  for (const [status, { description, schema }] of Object.entries(route.responses)) {
    responses[status] = schema === null ? { description } : { description, content: json(convert(schema, 'output', schemas)) };
  }
  // What every route can answer, in the shared error shape, unless the route says more.
  const hasInput = parameters.length > 0 || route.request?.body !== undefined;
  if (hasInput) responses['400'] ??= { description: 'Invalid input: `details` names each field', content: json(ERROR_REF) };
  if (route.request?.body) responses['415'] ??= { description: 'The body is not sent as `Content-Type: application/json`', content: json(ERROR_REF) };
  if (route.auth) responses['401'] ??= { description: 'No valid session', content: json(ERROR_REF) };
  responses.default ??= { description: 'Any other error', content: json(ERROR_REF) };

  return {
    operationId: operationId(route.method, route.path),
    summary: route.summary,
    tags: route.tags,
    ...(route.auth && { security: [{ bearerAuth: [] }, { sessionCookie: [] }] }),
    ...(parameters.length > 0 && { parameters }),
    ...(route.request?.body && {
      requestBody: { required: true as const, content: json(convert(route.request.body, 'input', schemas)) },
    }),
    responses,
  };
}

function json(schema: JsonSchema) {
  return { 'application/json': { schema } };
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
