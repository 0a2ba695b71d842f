import type { MiddlewareHandler } from 'hono';
import { secureHeaders as honoSecureHeaders } from 'hono/secure-headers';
import type { AppEnv } from '../context.ts';

/**
 * Hono's secure headers on every response (nosniff, HSTS, no referrer, same-origin resource and
 * opener policies, ...), plus a Content-Security-Policy that lets a JSON answer load nothing and be
 * framed by no one. A route that serves a page sets its own CSP: the header a handler set wins
 * (`overwrite: false`), so /docs can allow its own nonce-tagged script and nothing else.
 */
export function secureHeaders(): MiddlewareHandler<AppEnv> {
  return honoSecureHeaders({
    contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
    xFrameOptions: 'DENY',
    overwrite: false,
  });
}
