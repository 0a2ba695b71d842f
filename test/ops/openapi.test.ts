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
  'GET /docs/assets/:file': "the reference page's own script and stylesheet",
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
    // Public: an explicit empty requirement, as the linters want.
    expect(op?.security).toEqual([]);
    const ok = op?.responses['200']?.content?.['application/json']?.schema;
    expect(ok).toMatchObject({ type: 'object', required: expect.arrayContaining(['status', 'redis', 'db', 'uptimeSeconds', 'version']) });
    expect(op?.responses['503']?.description).toMatch(/down/);
    expect(op?.responses.default?.content?.['application/json']?.schema).toEqual({ $ref: '#/components/schemas/ErrorResponse' });
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
  it('answers Swagger UI over /openapi.json, its assets from this app, under a nonce-based policy', async () => {
    const res = await t.app.request('/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = res.headers.get('content-security-policy')!;
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toBeTruthy();
    expect(csp).toContain("script-src 'self' 'nonce-");
    expect(csp).not.toMatch(/unsafe-(inline|eval)|https?:/);
    const html = await res.text();
    expect(html).toContain(`<script nonce="${nonce}">`);
    expect(html).toContain("url: '/openapi.json'");
    // Every script and stylesheet is this app's own: no CDN.
    for (const [, src] of html.matchAll(/(?:src|href)="([^"]+)"/g)) expect(src).toMatch(/^\/docs\/assets\//);
    for (const [file, type] of [['swagger-ui-bundle.js', 'text/javascript'], ['swagger-ui.css', 'text/css']] as const) {
      const asset = await t.app.request(`/docs/assets/${file}`);
      expect(asset.status, file).toBe(200);
      expect(asset.headers.get('content-type')).toContain(type);
      expect((await asset.arrayBuffer()).byteLength).toBeGreaterThan(10_000);
    }
    // Only the listed files: no path into node_modules.
    expect((await t.app.request('/docs/assets/package.json')).status).toBe(404);
    expect((await t.app.request('/docs/assets/..%2Fpackage.json')).status).toBe(404);
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
      description: 'List posts',
      tags: ['posts'],
      request: { query: z.object({ page: z.coerce.number().int().min(1).default(1), tags: z.string().optional() }) },
      responses: { 200: { description: 'A page', schema: z.object({ source: z.enum(['cache', 'database']), data: z.array(postSchema) }) } },
    },
    {
      method: 'get',
      path: '/posts/:id',
      summary: 'One post',
      description: 'One post',
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
      description: 'Update a post',
      tags: ['posts'],
      auth: true,
      request: { params: idParams, body: z.object({ title: z.string().min(1).max(200), tags: z.array(tag).max(10).optional() }) },
      responses: { 200: { description: 'Updated', schema: postSchema }, 403: { description: 'Not the author', schema: errorResponseSchema } },
    },
    {
      method: 'post',
      path: '/auth/logout',
      summary: 'Log out',
      description: 'Log out',
      tags: ['auth'],
      auth: true,
      responses: { 204: { description: 'Logged out', schema: null } },
    },
  ];
  const meta = {
    info: { title: 'fixture', version: '0.0.0', description: 'fixture', },
    servers: [{ url: '/', description: 'here' }],
    tags: [
      { name: 'posts', description: 'Posts' },
      { name: 'auth', description: 'Auth' },
    ],
  };

  it('produces a valid OpenAPI 3.1 document for feature-shaped routes', async () => {
    await expectValid(buildOpenApiDocument(routes, meta));
  });

  it('turns Hono paths into OpenAPI paths and params, query, body and auth into their parts', () => {
    const d = buildOpenApiDocument(routes, meta);
    expect(Object.keys(d.paths)).toEqual(['/posts', '/posts/{id}', '/auth/logout']);
    expect(d.tags).toEqual(meta.tags);

    const list = d.paths['/posts']!.get!;
    expect(list.parameters).toEqual([
      { name: 'page', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER, default: 1 } },
      { name: 'tags', in: 'query', required: false, schema: { type: 'string' } },
    ]);
    expect(list.responses['400']?.content?.['application/json']?.schema).toEqual({ $ref: '#/components/schemas/ErrorResponse' });

    const update = d.paths['/posts/{id}']!.put!;
    expect(update.operationId).toBe('putPostsById');
    expect(update.parameters).toEqual([
      { name: 'id', in: 'path', required: true, description: 'The post id', schema: { type: 'integer', exclusiveMinimum: 0, maximum: Number.MAX_SAFE_INTEGER } },
    ]);
    expect(update.security).toEqual([{ bearerAuth: [] }, { sessionCookie: [] }]);
    expect(Object.keys(update.responses).sort()).toEqual(['200', '400', '401', '403', '413', '415', '429', '503', 'default']);
    expect(update.responses['429']?.headers).toMatchObject({ 'Retry-After': { $ref: '#/components/headers/Retry-After' }, 'RateLimit-Remaining': {} });
    expect(update.responses['200']?.headers?.['X-Request-Id']).toEqual({ $ref: '#/components/headers/X-Request-Id' });
    expect(update.responses['403']?.content?.['application/json']?.schema).toEqual({ $ref: '#/components/schemas/ErrorResponse' });
    // A schema with an id becomes a component, referenced where it is used.
    const body = update.requestBody!.content['application/json']!.schema as { properties: { tags: { items: unknown } } };
    expect(body.properties.tags.items).toEqual({ $ref: '#/components/schemas/Tag' });
    expect(d.components.schemas.Tag).toEqual({ type: 'string', pattern: '^[a-z0-9-]{1,32}$' });
    expect(JSON.stringify(d)).not.toContain('$defs');

    const logout = d.paths['/auth/logout']!.post!;
    expect(logout.responses['204']).toEqual({ description: 'Logged out', headers: expect.objectContaining({ 'X-Request-Id': expect.anything() }) });
    expect(logout.responses['204']?.content).toBeUndefined();
    expect(logout.parameters).toBeUndefined();
    expect(logout.responses['400']).toBeUndefined();
    // 415 where there is a body to send as JSON, and only there.
    expect(update.responses['415']?.content?.['application/json']?.schema).toEqual({ $ref: '#/components/schemas/ErrorResponse' });
    expect(logout.responses['415']).toBeUndefined();
    // The body limit stands before every non-GET route.
    expect(logout.responses['413']).toBeDefined();
    expect(list.responses['413']).toBeUndefined();
  });

  it('refuses a route described twice', () => {
    expect(() => buildOpenApiDocument([routes[0]!, routes[0]!], meta)).toThrow('OpenAPI: GET /posts is described twice');
  });

  it('refuses a path parameter without a schema', () => {
    const { request: _request, ...noParams } = routes[1]!;
    expect(() => buildOpenApiDocument([noParams], meta)).toThrow(
      'OpenAPI: GET /posts/:id has path parameters [id] but request.params describes []',
    );
  });

  it('converts Hono path patterns', () => {
    expect(toOpenApiPath('/users/:id/posts')).toBe('/users/{id}/posts');
    expect(toOpenApiPath('/posts/:id{[0-9]+}/views')).toBe('/posts/{id}/views');
    expect(toOpenApiPath('/posts/trending')).toBe('/posts/trending');
  });
});
