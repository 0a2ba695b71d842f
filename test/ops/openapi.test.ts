import { Validator } from '@seriousme/openapi-schema-validator';
import { inspectRoutes } from 'hono/dev';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { errorResponseSchema } from '../../shared/errors.ts';
import { buildOpenApiDocument, toOpenApiPath, type OpenApiDocument } from '../../server/openapi/document.ts';
import type { RouteDoc } from '../../server/openapi/route-doc.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';

/**
 * Routes the app serves that are deliberately not in the document, each with its reason.
 * Anything else the app serves must be described in a `<feature>.openapi.ts` listed in
 * server/openapi/routes.ts.
 */
const undocumented: Record<string, string> = {
  'ALL /trpc/*': 'the tRPC endpoint: its contract is the typed router (client/), not REST',
  'GET /metrics': 'Prometheus text for operators, not part of the API',
  'GET /openapi.json': 'the document itself',
  'GET /docs': 'the page that renders the document',
  'GET /admin': 'the admin dashboard page (HTML); the figures it draws are documented under /admin/api',
  'GET /admin/assets/:name': "the dashboard page's static script and style files",
};

let t: TestApp;
let doc: OpenApiDocument;
beforeAll(async () => {
  t = await createTestApp();
  const res = await t.app.request('/openapi.json');
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
  doc = (await res.json()) as OpenApiDocument;
});
afterAll(() => t.close());

async function expectValid(document: unknown) {
  const validator = new Validator();
  const result = await validator.validate(document as Record<string, unknown>);
  expect(result.errors, JSON.stringify(result.errors, null, 2)).toBeUndefined();
  expect(result.valid).toBe(true);
  expect(validator.version).toBe('3.1');
}

describe('/openapi.json', () => {
  it('validates as OpenAPI 3.1', async () => {
    expect(doc.openapi).toBe('3.1.0');
    await expectValid(doc);
  });

  it('describes every REST route the app serves, and nothing it does not serve', () => {
    const served = inspectRoutes(t.app)
      .filter((r) => !r.isMiddleware)
      .map((r) => `${r.method} ${r.path}`)
      .filter((route) => !(route in undocumented));
    expect(served.length).toBeGreaterThan(0);
    const documented = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(served.map((route) => route.replace(/ (.*)$/, (_, path: string) => ` ${toOpenApiPath(path)}`)).sort()).toEqual(
      documented.sort(),
    );
    // The exemptions above are real routes: a stale entry would hide nothing, but misleads.
    const all = inspectRoutes(t.app).map((r) => `${r.method} ${r.path}`);
    for (const route of Object.keys(undocumented)) expect(all, route).toContain(route);
  });

  it('describes GET /health with the shared health schema and its 503', () => {
    const op = doc.paths['/health']?.get;
    expect(op?.operationId).toBe('getHealth');
    expect(op?.security).toBeUndefined();
    const ok = op?.responses['200']?.content?.['application/json'].schema;
    expect(ok).toMatchObject({ type: 'object', required: expect.arrayContaining(['status', 'redis', 'db', 'uptimeSeconds', 'version']) });
    expect(op?.responses['503']?.description).toMatch(/down/);
    expect(op?.responses.default?.content?.['application/json'].schema).toEqual({ $ref: '#/components/schemas/ErrorResponse' });
  });

  it('has the shared error shape as a component and a bearer security scheme', () => {
    expect(doc.components.schemas.ErrorResponse).toMatchObject({
      type: 'object',
      properties: { error: { type: 'object', required: ['code', 'message'] } },
    });
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
  });
});

describe('/docs', () => {
  it('answers 200 with a self-contained page listing every documented operation', async () => {
    const res = await t.app.request('/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        expect(html).toContain(`data-method="${method}" data-path="${path}"`);
        // The page HTML-escapes text, as it must: compare with the escaped summary.
        expect(html).toContain(op.summary.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`));
      }
    }
    expect(html).toContain('href="/openapi.json"');
  });
});

describe('buildOpenApiDocument', () => {
  // A feature-shaped fixture: what the posts and auth routes will look like.
  const postSchema = z.object({ id: z.number().int(), title: z.string().min(1).max(200), tags: z.array(z.string()) });
  const idParams = z.object({ id: z.coerce.number().int().positive().describe('The post id') });
  const tag = z.string().regex(/^[a-z0-9-]{1,32}$/).meta({ id: 'Tag' });
  const routes: RouteDoc[] = [
    {
      method: 'get',
      path: '/posts',
      summary: 'List posts',
      tags: ['posts'],
      request: { query: z.object({ page: z.coerce.number().int().min(1).default(1), tags: z.string().optional() }) },
      responses: { 200: { description: 'A page', schema: z.object({ source: z.enum(['cache', 'database']), data: z.array(postSchema) }) } },
    },
    {
      method: 'get',
      path: '/posts/:id',
      summary: 'One post',
      tags: ['posts'],
      request: { params: idParams },
      responses: {
        200: { description: 'The post', schema: postSchema },
        404: { description: 'No such post', schema: errorResponseSchema },
      },
    },
    {
      method: 'put',
      path: '/posts/:id',
      summary: 'Update a post',
      tags: ['posts'],
      auth: true,
      request: { params: idParams, body: z.object({ title: z.string().min(1).max(200), tags: z.array(tag).max(10).optional() }) },
      responses: { 200: { description: 'Updated', schema: postSchema }, 403: { description: 'Not the author', schema: errorResponseSchema } },
    },
    {
      method: 'post',
      path: '/auth/logout',
      summary: 'Log out',
      tags: ['auth'],
      auth: true,
      responses: { 204: { description: 'Logged out', schema: null } },
    },
  ];
  const info = { title: 'fixture', version: '0.0.0', description: 'fixture' };

  it('produces a valid OpenAPI 3.1 document for feature-shaped routes', async () => {
    await expectValid(buildOpenApiDocument(routes, info));
  });

  it('turns Hono paths into OpenAPI paths and params, query, body and auth into their parts', () => {
    const d = buildOpenApiDocument(routes, info);
    expect(Object.keys(d.paths)).toEqual(['/posts', '/posts/{id}', '/auth/logout']);
    expect(d.tags).toEqual([{ name: 'posts' }, { name: 'auth' }]);

    const list = d.paths['/posts']!.get!;
    expect(list.parameters).toEqual([
      { name: 'page', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER, default: 1 } },
      { name: 'tags', in: 'query', required: false, schema: { type: 'string' } },
    ]);
    expect(list.responses['400']?.content?.['application/json'].schema).toEqual({ $ref: '#/components/schemas/ErrorResponse' });

    const update = d.paths['/posts/{id}']!.put!;
    expect(update.operationId).toBe('putPostsById');
    expect(update.parameters).toEqual([
      { name: 'id', in: 'path', required: true, description: 'The post id', schema: { type: 'integer', exclusiveMinimum: 0, maximum: Number.MAX_SAFE_INTEGER } },
    ]);
    expect(update.security).toEqual([{ bearerAuth: [] }, { sessionCookie: [] }]);
    expect(Object.keys(update.responses).sort()).toEqual(['200', '400', '401', '403', '415', 'default']);
    expect(update.responses['403']?.content?.['application/json'].schema).toEqual({ $ref: '#/components/schemas/ErrorResponse' });
    // A schema with an id becomes a component, referenced where it is used.
    const body = update.requestBody!.content['application/json'].schema as { properties: { tags: { items: unknown } } };
    expect(body.properties.tags.items).toEqual({ $ref: '#/components/schemas/Tag' });
    expect(d.components.schemas.Tag).toEqual({ type: 'string', pattern: '^[a-z0-9-]{1,32}$' });
    expect(JSON.stringify(d)).not.toContain('$defs');

    const logout = d.paths['/auth/logout']!.post!;
    expect(logout.responses['204']).toEqual({ description: 'Logged out' });
    expect(logout.parameters).toBeUndefined();
    expect(logout.responses['400']).toBeUndefined();
    // 415 where there is a body to send as JSON, and only there.
    expect(update.responses['415']?.content?.['application/json'].schema).toEqual({ $ref: '#/components/schemas/ErrorResponse' });
    expect(logout.responses['415']).toBeUndefined();
  });

  it('refuses a route described twice', () => {
    expect(() => buildOpenApiDocument([routes[0]!, routes[0]!], info)).toThrow('OpenAPI: GET /posts is described twice');
  });

  it('refuses a path parameter without a schema', () => {
    const { request: _request, ...noParams } = routes[1]!;
    expect(() => buildOpenApiDocument([noParams], info)).toThrow(
      'OpenAPI: GET /posts/:id has path parameters [id] but request.params describes []',
    );
  });

  it('converts Hono path patterns', () => {
    expect(toOpenApiPath('/users/:id/posts')).toBe('/users/{id}/posts');
    expect(toOpenApiPath('/posts/:id{[0-9]+}/views')).toBe('/posts/{id}/views');
    expect(toOpenApiPath('/posts/trending')).toBe('/posts/trending');
  });
});
