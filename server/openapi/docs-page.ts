import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { OpenApiDocument } from './document.ts';

/** The files of the `swagger-ui-dist` package the page loads, by the name it asks for, with their types. */
const files = new Map([
  ['swagger-ui.css', 'text/css; charset=utf-8'],
  ['swagger-ui-bundle.js', 'text/javascript; charset=utf-8'],
]);

/**
 * Swagger UI's assets, read from node_modules on first use and kept (about 1.5 MB): the page
 * loads nothing from a CDN, so it works offline and behind the strict policy below.
 */
export function docsAssets() {
  const cache = new Map<string, Promise<Uint8Array<ArrayBuffer>>>();
  let root: string | undefined;
  return {
    async read(name: string): Promise<{ body: Uint8Array<ArrayBuffer>; type: string } | undefined> {
      const type = files.get(name);
      if (!type) return undefined;
      root ??= dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
      let body = cache.get(name);
      if (!body) {
        body = readFile(join(root, name)).then((b) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength) as Uint8Array<ArrayBuffer>);
        cache.set(name, body);
        body.catch(() => cache.delete(name));
      }
      return { body: await body, type };
    },
  };
}

/**
 * The `/docs` page: Swagger UI over `/openapi.json`. Its one inline script (the start-up call)
 * and its one inline style carry a per-response nonce; the bundle and the stylesheet come from
 * this origin. Request and response examples come from the document.
 */
export function renderDocsPage(info: OpenApiDocument['info']): (nonce: string) => string {
  const page = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(info.title)} ${esc(info.version)}: API reference</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
<style nonce="__NONCE__">body{margin:0}</style></head>
<body><div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script nonce="__NONCE__">
window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis],
  layout: 'BaseLayout',
  validatorUrl: null,
  withCredentials: true,
  displayRequestDuration: true,
});
</script></body></html>`;
  return (nonce) => page.replaceAll('__NONCE__', nonce);
}

/**
 * The page's own policy: scripts and styles from this origin or with this response's nonce,
 * requests to this origin, images from this origin or inline (Swagger UI's icons are data: URLs),
 * nothing else.
 */
export function docsContentSecurityPolicy(nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'self' 'nonce-${nonce}'`,
    `style-src 'self' 'nonce-${nonce}'`,
    "img-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
