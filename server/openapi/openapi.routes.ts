import { randomBytes } from 'node:crypto';
import { Hono } from 'hono';
import type { AppEnv } from '../http-env.ts';
import { version } from '../version.ts';
import { buildOpenApiDocument } from './document.ts';
import { docsContentSecurityPolicy, renderDocsPage } from './docs-page.ts';
import type { RouteDoc } from './route-doc.ts';

const info = {
  title: 'redis-blog-api',
  version,
  description:
    'A Redis-backed blog API. These are its REST routes; the same services are tRPC procedures under /trpc, ' +
    'typed end to end by the client SDK. Errors share one shape: { error: { code, message, details?, retryAfter?, requestId } }.',
};

/**
 * `GET /openapi.json` and `GET /docs`. The document is built once, when the app is built, from
 * the routes' descriptions; a description that cannot be right throws there.
 */
export function openApiRoutes(routes: readonly RouteDoc[]) {
  const document = buildOpenApiDocument(routes, info);
  const body = JSON.stringify(document);
  const page = renderDocsPage(document);
  return new Hono<AppEnv>()
    .get('/openapi.json', (c) => c.body(body, 200, { 'Content-Type': 'application/json; charset=utf-8' }))
    .get('/docs', (c) => {
      const nonce = randomBytes(16).toString('base64');
      c.header('Content-Security-Policy', docsContentSecurityPolicy(nonce));
      return c.html(page(nonce));
    });
}
