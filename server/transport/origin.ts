import type { Context } from 'hono';
import { AppError } from '../errors.ts';

/** The origin a request says it comes from: its Origin header, else its Referer's origin, else undefined. */
export function presentedOrigin(c: Context): string | undefined {
  const origin = c.req.header('origin');
  if (origin !== undefined) return origin;
  const referer = c.req.header('referer');
  return referer && URL.canParse(referer) ? new URL(referer).origin : undefined;
}

/**
 * The origin this site's own pages send: scheme, host and port of the request. Behind trusted
 * proxies (`trustedProxies` > 0) the scheme is the client's, from X-Forwarded-Proto, since TLS
 * usually ends at the proxy and the app sees http. A client can forge that header, but no page
 * can make a browser send it, and a browser is what this check stands against.
 */
export function siteOrigin(c: Context, trustedProxies: number): string {
  const url = new URL(c.req.url);
  const forwarded = trustedProxies > 0 ? c.req.header('x-forwarded-proto')?.split(',', 1)[0]!.trim().toLowerCase() : undefined;
  if (forwarded === 'https' || forwarded === 'http') url.protocol = `${forwarded}:`;
  return url.origin;
}

/**
 * True when the request's Origin (else Referer) is this site's origin (scheme, host and port
 * alike: http://site is not https://site) or one of `allowedOrigins`; false when it sends neither.
 */
export function sameOrigin(c: Context, allowedOrigins: ReadonlySet<string>, trustedProxies = 0): boolean {
  const origin = presentedOrigin(c);
  if (!origin || origin === 'null' || !URL.canParse(origin)) return false;
  return allowedOrigins.has(origin) || new URL(origin).origin === siteOrigin(c, trustedProxies);
}

/**
 * For the routes that act without a credential and so escape the preflight's cookie check (login,
 * register): a request from another site's page is a 403. Without it, a foreign page could sign
 * its visitor into the attacker's account (login CSRF). A request with neither Origin nor Referer
 * is not a browser's cross-site POST (browsers send Origin on those) and passes: curl, servers.
 */
export function refuseCrossSite(c: Context, allowedOrigins: ReadonlySet<string>, trustedProxies: number): void {
  if (presentedOrigin(c) === undefined || sameOrigin(c, allowedOrigins, trustedProxies)) return;
  throw new AppError(
    'FORBIDDEN',
    `Cross-site request refused: ${c.req.method} ${c.req.path} needs an Origin or Referer from this site ` +
      '(or one listed in CSRF_ALLOWED_ORIGINS), or none at all as API clients send',
  );
}
