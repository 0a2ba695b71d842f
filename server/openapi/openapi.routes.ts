import { randomBytes } from 'node:crypto';
import { Hono } from 'hono';
import type { AppEnv } from '../http-env.ts';
import { version } from '../version.ts';
import { buildOpenApiDocument } from './document.ts';
import { docsAssets, docsContentSecurityPolicy, renderDocsPage } from './docs-page.ts';
import type { RouteDoc } from './route-doc.ts';
import { tagDocs } from './routes.ts';

const meta = {
  info: {
    title: 'redis-blog-api',
    version,
    description:
      'A Redis-backed blog API. These are its REST routes; the same services are tRPC procedures under `/trpc`, ' +
      'typed end to end by the client SDK. Errors share one shape: `{ error: { code, message, details?, retryAfter?, requestId } }`. ' +
      'Every route but the operational ones spends the rate-limit budget of its group and says so in its RateLimit headers.',
    contact: { name: 'The redis-blog-api maintainers' },
  },
  servers: [{ url: '/', description: 'The server that serves this document' }],
  tags: tagDocs,
};

/** The document the app serves, from the routes' definitions. */
export function openApiDocument(routes: readonly RouteDoc[]) {
  return buildOpenApiDocument(routes, meta);
}

/**
 * `GET /openapi.json`, `GET /docs` (Swagger UI) and the page's assets. The document is built once,
 * when the app is built, from the routes' definitions; a definition that cannot be right throws there.
 */
export function openApiRoutes(routes: readonly RouteDoc[]) {
  const document = openApiDocument(routes);
  const body = JSON.stringify(document);
  const page = renderDocsPage(document.info);
  const assets = docsAssets();
  return new Hono<AppEnv>()
    .get('/openapi.json', (c) => c.body(body, 200, { 'Content-Type': 'application/json; charset=utf-8' }))
    .get('/docs', (c) => {
      const nonce = randomBytes(16).toString('base64');
      c.header('Content-Security-Policy', docsContentSecurityPolicy(nonce));
      return c.html(page(nonce));
    })
    .get('/docs/assets/:file', async (c) => {
      const asset = await assets.read(c.req.param('file'));
      if (!asset) return c.notFound();
      return c.body(asset.body, 200, { 'Content-Type': asset.type, 'Cache-Control': 'public, max-age=3600' });
    });
}
